# Sourced, not run: puts the project's own Node and pnpm first on PATH (see bootstrap.sh).
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$_root/.tools/bin"
if [ -x "$_root/.tools/node/bin/node" ]; then
  export PATH="$_root/.tools/node/bin:$PATH"
fi
# A tiny shim so `pnpm` is the pinned version whatever else is installed.
if [ -f "$_root/.tools/pnpm/bin/pnpm.cjs" ] && [ ! -x "$_root/.tools/bin/pnpm" ]; then
  printf '#!/bin/sh\nexec node "%s/.tools/pnpm/bin/pnpm.cjs" "$@"\n' "$_root" > "$_root/.tools/bin/pnpm"
  chmod +x "$_root/.tools/bin/pnpm"
fi
export PATH="$_root/.tools/bin:$PATH"
unset _root
export TURBO_TELEMETRY_DISABLED=1
