#!/usr/bin/env bash
# A private Docker engine for odpo's container tests and the compose check, with no image registry needed.
#
#   eval "$(.ci/docker-engine.sh start)"   # installs the engine if missing, starts dockerd on a private socket,
#                                           # builds (or reuses) the local base and Kafka images; prints the
#                                           # environment to export (DOCKER_HOST, ODPO_BASE_IMAGE, ...)
#   .ci/docker-engine.sh stop               # stops that dockerd and every container it ran
#   .ci/docker-engine.sh env                # the exports again, for another shell
#
# Images it provides (nothing is pulled):
#   odpo/base-jre:<recipe hash>  Debian bookworm (minbase) + OpenJDK 17 JRE, made with debootstrap from the
#                                Debian mirror apt already uses; rebuilt only when its recipe below changes.
#   odpo/kafka:local             Apache Kafka from its Maven Central artifacts on that base, started the way the
#                                apache/kafka image is (KAFKA_* environment variables, /etc/kafka/docker/run).
#
# Settings (environment): ODPO_DOCKER_HOME (default /var/tmp/odpo-docker) holds the engine's data (images are
# kept there between runs), socket, pid file and log. Needs root, or sudo for apt-get and dockerd.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${ODPO_DOCKER_HOME:-/var/tmp/odpo-docker}"
SOCK="$HOME_DIR/docker.sock"
PIDFILE="$HOME_DIR/dockerd.pid"
LOG="$HOME_DIR/dockerd.log"
KAFKA_IMAGE="odpo/kafka:local"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

say() { echo "docker-engine: $*" >&2; }

# ---- the base image's recipe: every line of this function counts in the image's tag -------------------------
base_recipe() {
  local rootfs="$1" mirror="$2"
  $SUDO debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates-java bookworm "$rootfs" "$mirror" >&2
  # What the services do not need: package caches, documentation, manuals (files only: packages installed on
  # top of this image still find the directories they link into).
  $SUDO chroot "$rootfs" apt-get clean
  $SUDO rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
  $SUDO find "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/usr/share/locale -type f -delete
}

base_tag() {
  printf '%s' "$(declare -f base_recipe)" | sha256sum | cut -c1-12
}

# The Debian mirror apt uses on this machine (deb822 or one-line sources).
debian_mirror() {
  local m
  m="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)"
  [ -n "$m" ] || m="$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -n1 || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq "$@" >&2
}

engine_up() {
  [ -S "$SOCK" ] && DOCKER_HOST="unix://$SOCK" docker version >/dev/null 2>&1
}

start_engine() {
  command -v dockerd >/dev/null 2>&1 || { say "installing the Docker engine (docker.io)"; apt_install docker.io; }
  command -v docker >/dev/null 2>&1 || apt_install docker.io
  $SUDO mkdir -p "$HOME_DIR/data" "$HOME_DIR/exec"
  if [ -f "$PIDFILE" ] && $SUDO kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "an engine from an earlier run still runs (pid $(cat "$PIDFILE")): stopping it first"
    stop_engine
  fi
  $SUDO rm -f "$SOCK" "$PIDFILE"
  # --ip-masq=false: containers reach each other and the host's published ports, nothing beyond this machine.
  # --group: the socket is usable by the invoking user's group when started through sudo.
  $SUDO dockerd --host "unix://$SOCK" --data-root "$HOME_DIR/data" --exec-root "$HOME_DIR/exec" \
    --pidfile "$PIDFILE" --ip-masq=false --group "$(id -gn)" >"$LOG" 2>&1 &
  for _ in $(seq 1 60); do
    engine_up && { say "engine up on unix://$SOCK"; return 0; }
    sleep 0.5
  done
  say "dockerd did not start; its log ($LOG) ends with:"; tail -n 20 "$LOG" >&2 || true
  return 1
}

