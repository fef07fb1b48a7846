#!/usr/bin/env bash
# Runs the compose deployment for real: docker-compose.yml with docker-compose.offline.yml (images made on this
# machine) and .ci/compose-check.yml (small settings). Trains a small pi0 and proxy reward model in containers of
# the odpo image, publishes pi0, sends prompts from the host through Kafka's published port, waits for a published
# version and an evaluation, kills the learner's JVM (a crash, not a stop) and waits for its container to restart
# and the loop to publish a later version; then removes every container and volume, whatever happened.
#
#   eval "$(.ci/docker-engine.sh start)"; ./mvnw -B package -DskipTests; .ci/compose-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DOCKER_HOST:?start the engine first: eval \"\$(.ci/docker-engine.sh start)\"}"
: "${ODPO_BASE_IMAGE:?start the engine first: eval \"\$(.ci/docker-engine.sh start)\"}"
if ! command -v docker-compose >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-compose >/dev/null
fi

export ODPO_KAFKA_PORT="${ODPO_KAFKA_PORT:-19092}" ODPO_REGISTRY_PORT="${ODPO_REGISTRY_PORT:-18081}"
export COMPOSE_PROJECT_NAME=odpo-check
export ODPO_TOPIC_PARTITIONS=6   # as docker-compose.yml declares them, for the commands run from the host
DC=(docker-compose -f docker-compose.yml -f docker-compose.offline.yml -f .ci/compose-check.yml)
HOST_KAFKA=(--bootstrap-servers "localhost:$ODPO_KAFKA_PORT" --registry-url "http://localhost:$ODPO_REGISTRY_PORT")
WORK="$(mktemp -d "${TMPDIR:-/tmp}/odpo-compose.XXXXXX")"

teardown() {
  local status=$?
  if [ $status -ne 0 ]; then
    echo "compose check failed; the services' last log lines:" >&2
    "${DC[@]}" logs --no-color --tail=60 >&2 || true
  fi
  "${DC[@]}" --profile tools down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit $status
}
trap teardown EXIT

step() { echo "[compose $(date +%H:%M:%S) +$((SECONDS - T0))s] $*"; }
# Highest policy version announced so far (-1: none), read from the host through the published port.
max_version() {
  ./odpo tail checkpoints --idle 3 "${HOST_KAFKA[@]}" 2>/dev/null \
    | python3 -c 'import json,sys; print(max([json.loads(l)["version"] for l in sys.stdin if l.strip()] or [-1]))'
}
evaluations() {
  ./odpo tail evaluations --idle 3 "${HOST_KAFKA[@]}" 2>/dev/null | grep -c . || true
}
# The built-in task's arithmetic prompts, with their answers for the verifier.
send_prompts() {
  local from=$1 n=$2 file="$WORK/prompts-$1.jsonl"
  python3 - "$from" "$n" > "$file" <<'EOF'
import json, random, sys
start, n = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(start)
for i in range(start, start + n):
    a, b = r.randint(1, 99), r.randint(1, 99)
    print(json.dumps({"prompt_id": f"compose-{i}", "text": f"What is {a} + {b}?", "task": "arithmetic",
                      "reference_answer": str(a + b)}))
EOF
  ./odpo prompts "$file" --no-progress "${HOST_KAFKA[@]}" >/dev/null
}
version_above() { [ "$(max_version)" -gt "$1" ]; }
evaluated() { [ "$(evaluations)" -ge 1 ]; }
restarted() { [ "$(docker inspect -f '{{.RestartCount}} {{.State.Running}}' "$1")" = "$2 true" ]; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || { echo "timed out after ${limit}s waiting for $what" >&2; return 1; }
    sleep 10
  done
}

T0=$SECONDS
docker/stage-jars.sh
step "building the odpo image"
"${DC[@]}" build -q generator
step "starting Kafka and the schema registry"
"${DC[@]}" up -d kafka schema-registry
T_UP=$SECONDS

step "training a small pi0 and proxy reward model in containers"
"${DC[@]}" run --rm odpo sft --out /var/lib/odpo/models/pi0 --steps 40 --batch-size 16 --hidden 32 --layers 1 \
  --demonstrations 512 --eval-prompts 0 >/dev/null
"${DC[@]}" run --rm odpo train-reward-model --base /var/lib/odpo/models/pi0 --out /var/lib/odpo/models/reward-model \
  --label-policy-samples 32 --epochs 1 >/dev/null
"${DC[@]}" run --rm odpo checkpoints publish --model /var/lib/odpo/models/pi0 --policy policy >/dev/null

step "starting the services"
"${DC[@]}" up -d
step "sending prompts from the host to localhost:$ODPO_KAFKA_PORT"
send_prompts 0 64
wait_for 600 "version 1" version_above 0
step "first published version after $((SECONDS - T_UP))s from 'up'"
wait_for 600 "an evaluation" evaluated
step "evaluation published"

before="$(max_version)"
learner="$("${DC[@]}" ps -q learner)"
restarts="$(docker inspect -f '{{.RestartCount}}' "$learner")"
pid="$(docker inspect -f '{{.State.Pid}}' "$learner")"
step "killing the learner's JVM (pid $pid on this machine) at version $before"
kill -KILL "$pid"
wait_for 180 "the learner's restart" restarted "$learner" $((restarts + 1))
step "learner restarted"
send_prompts 1000 64
wait_for 600 "a version after $before" version_above "$before"
step "the loop continued: version $(max_version) published after the restart"
