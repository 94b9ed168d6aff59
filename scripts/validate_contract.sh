#!/usr/bin/env bash
# Validate the consumer contract document schemas/asyncapi.yaml with the AsyncAPI CLI.
#
# The CLI is installed once, pinned, into .cache/ (ignored by git); later runs reuse it.
# @asyncapi/cli 5.x and 6.x declare Node >= 24; 4.1.1 is the newest that supports the
# Node 18/20 of Debian 12/13. Warnings fail the check; the one "info" (3.1.0 exists) does not.
# The JSON Schemas, their examples and their compatibility are checked by the unit tests
# (tests/unit/test_contract.py, tests/unit/test_schema_compat.py).
set -euo pipefail
cd "$(dirname "$0")/.."

ASYNCAPI_CLI_VERSION=4.1.1
dir=".cache/asyncapi-cli-$ASYNCAPI_CLI_VERSION"
bin="$dir/node_modules/.bin/asyncapi"

if [ ! -x "$bin" ]; then
  command -v npm >/dev/null || { echo "need Node.js >= 18 and npm (apt-get install nodejs npm)"; exit 1; }
  echo "installing @asyncapi/cli@$ASYNCAPI_CLI_VERSION into $dir (once) ..."
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  npm install --prefix "$dir.tmp" --no-audit --no-fund --loglevel=error --save-exact \
    "@asyncapi/cli@$ASYNCAPI_CLI_VERSION" >/dev/null
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
fi

# No anonymous usage metrics, no node-config warnings.
metrics=".cache/asyncapi-analytics.json"
[ -f "$metrics" ] || printf '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"ci"}' >"$metrics"
export ASYNCAPI_METRICS_CONFIG_PATH="$PWD/$metrics" SUPPRESS_NO_CONFIG_WARNING=1 CI=true

"$bin" validate schemas/asyncapi.yaml --fail-severity warn
