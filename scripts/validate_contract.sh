#!/usr/bin/env bash
# Validate the consumer contract document schemas/asyncapi.yaml with the AsyncAPI CLI.
#
# The CLI is pinned, with its whole dependency tree, by scripts/node-tools (scripts/node_tools.sh).
# @asyncapi/cli 5.x and 6.x declare Node >= 24; 4.1.1 is the newest that supports the
# Node 18/20 of Debian 12/13. Warnings fail the check; the one "info" (3.1.0 exists) does not.
# The JSON Schemas, their examples and their compatibility are checked by the unit tests
# (tests/unit/test_contract.py, tests/unit/test_schema_compat.py).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$(bash scripts/node_tools.sh)/asyncapi"

# No anonymous usage metrics, no node-config warnings.
metrics=".cache/asyncapi-analytics.json"
[ -f "$metrics" ] || printf '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"ci"}' >"$metrics"
export ASYNCAPI_METRICS_CONFIG_PATH="$PWD/$metrics" SUPPRESS_NO_CONFIG_WARNING=1 CI=true

"$bin" validate schemas/asyncapi.yaml --fail-severity warn
