#!/usr/bin/env bash
# Kafka's console producer: kafka-console-producer.sh --bootstrap-server HOST:PORT --topic T [--property k=v]... < lines
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
exec "$(gregor_bin)" console-producer "$@"
