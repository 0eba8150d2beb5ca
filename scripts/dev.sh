#!/usr/bin/env bash
# One entry point that installs what is missing on a fresh Debian machine, then runs a task.
#   bash scripts/dev.sh demo   # build, start an in-process emulator, run the demo against it
#   bash scripts/dev.sh test   # build the packages, then every test (starts its own redis-server and emulators)
#   bash scripts/dev.sh setup  # only install
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

PNPM_VERSION=10.34.9

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

setup() {
  if ! command -v node >/dev/null; then
    echo "Node.js >= 20.19 is required (https://nodejs.org)" >&2
    exit 1
  fi
  if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
    echo "installing pnpm $PNPM_VERSION"
    as_root npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
  fi
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "installing redis-server (tests run against a real one)"
    as_root apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  pnpm install --frozen-lockfile --reporter=silent
}

case "${1:-}" in
  setup) setup ;;
  test) setup && pnpm test ;;
  demo) setup && pnpm demo ;;
  *)
    echo "usage: bash scripts/dev.sh setup|test|demo" >&2
    exit 2
    ;;
esac
