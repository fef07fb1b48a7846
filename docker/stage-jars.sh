#!/usr/bin/env bash
# Copies the jars the odpo command line runs (as built by ./mvnw -B package -DskipTests) to docker/lib, for
#   docker build -f docker/Dockerfile --build-arg JARS=host .
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CP="$ROOT/cli/target/classpath.txt"
JAR="$(ls "$ROOT"/cli/target/odpo-cli-*.jar 2>/dev/null | grep -v -e '-sources' -e '-javadoc' | head -n 1 || true)"
if [[ ! -f "$CP" || -z "$JAR" ]]; then
  echo "odpo is not built yet: run ./mvnw -B package -DskipTests first" >&2
  exit 1
fi
rm -rf "$ROOT/docker/lib"; mkdir -p "$ROOT/docker/lib"
# shellcheck disable=SC2046
cp $(tr ':' ' ' < "$CP") "$JAR" "$ROOT/docker/lib/"
echo "staged $(ls "$ROOT/docker/lib" | wc -l) jars ($(du -sh "$ROOT/docker/lib" | cut -f1)) in docker/lib"
