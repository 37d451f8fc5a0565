#!/usr/bin/env bash
# Kafka's console consumer: kafka-console-consumer.sh --bootstrap-server HOST:PORT --topic T [--from-beginning] ...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" console-consumer "$@"
