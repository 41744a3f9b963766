#!/bin/sh
# Checks the hardening of a built binary (CMakeLists.txt, BSCHED_HARDENING):
#   sh check_hardening.sh BINARY [BUILD_TYPE]
# Full RELRO: a GNU_RELRO segment and BIND_NOW (FLAGS BIND_NOW or FLAGS_1 NOW). PIE: ELF type
# DYN. Stack canaries: __stack_chk_fail among the dynamic symbols. _FORTIFY_SOURCE (optimised
# builds only): some __*_chk function among them. Prints every failed check; exit 1 if any.
set -u
bin=${1:?usage: check_hardening.sh BINARY [BUILD_TYPE]}
build_type=${2:-}
command -v readelf >/dev/null 2>&1 || { echo "readelf (binutils) is needed"; exit 1; }
[ -f "$bin" ] || { echo "no binary at $bin"; exit 1; }

failed=0
fail() { echo "NOT HARDENED: $*"; failed=1; }

dynamic=$(readelf -d -W "$bin")
segments=$(readelf -l -W "$bin")
header=$(readelf -h -W "$bin")
symbols=$(readelf --dyn-syms -W "$bin")

echo "$segments" | grep -q 'GNU_RELRO' || fail "no GNU_RELRO segment (link with -Wl,-z,relro)"
echo "$dynamic" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*[[:space:]]NOW' ||
  fail "no BIND_NOW: RELRO is partial (link with -Wl,-z,now)"
echo "$header" | grep -Eq 'Type:[[:space:]]+DYN' || fail "not a position-independent executable"
echo "$symbols" | grep -q '__stack_chk_fail' ||
  fail "no __stack_chk_fail: no stack canaries (-fstack-protector-strong)"
case "$build_type" in
  Debug | "") ;;  # _FORTIFY_SOURCE works only with optimisation
  *) echo "$symbols" | grep -Eq '__[a-z_]+_chk(@|[[:space:]]|$)' ||
       fail "no __*_chk function: _FORTIFY_SOURCE is off" ;;
esac
[ "$failed" -eq 0 ] && echo "hardened: full RELRO, PIE, stack canaries${build_type:+ ($build_type)}"
exit "$failed"
