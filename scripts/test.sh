#!/usr/bin/env bash
# `pnpm test`: lint, typecheck and build two tasks at a time (one a core), then every test task
# one at a time (they share the local stack and its ports). Arguments (e.g. --filter=…) go to
# both turbo runs. Fails if either failed. A build that failed is tried again by the tests'
# ^build, so its error shows twice.
set -uo pipefail
status=0
turbo run lint typecheck build --continue --concurrency=2 "$@" || status=$?
turbo run test test:secure test:redis-cluster test:platformatic reliability --continue --concurrency=1 "$@" || status=$?
exit "$status"
