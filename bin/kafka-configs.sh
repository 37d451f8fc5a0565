#!/usr/bin/env bash
# Kafka's configs tool: kafka-configs.sh --bootstrap-server HOST:PORT ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" configs "$@"
