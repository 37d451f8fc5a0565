#!/usr/bin/env bash
# Kafka's log dump tool: kafka-dump-log.sh --files FILE[,FILE...] [--print-data-log] ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" dump-log "$@"
