#!/usr/bin/env bash
# make test-deploy: the compose stack end to end, as a user deploys it (docs/deploy.md).
#   engine      a Docker engine (Debian's docker.io, dockerd started here if none runs) and
#               Docker Compose v2 (built once from the Go module proxy, cached)
#   images      stand-ins for official images not present locally (deploy/standins/build.sh),
#               then the project's image from deploy/Dockerfile
#   stack       docker compose up, two workers, wait for health; replay the samples
#   checks      each sample enriched exactly once (read_committed); worker uid 10001 and
#               /ready 200; Prometheus sees both workers (DNS discovery) and the enriched sum;
#               restarts (one worker, then `docker compose restart worker`) lose and
#               duplicate nothing; `docker compose down` within the grace periods
#   teardown    containers, networks and volumes removed (images stay, as a cache)
# Traffic: between the stack's containers, and from here to 127.0.0.1 (published ports) only.
# Needs root for apt-get, dockerd and debootstrap, unless all of those are already there.
set -Eeuo pipefail
# The command that failed, for the last line of a failed run (CI shows the tail).
FAILED_AT=
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND (exit $?)"' ERR
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

COMPOSE_VERSION=v2.40.3
CACHE=${NEWSFLOW_DEPLOY_CACHE:-$HOME/.cache/newsflow}
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
PY=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d /tmp/newsflow-deploy.XXXXXX)
export COMPOSE_PROJECT_NAME=newsflow-deploytest-$$
export NEWSFLOW_IMAGE_TAG=deploytest
export DOCKER_BUILDKIT=0 COMPOSE_BAKE=false
SAMPLES=$(grep -c '"id"' service/data/samples.jsonl)

DOCKERD_PID=
STACK_UP=0
declare -a STEP_NAMES=() STEP_SECONDS=()
PASSED=0
FAILED=0

log() { echo "deploy: $*"; }
DIED=
die() {
  DIED=$*
  echo "deploy: ERROR: $*" >&2
  exit 1
}
need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root (apt-get, dockerd, debootstrap); run as root, or \
provide a running Docker engine, Docker Compose v2 and the images (docs/deploy.md)"
}
now() { date +%s%N; }
# Seconds since a now() reading, one decimal.
since() {
  local ds=$((($(now) - $1) / 100000000))
  echo "$((ds / 10)).$((ds % 10))"
}
# step NAME COMMAND...: run and time one step of the test. A failure ends the test (errexit
# stays on: the step is never called in a condition), and on_exit names the step.
CURRENT_STEP=
step() {
  local began
  CURRENT_STEP=$1
  shift
  began=$(now)
  log "== $CURRENT_STEP"
  "$@"
  STEP_NAMES+=("$CURRENT_STEP")
  STEP_SECONDS+=("$(since "$began")")
  log "== $CURRENT_STEP: ${STEP_SECONDS[-1]} s"
  CURRENT_STEP=
}
# timed_in_background NAME COMMAND...: a step run in the background ($! is its pid); its time
# is collected by collect_background_times after it was waited for.
timed_in_background() {
  local name=$1
  shift
  (
    began=$(now)
    "$@"
    echo "$name	$(since "$began")" >>"$WORK/background-times"
  ) &
}
collect_background_times() {
  [[ -f $WORK/background-times ]] || return 0
  while IFS=$'\t' read -r name seconds; do
    STEP_NAMES+=("$name (beside the project image)")
    STEP_SECONDS+=("$seconds")
  done <"$WORK/background-times"
}
# check NAME COMMAND...: one assertion; a failure is counted, and the test goes on.
check() {
  local name=$1
  shift
  if "$@"; then
    PASSED=$((PASSED + 1))
    log "ok: $name"
  else
    FAILED=$((FAILED + 1))
    log "FAILED: $name"
  fi
}
dc() { docker compose "$@"; }

