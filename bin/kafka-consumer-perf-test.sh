#!/usr/bin/env bash
# Kafka's consumer performance tool: kafka-consumer-perf-test.sh --bootstrap-server HOST:PORT --topic T --messages N ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" consumer-perf-test "$@"
