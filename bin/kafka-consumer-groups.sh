#!/usr/bin/env bash
# Kafka's consumer groups tool: kafka-consumer-groups.sh --bootstrap-server HOST:PORT --list|--describe|--delete|--reset-offsets|--delete-offsets ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" consumer-groups "$@"
