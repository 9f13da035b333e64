#!/usr/bin/env bash
# Runs a command against the secure stack (SASL_SSL Kafka, TLS + password Redis), starting it if
# needed, with the variables of .stack/secure.env in its environment: how a package's suites run a
# second time over encrypted, authenticated connections (`pnpm test:secure` in the services).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_file="$(cd "$here" && pnpm -s run stack up --secure)"
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a
exec "$@"
