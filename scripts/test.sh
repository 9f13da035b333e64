#!/usr/bin/env bash
# `pnpm test`: lint, typecheck and build two tasks at a time (the machine's two cores; only
# deploy-checks' lint also downloads, its tools), then every test task one at a time (they share
# the local stack and its ports). Arguments (e.g. --filter=…) go to both turbo runs. Fails if
# either failed; a build that failed is tried again by the tests' ^build, and says so twice.
set -uo pipefail
status=0
turbo run lint typecheck build --continue --concurrency=2 "$@" || status=$?
turbo run test test:secure test:redis-cluster test:platformatic reliability --continue --concurrency=1 "$@" || status=$?
exit "$status"
