#!/usr/bin/env bash
# Kafka's producer performance test: kafka-producer-perf-test.sh --topic T --num-records N --record-size B --throughput R --producer-props bootstrap.servers=HOST:PORT
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" producer-perf-test "$@"
