#!/bin/sh
# The deployment succeeds once the page is served.
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/index.html')" 2>/dev/null; then
    exit 0
  fi
  sleep 0.5
done
echo "the page is not served on port 8080" >&2
exit 1
