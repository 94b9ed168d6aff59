#!/usr/bin/env bash
# Build local stand-ins for the official images, for machines that reach Debian's and Maven
# Central's packages but no image registry (docs/deploy.md says how each one differs):
#   debian      newsflow-standin/debian:bookworm    debootstrap minbase, imported (needs root)
#   python      newsflow-standin/python:3.11        Debian's Python 3.11, for python:3.11-slim
#   kafka       newsflow-standin/kafka:4.1.1        the Maven jars on Debian's JRE, for apache/kafka
#   prometheus  newsflow-standin/prometheus:debian  Debian's package, for prom/prometheus
# Usage: deploy/standins/build.sh [debian|python|kafka|prometheus]...   (default: all)
# An image is rebuilt only when its inputs (its folder, the pom, its base image) changed: each
# image carries a label with their hash. The classic builder (DOCKER_BUILDKIT=0) is used, since
# BuildKit needs the buildx plugin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

export DOCKER_BUILDKIT=0
CACHE=${NEWSFLOW_DEPLOY_CACHE:-$HOME/.cache/newsflow}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/kafka-local/pom.xml)
LABEL=io.newsflow.standin.inputs

DEBIAN_IMAGE=newsflow-standin/debian:$SUITE
declare -A IMAGE=(
  [debian]=$DEBIAN_IMAGE
  [python]=newsflow-standin/python:3.11
  [kafka]=newsflow-standin/kafka:$KAFKA_VERSION
  [prometheus]=newsflow-standin/prometheus:debian
)

log() { echo "standins: $*"; }

current_hash() {
  docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}

# Hash of the files that make an image, plus its base image's id.
inputs_hash() {
  local name=$1
  {
    if [[ $name == debian ]]; then
      echo "$SUITE $MIRROR minbase"
    else
      find "deploy/standins/$name" -type f -print0 | sort -z | xargs -0 sha256sum
      docker image inspect -f '{{.Id}}' "$DEBIAN_IMAGE"
    fi
    if [[ $name == kafka ]]; then sha256sum deploy/kafka-local/pom.xml; fi
  } | sha256sum | cut -c1-16
}

build_debian() {
  local hash=$1 root
  if [[ $(id -u) -ne 0 ]]; then
    echo "standins: debootstrap needs root (or build $DEBIAN_IMAGE another way)" >&2
    return 1
  fi
  command -v debootstrap >/dev/null || {
    echo "standins: debootstrap missing (apt-get install debootstrap)" >&2
    return 1
  }
  root=$(mktemp -d /tmp/newsflow-rootfs.XXXXXX)
  (
    trap 'rm -rf "$root" "$root.log"' EXIT
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$root.log" 2>&1 || {
      tail -20 "$root.log" >&2
      exit 1
    }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import --change "LABEL $LABEL=$hash" \
      --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  )
}

build_kafka() {
  local hash=$1 stage libs=$CACHE/kafka-standin-$KAFKA_VERSION/libs
  if [[ ! -f $libs/.complete ]]; then
    command -v mvn >/dev/null || {
      echo "standins: Maven (mvn) is needed to fetch the Kafka jars" >&2
      return 1
    }
    rm -rf "$libs" && mkdir -p "$libs"
    mvn -q -B -Dstyle.color=never -f deploy/standins/kafka/pom.xml dependency:copy-dependencies \
      -DincludeScope=runtime "-DoutputDirectory=$libs"
    touch "$libs/.complete"
  fi
  stage=$(mktemp -d /tmp/newsflow-kafka-stage.XXXXXX)
  (
    trap 'rm -rf "$stage"' EXIT
    cp -r deploy/standins/kafka/. "$stage/"
    mkdir "$stage/libs" && cp "$libs"/*.jar "$stage/libs/"
    docker_build --label "$LABEL=$hash" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" \
      --build-arg "KAFKA_VERSION=$KAFKA_VERSION" -t "${IMAGE[kafka]}" "$stage"
  )
}

# docker build, quiet: its output (the legacy builder's notice among it) only on failure.
docker_build() {
  local out
  out=$(docker build -q "$@" 2>&1) || {
    echo "$out" >&2
    return 1
  }
}

build_plain() {
  local name=$1 hash=$2
  docker_build --label "$LABEL=$hash" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" \
    -t "${IMAGE[$name]}" "deploy/standins/$name"
}

build() {
  local name=$1 hash began=$SECONDS
  hash=$(inputs_hash "$name")
  if [[ $(current_hash "${IMAGE[$name]}") == "$hash" ]]; then
    log "${IMAGE[$name]} is up to date"
    return 0
  fi
  log "building ${IMAGE[$name]}"
  case $name in
    debian) build_debian "$hash" ;;
    kafka) build_kafka "$hash" ;;
    *) build_plain "$name" "$hash" ;;
  esac
  log "built ${IMAGE[$name]} in $((SECONDS - began)) s"
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(debian python kafka prometheus)
for name in "${names[@]}"; do
  [[ -n ${IMAGE[$name]:-} ]] || {
    echo "standins: unknown image $name (debian, python, kafka, prometheus)" >&2
    exit 2
  }
done
# The base first, then the others side by side (each mostly waits on apt downloads).
if [[ " ${names[*]} " == *" debian "* ]] || ! docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  build debian
fi
pids=()
for name in "${names[@]}"; do
  [[ $name == debian ]] && continue
  build "$name" &
  pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
