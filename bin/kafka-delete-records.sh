#!/usr/bin/env bash
# Kafka's delete-records tool: kafka-delete-records.sh --bootstrap-server HOST:PORT ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" delete-records "$@"
