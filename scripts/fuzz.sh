#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) into ./build-fuzz (or $FUZZ_BUILD_DIR) and
# runs each for a fixed budget ($FUZZ_SECONDS, default 60) from its seed corpus in
# tests/fuzz/corpus/TARGET/. New inputs go to a scratch copy, so the corpus in the repository
# stays small; a crash leaves its input as build-fuzz/crash-* and fails the script.
# Without clang++ it says so and exits 0 (the ordinary build still compiles the targets); under
# CI=true it installs clang first (scripts/install-deps.sh --test), so there the stage always runs.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ "${CI:-}" == "true" ]] && scripts/install-deps.sh --test
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found, fuzz targets not run (apt-get install clang libclang-rt-14-dev)" >&2
  exit 0
fi
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
targets=(fuzz_config fuzz_schedule fuzz_platform_json)
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DBSCHED_FUZZ=ON >/dev/null
fi
cmake --build "$build_dir" --target "${targets[@]}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
for t in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/${t#fuzz_}"
  work="$build_dir/corpus-$t"
  rm -rf "$work" && mkdir -p "$work"
  dict=(); [[ -f "tests/fuzz/${t#fuzz_}.dict" ]] && dict=(-dict="tests/fuzz/${t#fuzz_}.dict")
  echo "fuzz: $t for ${seconds}s from $seeds" >&2
  "$build_dir/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build_dir/" "${dict[@]}" "$work" "$seeds"
done
