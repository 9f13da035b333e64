#!/usr/bin/env bash
# Runs a command against the local Redis Cluster (three masters, one replica each), starting it if
# needed, with its variables (REDIS_URL, REDIS_CLUSTER=true) in the command's environment: how a
# package's suites run a second time on a cluster (`pnpm test:redis-cluster` in the consumer).
# Kafka stays the plain stack's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vars="$(cd "$here" && pnpm -s run stack up --redis-cluster)"
while IFS= read -r line; do
  [[ "$line" == *=* ]] && export "${line?}"
done <<<"$vars"
exec "$@"
