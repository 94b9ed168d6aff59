#!/usr/bin/env bash
# The local Apache Kafka broker (KRaft, one node) for development and tests.
# Usage: deploy/kafka-local/kafka-local.sh start|stop|status|fetch [--port P] [--data-dir D]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="$root/.venv/bin/python"
[ -x "$py" ] || py=python3
cd "$root"
exec "$py" -m service.broker "$@"
