#!/bin/sh
# Stops the server the previous deployment started, if any.
if [ -f /tmp/sample-app.pid ]; then
  kill "$(cat /tmp/sample-app.pid)" 2>/dev/null || true
  rm -f /tmp/sample-app.pid
fi
