#!/usr/bin/env bash
# Builds the library, the binary and the test binary with AddressSanitizer and
# UndefinedBehaviorSanitizer (g++) into ./build-asan (or $ASAN_BUILD_DIR) and runs the unit and
# integration tests under them. A memory error, a leak at exit or any undefined behaviour fails
# the test suite it happens in (UBSan does not recover). Extra arguments (-j N) go to
# scripts/run-test-suites.sh.
# Left to the ordinary build (scripts/test.sh): the SIGKILL crash loops and the load test
# (timing-bound, several times slower under ASan), the valgrind run (valgrind cannot run an
# ASan binary) and the Debian package test (packages the ordinary binary).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
build_dir="${ASAN_BUILD_DIR:-build-asan}"
# Warnings stay warnings here: the ordinary build makes them errors under CI, and g++ 12 warns
# about instrumented code where nothing is wrong (maybe-uninitialized in boost::variant2 and in
# std::regex, mismatched-new-delete on Asio's coroutine frames).
werror=OFF
if [[ ! -f "$build_dir/build.ninja" ]] || [[ "${CI:-}" == "true" ]]; then
  # -O1 -g1 (line tables only): what ASan recommends, and a much shorter build than -O2 -g.
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_COMPILER=g++ \
    -DBSCHED_SANITIZE=address,undefined -DBSCHED_WERROR="$werror" >/dev/null
fi
cmake --build "$build_dir" --target boomi-sched boomi-sched-tests
export ASAN_OPTIONS="detect_leaks=1:strict_init_order=1:detect_stack_use_after_return=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# The simulation's seed budget (tests/simulation) is shorter here: the same code runs several
# times slower under the sanitizers, and a few hundred seeds already exercise every path.
export BSCHED_SIM_SECONDS="${BSCHED_SIM_SECONDS:-20}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# The test binary runs once per test suite (scripts/run-test-suites.sh): under ASan each
# process takes about 1.2 s to start and exit, which once per test case came to about 9 of the
# stage's 16 minutes of tests. Then the ctest entries that are not doctest cases.
scripts/run-test-suites.sh "$build_dir/boomi-sched-tests" "$@" \
  -x "SIGKILL at random moments*" -x "SIGKILL around large bursts*" \
  -x "fifty jobs every 2 seconds*" -x "the Debian package builds*" \
  -x "*no memory error and no definite leak*"
cd "$build_dir"
ctest --output-on-failure --timeout 900 -R "^(browser|build): "
