#!/usr/bin/env bash
# Install the Node.js linters that `make test` runs (the AsyncAPI CLI and dclint) and print the
# folder that holds their commands.
#
# Both are pinned with their whole dependency tree by scripts/node-tools/package-lock.json and
# installed once with `npm ci` into .cache/ (ignored by git); a changed lock file installs afresh.
# Without a lock file npm resolved transitive ranges on the day, and a CI run failed when the
# registry listed a new release of a dependency (regexpu-core 6.5.5) without the release of its
# own dependency it needs (regjsparser 1.0.1). The lock was resolved with
# `npm install --before=2026-04-01`, so every package in it had been published for months.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=scripts/node-tools/package-lock.json
dir=".cache/node-tools-$(sha256sum "$lock" | cut -c1-12)"

if [ ! -f "$dir/.installed" ]; then
  command -v npm >/dev/null || { echo "need Node.js >= 18 and npm (apt-get install nodejs npm)" >&2; exit 1; }
  echo "installing the pinned Node.js linters into $dir (once, about a minute) ..." >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  cp scripts/node-tools/package.json "$lock" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$dir/.installed"
fi
echo "$PWD/$dir/node_modules/.bin"