apt_install() {
  need_root "apt-get install $*"
  if [[ ! -f /tmp/.newsflow-apt-updated ]]; then
    apt-get update -qq && touch /tmp/.newsflow-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---- engine ---------------------------------------------------------------------------------

start_engine() {
  if docker info >/dev/null 2>&1; then
    log "a Docker engine runs already: $(docker info -f '{{.ServerVersion}}')"
    return
  fi
  need_root "starting dockerd"
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
  # --ip: ports published without an address bind to 127.0.0.1, not to every interface.
  dockerd --ip=127.0.0.1 >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || {
      tail -20 "$WORK/dockerd.log" >&2
      die "dockerd exited"
    }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || die "dockerd did not answer within 60 s ($WORK/dockerd.log)"
  log "started dockerd $(docker info -f '{{.ServerVersion}}') (pid $DOCKERD_PID)"
}

# What an interrupted earlier run left (its containers would restart with the engine).
remove_stale_runs() {
  local project label
  for project in $( (
    docker ps -a --format '{{.Label "com.docker.compose.project"}}'
    docker volume ls --format '{{.Label "com.docker.compose.project"}}'
    docker network ls --format '{{.Label "com.docker.compose.project"}}'
  ) | grep '^newsflow-deploytest-' | sort -u); do
    log "removing what an earlier run left: $project"
    label="label=com.docker.compose.project=$project"
    docker ps -aq --filter "$label" | xargs -r docker rm -f >/dev/null
    docker volume ls -q --filter "$label" | xargs -r docker volume rm >/dev/null
    docker network ls -q --filter "$label" | xargs -r docker network rm >/dev/null
  done
}

stop_engine() {
  [[ -n $DOCKERD_PID ]] || return 0
  log "stopping the dockerd started here (pid $DOCKERD_PID)"
  kill -TERM "$DOCKERD_PID" 2>/dev/null || true
  for _ in $(seq 60); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$DOCKERD_PID" 2>/dev/null || true
}

# Docker Compose v2: the plugin if present, else built from the Go module proxy (once, cached).
build_compose() {
  local bin=$CACHE/docker-compose-$COMPOSE_VERSION dir
  if [[ ! -x $bin ]]; then
    command -v go >/dev/null || die "Go is needed to build Docker Compose $COMPOSE_VERSION"
    mkdir -p "$CACHE" "$WORK/gomod"
    (cd "$WORK/gomod" && go mod init scratch >/dev/null 2>&1)
    dir=$(cd "$WORK/gomod" && go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    # go install refuses the module (its go.mod has exclude directives): build inside it.
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" \
      -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" ./cmd)
    mv "$bin.tmp" "$bin"
  fi
  need_root "installing the compose plugin in $PLUGIN_DIR"
  install -D -m 0755 "$bin" "$PLUGIN_DIR/docker-compose"
}

wait_compose() {
  wait "$1" && return 0
  tail -30 "$WORK/compose-build.log" >&2
  die "building Docker Compose failed"
}

# No `| grep -q` or `| head` after docker here: they stop reading at the first match, the
# docker CLI then dies of SIGPIPE, and with pipefail the pipeline fails (exit 255).
have_compose() { [[ $(docker compose version 2>/dev/null) == *" v2."* ]]; }

# ---- images ---------------------------------------------------------------------------------

present() { docker image inspect "$1" >/dev/null 2>&1; }

# Official images where present locally (nothing is pulled), else the stand-ins.
choose_images() {
  STANDINS=()
  : "${KAFKA_IMAGE:=apache/kafka:4.1.1}" "${PROMETHEUS_IMAGE:=prom/prometheus:v2.55.1}"
  : "${NEWSFLOW_PYTHON_IMAGE:=python:3.11-slim}" "${GRAFANA_IMAGE:=grafana/grafana-oss:11.6.0}"
  present "$KAFKA_IMAGE" || {
    KAFKA_IMAGE=newsflow-standin/kafka:4.1.1
    STANDINS+=(kafka)
  }
  present "$PROMETHEUS_IMAGE" || {
    PROMETHEUS_IMAGE=newsflow-standin/prometheus:debian
    STANDINS+=(prometheus)
  }
  present "$NEWSFLOW_PYTHON_IMAGE" || {
    NEWSFLOW_PYTHON_IMAGE=newsflow-standin/python:3.11
    STANDINS+=(python)
  }
  export KAFKA_IMAGE PROMETHEUS_IMAGE NEWSFLOW_PYTHON_IMAGE GRAFANA_IMAGE
}

build_standins() {
  if [[ ${#STANDINS[@]} -eq 0 ]]; then
    log "all official images present: no stand-ins"
    return
  fi
  bash deploy/standins/build.sh debian
}

build_standin() { bash deploy/standins/build.sh "$@"; }

# The CAs this machine trusts that the base image lacks (a TLS-intercepting proxy's), for pip.
extra_ca() {
  if [[ -n ${NEWSFLOW_EXTRA_CA_CERTS:-} ]]; then
    printf '%s' "$NEWSFLOW_EXTRA_CA_CERTS"
  elif [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    docker run --rm --entrypoint cat "$NEWSFLOW_PYTHON_IMAGE" /etc/ssl/certs/ca-certificates.crt \
      >"$WORK/base-ca.pem" 2>/dev/null || : >"$WORK/base-ca.pem"
    python3 deploy/test/extra_ca.py /etc/ssl/certs/ca-certificates.crt "$WORK/base-ca.pem"
  fi
}

build_project_image() {
  local ca out
  ca=$(extra_ca)
  log "base $NEWSFLOW_PYTHON_IMAGE; extra CAs for pip: $(grep -c 'BEGIN CERT' <<<"$ca" || true)"
  out=$(docker build -q -f deploy/Dockerfile --build-arg "PYTHON_IMAGE=$NEWSFLOW_PYTHON_IMAGE" \
    --build-arg "EXTRA_CA_CERTS=$ca" -t "newsflow:$NEWSFLOW_IMAGE_TAG" . 2>&1) || {
    echo "$out" >&2
    return 1
  }
}

# ---- stack ----------------------------------------------------------------------------------

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

stack_up() {
  KAFKA_HOST_PORT=$(free_port) PROMETHEUS_PORT=$(free_port) GRAFANA_PORT=$(free_port)
  export KAFKA_HOST_PORT PROMETHEUS_PORT GRAFANA_PORT
  SERVICES=(kafka topics worker prometheus)
  if present "$GRAFANA_IMAGE"; then SERVICES+=(grafana); else
    log "no $GRAFANA_IMAGE image here: the stack runs without Grafana"
  fi
  log "images: kafka=$KAFKA_IMAGE prometheus=$PROMETHEUS_IMAGE worker=newsflow:$NEWSFLOW_IMAGE_TAG \
(on $NEWSFLOW_PYTHON_IMAGE); Kafka on 127.0.0.1:$KAFKA_HOST_PORT, Prometheus on 127.0.0.1:$PROMETHEUS_PORT"
  STACK_UP=1
  dc up -d --no-build --pull never --scale worker=2 --wait --wait-timeout 300 "${SERVICES[@]}"
  wait_workers_healthy
}

# Both workers' health checks pass (the image's HEALTHCHECK: GET /health).
wait_workers_healthy() {
  local ids states
  for _ in $(seq 150); do
    ids=$(dc ps -q worker)
    # A container being recreated is briefly gone: that is "not yet", not a failure.
    states=$(docker inspect -f '{{.State.Health.Status}}' $ids 2>/dev/null | sort | uniq -c | xargs) ||
      true
    [[ $states == "2 healthy" ]] && return 0
    sleep 2
  done
  log "workers not healthy: $states"
  return 1
}

replay_samples() {
  dc --profile samples up --no-build --pull never --no-deps replay
  local code
  code=$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -a -q replay)")
  [[ $code == 0 ]] || die "replay exited with $code"
}

# ---- checks ---------------------------------------------------------------------------------

enriched_exactly_once() { "$PY" deploy/test/check_stack.py enriched "127.0.0.1:$KAFKA_HOST_PORT" "$@"; }

workers_run_as_10001_and_ready() {
  local i uid status ok=0
  for i in 1 2; do
    uid=$(dc exec -T --index "$i" worker id -u)
    status=$(dc exec -T --index "$i" worker python -c "import urllib.request as u
print(u.urlopen('http://127.0.0.1:6066/ready', timeout=5).status)" 2>&1 | tail -1)
    log "worker $i: uid $uid, /ready $status"
    [[ $uid == 10001 && $status == 200 ]] || ok=1
  done
  return $ok
}

prometheus_sees() {
  "$PY" deploy/test/check_stack.py prometheus "http://127.0.0.1:$PROMETHEUS_PORT" "$@"
}

produce() { "$PY" deploy/test/check_stack.py produce "127.0.0.1:$KAFKA_HOST_PORT" "$@"; }

# Articles in flight while one worker restarts (`docker restart`: one replica), then while
# `docker compose restart worker` restarts both; the originals are sent again on top: the
# decision stage must skip them, not enrich them twice.
restarts() {
  local one
  one=$(dc ps -q worker | sed -n 1p)
  produce r1- --rate 4 &
  local producer=$!
  sleep 2
  log "docker restart $(docker inspect -f '{{.Name}}' "$one")"
  docker restart "$one" >/dev/null
  wait "$producer"
  produce "" --rate 10
  wait_workers_healthy
  produce r2- --rate 4 &
  producer=$!
  sleep 2
  log "docker compose restart worker"
  dc restart worker
  wait "$producer"
  wait_workers_healthy
}

# `docker compose down`: timed; every container stops on SIGTERM within its grace period.
teardown() {
  local began ended
  began=$(date +%s)
  dc --profile samples config --format json >"$WORK/config.json"
  dc --profile samples down -v --remove-orphans
  ended=$(date +%s)
  STACK_UP=0
  DOWN_SECONDS=$((ended - began))
  docker events --since "$began" --until "$((ended + 1))" \
    --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter type=container \
    --filter event=kill --filter event=die \
    --format '{{.TimeNano}} {{.Action}} {{index .Actor.Attributes "com.docker.compose.service"}} {{index .Actor.Attributes "name"}} {{index .Actor.Attributes "signal"}}{{index .Actor.Attributes "exitCode"}}' \
    >"$WORK/down-events.txt"
}

stopped_within_grace() {
  python3 - "$WORK/down-events.txt" "$WORK/config.json" <<'EOF'
import json, re, sys

def seconds(duration):
    """A Go duration as compose prints it (1m0s, 30s) in seconds; Docker's default is 10 s."""
    parts = re.findall(r"([\d.]+)(h|m|s)", duration or "10s")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)

services = json.load(open(sys.argv[2]))["services"]
grace = {name: seconds(s.get("stop_grace_period")) for name, s in services.items()}
first_kill, died, signals = {}, {}, {}
for line in open(sys.argv[1]):
    t, action, service, name, extra = (line.split(maxsplit=4) + [""] * 5)[:5]
    t = int(t) / 1e9
    if action == "kill":
        first_kill.setdefault(name, (t, service))
        signals.setdefault(name, []).append(extra.strip())
    elif action == "die":
        died[name] = (t, extra.strip())
ok = bool(first_kill)
for name, (t_kill, service) in sorted(first_kill.items()):
    t_die, code = died.get(name, (None, "?"))
    took = t_die - t_kill if t_die else float("inf")
    limit = grace.get(service, 10.0)
    good = took < limit and "9" not in signals[name]
    ok &= good
    print(f"  {name}: stopped {took:.1f} s after SIGTERM (grace {limit:.0f} s), "
          f"signals {','.join(signals[name])}, exit {code}{'' if good else '  <- FAILED'}")
sys.exit(0 if ok else 1)
EOF
}

nothing_left() {
  local label="label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" left
  left=$(
    docker ps -aq --filter "$label"
    docker volume ls -q --filter "$label"
    docker network ls -q --filter "$label"
  )
  [[ -z $left ]] || log "left behind: $left"
  [[ -z $left ]]
}

on_exit() {
  local code=$?
  FAILED_STEP=$CURRENT_STEP
  [[ -z $CURRENT_STEP ]] || log "== $CURRENT_STEP: FAILED"
  if [[ $STACK_UP == 1 ]]; then
    log "cleaning up after a failure; the stack's last logs:"
    dc --profile samples ps -a >&2 || true
    dc --profile samples logs --no-color --tail 12 kafka topics prometheus >&2 || true
    dc --profile samples logs --no-color --tail 60 worker replay >&2 || true
    dc --profile samples down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
  fi
  stop_engine
  rm -rf "$WORK"
  if [[ $code != 0 ]]; then
    log "FAILED (exit $code)${FAILED_STEP:+ in step \"$FAILED_STEP\"}${DIED:+: $DIED}\
${FAILED_AT:+ (last failed command: $FAILED_AT)}" >&2
  fi
  exit "$code"
}

# ---- main -----------------------------------------------------------------------------------

main() {
  trap on_exit EXIT
  [[ -x $PY ]] || die "no $PY: run make install first"
  step "engine" start_engine
  remove_stale_runs
  local compose_job=
  if ! have_compose; then
    log "building Docker Compose $COMPOSE_VERSION in the background (minutes, once)"
    build_compose >"$WORK/compose-build.log" 2>&1 &
    compose_job=$!
  fi
  choose_images
  step "base images" build_standins
  if [[ " ${STANDINS[*]} " == *" python "* ]]; then step "python base image" build_standin python; fi
  # The Kafka and Prometheus stand-ins build while the project image does (mostly downloads).
  local side=()
  declare -A label=([kafka]="Kafka image" [prometheus]="Prometheus image")
  for name in kafka prometheus; do
    if [[ " ${STANDINS[*]} " == *" $name "* ]]; then
      timed_in_background "${label[$name]}" build_standin "$name"
      side+=("$!")
    fi
  done
  step "project image" build_project_image
  for pid in "${side[@]}"; do wait "$pid" || die "building a stand-in image failed"; done
  collect_background_times
  if [[ -n $compose_job ]]; then step "compose (wait for its build)" wait_compose "$compose_job"; fi
  have_compose || die "docker compose v2 is not available"
  step "stack up" stack_up
  step "replay" replay_samples
  local began
  began=$(now)
  check "every sample enriched exactly once (read_committed)" enriched_exactly_once ""
  check "workers run as uid 10001 and /ready answers 200" workers_run_as_10001_and_ready
  check "Prometheus: 2 workers up == 1, enriched sum == $SAMPLES" \
    prometheus_sees 2 --enriched "$SAMPLES"
  STEP_NAMES+=("checks")
  STEP_SECONDS+=("$(since "$began")")
  step "restarts" restarts
  check "after the restarts: every article enriched exactly once, none lost" \
    enriched_exactly_once "" r1- r2-
  check "after the restarts: both workers up == 1 in Prometheus" \
    prometheus_sees 2 --timeout 90
  step "teardown (docker compose down)" teardown
  check "docker compose down: every container stopped on SIGTERM within its grace period \
($DOWN_SECONDS s in all)" stopped_within_grace
  check "no container, network or volume left" nothing_left

  log "step times (s):"
  for i in "${!STEP_NAMES[@]}"; do printf '  %-46s %7s\n' "${STEP_NAMES[$i]}" "${STEP_SECONDS[$i]}"; done
  echo "deploy: $PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}

main "$@"
