#!/bin/bash
# The health check docker-compose.yml runs against the apache/kafka image, for this image: succeeds once the
# broker answers a Kafka ApiVersions request (v0) on the given address, i.e. once it serves requests.
# Usage: kafka-broker-api-versions.sh --bootstrap-server HOST:PORT
set -euo pipefail
server="127.0.0.1:9092"
while [ $# -gt 0 ]; do
  case "$1" in --bootstrap-server) server="$2"; shift 2 ;; *) shift ;; esac
done
exec 3<>"/dev/tcp/${server%:*}/${server##*:}"
# size 10 | api key 18 (ApiVersions) | version 0 | correlation id 1 | null client id
printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\xff\xff' >&3
[ "$(timeout 5 head -c 4 <&3 | wc -c)" -eq 4 ]
