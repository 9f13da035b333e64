#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (the producer's GraphQL IDE test drives it
# with playwright-core). Quiet when it is already there; one clear line when it cannot be had.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0

say() { printf '[test-browser] %s\n' "$*" >&2; }
die() { printf '[test-browser] error: %s\n' "$*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 \
  || die "$CHROMIUM is missing and there is no apt-get here: install Chromium and set CHROMIUM_PATH"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
log="$(mktemp)"
say "installing Debian's chromium for the browser tests (once)"
# Serialised: two test runs may ask at once, and apt-get holds its own lock anyway.
if ! flock /tmp/kafka-ecs-apt.lock timeout 600 bash -c \
  "$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium" \
  >"$log" 2>&1; then
  tail -n 5 "$log" >&2
  die "could not install chromium with apt-get; install it by hand: sudo apt-get install chromium"
fi
rm -f "$log"
[ -x "$CHROMIUM" ] || die "chromium installed but $CHROMIUM is missing; set CHROMIUM_PATH"
