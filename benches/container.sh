#!/usr/bin/env bash
# Measures simfra's container image and compose stack: the image's size, the time from a
# container's start to its first healthy answer (`docker run` and `compose up`), and the quick
# start's wall time in compose and on the host. Figures go to stdout; BENCHMARKS-container.md
# records them.
#
#   bash benches/container.sh [image]     # default simfra:local (build it first, see README)
#
# Settings: SIMFRA_BENCH_RUNS (start-to-healthy runs, default 5), SIMFRA_BENCH_APP_IMAGE and
# SIMFRA_BENCH_BUILD_IMAGE (the compose stack's app and build images; default the test image
# simfra-test/build:1), SIMFRA_BENCH_HOST_BIN (a simfra binary for the host run; default
# target/release/simfra, skipped when missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

image="${1:-simfra:local}"
runs="${SIMFRA_BENCH_RUNS:-5}"
app_image="${SIMFRA_BENCH_APP_IMAGE:-simfra-test/build:1}"
build_image="${SIMFRA_BENCH_BUILD_IMAGE:-simfra-test/build:1}"
host_bin="${SIMFRA_BENCH_HOST_BIN:-target/release/simfra}"
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_healthy() {
  local port="$1"
  for _ in $(seq 1 3000); do
    if curl -fs "http://127.0.0.1:$port/_simfra/health" >/dev/null 2>&1; then return 0; fi
    sleep 0.01
  done
  echo "no health answer on $port" >&2
  return 1
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
size=$(docker image inspect -f '{{.Size}}' "$image")
echo "image $image: $(awk -v s="$size" 'BEGIN { printf "%.1f MiB (%d bytes)", s / 1048576, s }')"

echo "docker run -> healthy (the container started, to /_simfra/health answering 200):"
for i in $(seq 1 "$runs"); do
  port=$(free_port)
  id=$(docker create -p "127.0.0.1:$port:4599" "$image")
  t0=$(now)
  docker start "$id" >/dev/null
  t1=$(now)
  wait_healthy "$port"
  t2=$(now)
  started=$(docker inspect -f '{{.State.StartedAt}}' "$id")
  echo "  run $i: docker start returned after $(elapsed "$t0" "$t1") s, healthy $(elapsed "$t0" "$t2") s after the start call (container StartedAt $started)"
  docker rm -f -v "$id" >/dev/null
done

project="simfrabench$$"
port=$(free_port)
app_port=$(free_port)
export SIMFRA_IMAGE="$image" SIMFRA_APP_IMAGE="$app_image" SIMFRA_CODEBUILD_IMAGE="$build_image"
export DOCKER_GID="$(stat -c %g /var/run/docker.sock)"
export SIMFRA_PUBLISH="127.0.0.1:$port" SIMFRA_APP_PUBLISH="127.0.0.1:$app_port" SIMFRA_LOG=warn
stack() { "${compose[@]}" -p "$project" -f docker/docker-compose.yml "$@"; }
trap 'stack down -v -t 10 >/dev/null 2>&1 || true' EXIT
t0=$(now)
stack up -d --no-build >/dev/null 2>&1
wait_healthy "$port"
t1=$(now)
echo "compose up -> healthy: $(elapsed "$t0" "$t1") s (network and both containers created)"
t0=$(now)
SIMFRA_URL="http://127.0.0.1:$port" QUICKSTART_APP_URL="http://127.0.0.1:$app_port" \
  bash examples/quickstart.sh >/tmp/simfra-bench-quickstart.log 2>&1
t1=$(now)
echo "quick start in compose (first run): $(elapsed "$t0" "$t1") s"
t0=$(now)
SIMFRA_URL="http://127.0.0.1:$port" QUICKSTART_APP_URL="http://127.0.0.1:$app_port" \
  bash examples/quickstart.sh >/tmp/simfra-bench-quickstart.log 2>&1
t1=$(now)
echo "quick start in compose (second run: a push to the existing pipeline): $(elapsed "$t0" "$t1") s"
stack down -v -t 10 >/dev/null 2>&1

if [[ -x "$host_bin" ]]; then
  port=$(free_port)
  app_port=$(free_port)
  SIMFRA_DOCKER=true SIMFRA_PORT="$port" SIMFRA_LOG=warn SIMFRA_CODEBUILD_IMAGE="$build_image" \
    "$host_bin" >/tmp/simfra-bench-host.log 2>&1 &
  host_pid=$!
  web=$(docker run -d --label simfra.ec2.tag.Name=web -p "127.0.0.1:$app_port:8080" "$app_image" \
    sh -c "trap 'exit 0' TERM; while :; do sleep 3600 & wait \$!; done")
  trap 'kill $host_pid 2>/dev/null || true; docker rm -f "$web" >/dev/null 2>&1 || true' EXIT
  wait_healthy "$port"
  t0=$(now)
  SIMFRA_URL="http://127.0.0.1:$port" QUICKSTART_APP_URL="http://127.0.0.1:$app_port" \
    bash examples/quickstart.sh >/tmp/simfra-bench-quickstart.log 2>&1
  t1=$(now)
  echo "quick start on the host (first run, $host_bin): $(elapsed "$t0" "$t1") s"
  t0=$(now)
  SIMFRA_URL="http://127.0.0.1:$port" QUICKSTART_APP_URL="http://127.0.0.1:$app_port" \
    bash examples/quickstart.sh >/tmp/simfra-bench-quickstart.log 2>&1
  t1=$(now)
  echo "quick start on the host (second run): $(elapsed "$t0" "$t1") s"
else
  echo "no $host_bin: the host run is skipped"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
