#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the daemon on its
# embedded default (the built-in simulator, a temporary database and demo jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --target boomi-sched
exec "${BUILD_DIR:-build}/boomi-sched" run --dev "$@"
