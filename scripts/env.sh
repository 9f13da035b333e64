# Sourced, not run: puts the project's own Node and pnpm first on PATH (see bootstrap.sh).
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where bootstrap.sh installed them: .tools/ unless KAFKA_ECS_TOOLS_DIR says otherwise.
_tools="${KAFKA_ECS_TOOLS_DIR:-$_root/.tools}"
if [ -x "$_tools/node/bin/node" ]; then
  export PATH="$_tools/node/bin:$PATH"
fi
# A tiny shim so `pnpm` is the pinned version whatever else is installed.
if [ -f "$_tools/pnpm/bin/pnpm.cjs" ]; then
  mkdir -p "$_tools/bin"
  _shim="#!/bin/sh
exec node \"$_tools/pnpm/bin/pnpm.cjs\" \"\$@\""
  if [ "$(cat "$_tools/bin/pnpm" 2>/dev/null)" != "$_shim" ]; then
    printf '%s\n' "$_shim" > "$_tools/bin/pnpm"
    chmod +x "$_tools/bin/pnpm"
  fi
  unset _shim
fi
export PATH="$_tools/bin:$PATH"
# Turborepo's anonymous telemetry is opt-out; this project opts out.
export TURBO_TELEMETRY_DISABLED=1
unset _root _tools
