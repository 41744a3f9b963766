#!/usr/bin/env bash
# Configures and builds boomi-sched into ./build (or $BUILD_DIR). Extra arguments go to
# `cmake --build` (e.g. --target boomi-sched). Under CI=true warnings are errors and the build
# is -O1 -g1 instead of -O2 -g: CI checks behaviour, not speed, and this halves the compile
# time (a backtrace still names file and line). Releases and local builds keep -O2 -g.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
werror=OFF
ci_flags=()
if [[ "${CI:-}" == "true" ]]; then
  werror=ON
  ci_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")
fi
if [[ ! -f "$build_dir/build.ninja" ]] || [[ "${CI:-}" == "true" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DBSCHED_WERROR="$werror" "${ci_flags[@]}" >/dev/null
fi
cmake --build "$build_dir" "$@"
