#!/usr/bin/env bash
# Kafka's API versions tool: kafka-broker-api-versions.sh --bootstrap-server HOST:PORT
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" broker-api-versions "$@"
