# Sourced, not run: puts the project's own Node and pnpm first on PATH (see bootstrap.sh).
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$_root/.tools/node/bin/node" ]; then
  export PATH="$_root/.tools/node/bin:$PATH"
fi
# A tiny shim so `pnpm` is the pinned version whatever else is installed.
if [ -f "$_root/.tools/pnpm/bin/pnpm.cjs" ]; then
  mkdir -p "$_root/.tools/bin"
  _shim="#!/bin/sh
exec node \"$_root/.tools/pnpm/bin/pnpm.cjs\" \"\$@\""
  if [ "$(cat "$_root/.tools/bin/pnpm" 2>/dev/null)" != "$_shim" ]; then
    printf '%s\n' "$_shim" > "$_root/.tools/bin/pnpm"
    chmod +x "$_root/.tools/bin/pnpm"
  fi
  unset _shim
fi
export PATH="$_root/.tools/bin:$PATH"
# Turborepo's anonymous telemetry is opt-out; this project opts out.
export TURBO_TELEMETRY_DISABLED=1
unset _root
