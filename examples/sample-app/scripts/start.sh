#!/bin/sh
# Serves /srv/www on port 8080, in the background (the hook returns at once).
cd /srv/www || exit 1
nohup python3 -m http.server 8080 >/tmp/sample-app.log 2>&1 &
echo $! > /tmp/sample-app.pid