stop_engine() {
  [ -f "$PIDFILE" ] || { say "no engine running from $HOME_DIR"; return 0; }
  local pid; pid="$(cat "$PIDFILE")"
  if engine_up; then
    local ids; ids="$(DOCKER_HOST="unix://$SOCK" docker ps -aq || true)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || DOCKER_HOST="unix://$SOCK" docker rm -f $ids >/dev/null 2>&1 || true
    # What a run left behind (volumes, networks, dangling build stages); the images themselves stay cached.
    DOCKER_HOST="unix://$SOCK" docker volume prune -f >/dev/null 2>&1 || true
    DOCKER_HOST="unix://$SOCK" docker network prune -f >/dev/null 2>&1 || true
    DOCKER_HOST="unix://$SOCK" docker image prune -f >/dev/null 2>&1 || true
  fi
  $SUDO kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do $SUDO kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  $SUDO kill -KILL "$pid" 2>/dev/null || true
  $SUDO rm -f "$PIDFILE" "$SOCK"
  say "engine stopped"
}

base_image() {
  local tag="odpo/base-jre:$(base_tag)"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    say "base image $tag: cached"
  else
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    local rootfs; rootfs="$(mktemp -d "${TMPDIR:-/tmp}/odpo-rootfs.XXXXXX")"
    local mirror; mirror="$(debian_mirror)"
    say "building base image $tag from $mirror (about two minutes)"
    local t0=$SECONDS
    base_recipe "$rootfs" "$mirror"
    $SUDO tar -C "$rootfs" -c . | docker import -c 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
    $SUDO rm -rf "$rootfs"
    say "base image $tag built in $((SECONDS - t0)) s"
    # Earlier recipes' images are no longer used.
    docker images odpo/base-jre --format '{{.Repository}}:{{.Tag}}' | grep -vx "$tag" | xargs -r docker rmi >/dev/null || true
  fi
  echo "$tag"
}

# Apache Kafka's own jars from Maven Central (those odpo's broker module runs), a logging backend, and the
# entry point in docker/kafka. The engine's layer cache makes an unchanged rebuild take seconds.
kafka_image() {
  local base="$1" ctx="$ROOT/broker/target/kafka-image"
  rm -rf "$ctx"; mkdir -p "$ctx/libs"
  (cd "$ROOT" && ./mvnw -B -q ${ODPO_MAVEN_OFFLINE:+-o} -pl broker dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$ctx/libs" \
    && for a in ch.qos.logback:logback-classic:1.5.18 ch.qos.logback:logback-core:1.5.18; do
         ./mvnw -B -q ${ODPO_MAVEN_OFFLINE:+-o} dependency:copy -Dartifact="$a" -DoutputDirectory="$ctx/libs" -N; done) >&2
  cp -r "$ROOT/docker/kafka/." "$ctx/"
  local t0=$SECONDS
  docker build -q --build-arg BASE_IMAGE="$base" -t "$KAFKA_IMAGE" "$ctx" >/dev/null
  say "Kafka image $KAFKA_IMAGE ready in $((SECONDS - t0)) s"
}

print_env() {
  echo "export DOCKER_HOST=unix://$SOCK"
  echo "export ODPO_BASE_IMAGE=odpo/base-jre:$(base_tag)"
  echo "export ODPO_KAFKA_IMAGE=$KAFKA_IMAGE"
  # Ryuk (Testcontainers' reaper) and the start-up checks' alpine image come from a registry: off. The tests
  # stop their own containers and networks, and stop_engine removes whatever is left.
  echo "export TESTCONTAINERS_RYUK_DISABLED=true"
  echo "export TESTCONTAINERS_CHECKS_DISABLE=true"
  # Published ports are on this machine; without this, Testcontainers run inside a container asks an alpine
  # container for the default gateway.
  echo "export TESTCONTAINERS_HOST_OVERRIDE=localhost"
}

case "${1:-}" in
  start)
    start_engine
    export DOCKER_HOST="unix://$SOCK"
    base="$(base_image)"
    kafka_image "$base"
    print_env
    ;;
  stop) stop_engine ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
