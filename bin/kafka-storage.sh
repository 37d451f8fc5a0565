#!/usr/bin/env bash
# Kafka's storage tool: kafka-storage.sh format -t ID -c server.properties | random-uuid
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" storage "$@"
