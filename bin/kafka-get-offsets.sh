#!/usr/bin/env bash
# Kafka's get-offsets tool: kafka-get-offsets.sh --bootstrap-server HOST:PORT ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" get-offsets "$@"
