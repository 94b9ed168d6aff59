#!/usr/bin/env bash
# Validate the consumer contract document schemas/asyncapi.yaml with the AsyncAPI CLI.
#
# The CLI and its whole dependency tree are pinned by scripts/asyncapi-cli/package-lock.json
# and installed once with `npm ci` into .cache/ (ignored by git); later runs reuse it. Without
# the lock file, npm resolved the CLI's transitive ranges on the day, and one CI run failed when
# the registry listed a new release of a dependency (regexpu-core 6.5.5) whose own dependency
# (regjsparser ^1.0.1) it did not serve yet. The lock was resolved with
# `npm install --before=2026-03-01`, so every package in it had been published for months.
# @asyncapi/cli 5.x and 6.x declare Node >= 24; 4.1.1 is the newest that supports the
# Node 18/20 of Debian 12/13. Warnings fail the check; the one "info" (3.1.0 exists) does not.
# The JSON Schemas, their examples and their compatibility are checked by the unit tests
# (tests/unit/test_contract.py, tests/unit/test_schema_compat.py).
set -euo pipefail
cd "$(dirname "$0")/.."

lock=scripts/asyncapi-cli/package-lock.json
dir=".cache/asyncapi-cli-$(sha256sum "$lock" | cut -c1-12)"
bin="$dir/node_modules/.bin/asyncapi"

if [ ! -x "$bin" ]; then
  command -v npm >/dev/null || { echo "need Node.js >= 18 and npm (apt-get install nodejs npm)"; exit 1; }
  echo "installing the pinned @asyncapi/cli into $dir (once, about a minute) ..."
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  cp scripts/asyncapi-cli/package.json "$lock" "$dir.tmp/"
  (cd "$dir.tmp" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
fi

# No anonymous usage metrics, no node-config warnings.
metrics=".cache/asyncapi-analytics.json"
[ -f "$metrics" ] || printf '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"ci"}' >"$metrics"
export ASYNCAPI_METRICS_CONFIG_PATH="$PWD/$metrics" SUPPRESS_NO_CONFIG_WARNING=1 CI=true

"$bin" validate schemas/asyncapi.yaml --fail-severity warn
