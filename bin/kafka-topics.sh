#!/usr/bin/env bash
# Kafka's topics tool: kafka-topics.sh --bootstrap-server HOST:PORT --create|--list|--describe|--alter|--delete ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" topics "$@"
