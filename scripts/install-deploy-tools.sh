#!/usr/bin/env bash
# Installs the deploy validation tools into the git-ignored .tools/ folder, never touching the
# system:
#   - cfn-lint (AWS's CloudFormation linter), checkov (a policy scanner for the CloudFormation
#     addons and the GitHub workflows) and moto[server] (an AWS API emulator the ECS rollout
#     tests run against) into a Python virtualenv at .tools/venv;
#   - actionlint (the GitHub Actions workflow linter), built from its Go module into .tools/bin.
#
# Idempotent and quiet when everything is in place; safe to run from several test runs at once
# (one holds a lock, the others wait); every step is bounded in time; a failure is one line that
# says what is wrong, with the details in .tools/deploy-tools.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
LOG="$TOOLS/deploy-tools.log"

# Pinned versions: bump them here, the stamp below reinstalls on the next run.
CFN_LINT_VERSION="1.58.0"
CHECKOV_VERSION="3.3.30"
MOTO_VERSION="5.2.5"
ACTIONLINT_VERSION="v1.7.12"
STEP_TIMEOUT_S="${DEPLOY_TOOLS_STEP_TIMEOUT_S:-240}"

say() { printf '[deploy-tools] %s\n' "$*" >&2; }
die() { printf '[deploy-tools] error: %s\n' "$*" >&2; exit 1; }

python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null
}

ensure_python_tools() {
  local stamp="$VENV/.kafka-ecs-deploy-tools" want="cfn-lint==$CFN_LINT_VERSION checkov==$CHECKOV_VERSION moto[server]==$MOTO_VERSION"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/cfn-lint" ] \
     && [ -x "$VENV/bin/checkov" ] && [ -x "$VENV/bin/moto_server" ]; then
    return 0
  fi
  local python
  python="$(command -v python3 || true)"
  [ -n "$python" ] && python_ok "$python" \
    || die "Python 3.9+ is needed for cfn-lint, checkov and moto: sudo apt-get install python3 python3-venv"
  say "installing $want into .tools/venv"
  if [ ! -x "$VENV/bin/python" ]; then
    timeout "$STEP_TIMEOUT_S" "$python" -m venv "$VENV" >>"$LOG" 2>&1 \
      || die "could not create .tools/venv (is python3-venv installed? sudo apt-get install python3-venv); see .tools/deploy-tools.log"
  fi
  # shellcheck disable=SC2086 # $want is three requirement specifiers on purpose
  timeout "$STEP_TIMEOUT_S" "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-input $want >>"$LOG" 2>&1 \
    || die "pip could not install $want from PyPI (network or index settings?); see .tools/deploy-tools.log"
  "$VENV/bin/cfn-lint" --version >>"$LOG" 2>&1 || die "cfn-lint was installed but does not run; see .tools/deploy-tools.log"
  "$VENV/bin/checkov" --version >>"$LOG" 2>&1 || die "checkov was installed but does not run; see .tools/deploy-tools.log"
  printf '%s' "$want" >"$stamp"
}

ensure_actionlint() {
  local bin="$TOOLS/bin/actionlint"
  if [ -x "$bin" ] && [ "$("$bin" -version 2>/dev/null | head -n1)" = "$ACTIONLINT_VERSION" ]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 \
    || die "Go 1.24+ is needed to build actionlint: sudo apt-get install golang (or see go.dev/doc/install)"
  say "building actionlint $ACTIONLINT_VERSION into .tools/bin"
  GOBIN="$TOOLS/bin" GOFLAGS="-buildvcs=false -trimpath" \
    timeout "$STEP_TIMEOUT_S" go install \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >>"$LOG" 2>&1 \
    || die "could not build actionlint $ACTIONLINT_VERSION with go install (Go module proxy reachable?); see .tools/deploy-tools.log"
  "$bin" -version >/dev/null 2>&1 || die "actionlint was built but does not run; see .tools/deploy-tools.log"
}

mkdir -p "$TOOLS/bin"
# One installer at a time (parallel test runs call this too); the others wait, then find it done.
exec 9>"$TOOLS/deploy-tools.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w $((STEP_TIMEOUT_S * 2 + 60)) 9 || die "another install of the deploy tools has held .tools/deploy-tools.lock for too long"
fi
ensure_python_tools
ensure_actionlint
