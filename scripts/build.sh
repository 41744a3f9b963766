#!/usr/bin/env bash
# Configures and builds boomi-sched into ./build (or $BUILD_DIR). Extra arguments go to
# `cmake --build` (e.g. --target boomi-sched). Under CI=true warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
werror=OFF; [[ "${CI:-}" == "true" ]] && werror=ON
if [[ ! -f "$build_dir/build.ninja" ]] || [[ "${CI:-}" == "true" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DBSCHED_WERROR="$werror" >/dev/null
fi
cmake --build "$build_dir" "$@"
