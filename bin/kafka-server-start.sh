#!/usr/bin/env bash
# Kafka's start script: kafka-server-start.sh server.properties [--override key=value]...
set -euo pipefail
source "$(dirname "$0")/gregor-bin.sh"
if [ $# -lt 1 ]; then
  echo "USAGE: $0 server.properties [--override property=value]*" >&2
  exit 1
fi
exec "$(gregor_bin)" server "$@"
