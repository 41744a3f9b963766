#!/usr/bin/env bash
# Installs the Debian packages boomi-sched needs to build, run and test.
# Idempotent: when everything is present it only checks (well under a second).
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also the tools the test suite uses
set -euo pipefail

build_pkgs=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libyaml-cpp-dev libspdlog-dev libsqlite3-dev libssl-dev libpq-dev
  libhowardhinnant-date-dev libcli11-dev doctest-dev tzdata
)
# postgresql-15: the PostgreSQL tests start a private cluster of their own (tests/support/pg_cluster.h).
# clang with libclang-rt-14-dev (libFuzzer and clang's sanitizer runtimes, only a Recommends of
# clang, so named here) builds the fuzz targets of scripts/fuzz.sh; g++ brings its own ASan/UBSan.
test_pkgs=(sqlite3 postgresql-15 openssl systemd python3-croniter python3-apscheduler python3-requests cron curl jq dpkg-dev file
           valgrind chromium chromium-driver python3-selenium prometheus
           clang libclang-rt-14-dev)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

# Node.js and npm: the machine image may carry its own build; take Debian's only when none is there.
if [[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# JavaScript tools used by the differential and schema tests (kept out of the repository).
if [[ "${1:-}" == "--test" ]]; then
  tools_dir="${BOOMI_SCHED_TOOLS:-$HOME/.cache/boomi-sched-tools}"
  if [[ ! -f "$tools_dir/.installed-v1" ]]; then
    mkdir -p "$tools_dir"
    (cd "$tools_dir" && npm install --silent --no-audit --no-fund cron-parser@4 ajv@8 ajv-cli@5 ajv-formats@2 >/dev/null)
    touch "$tools_dir/.installed-v1"
  fi
fi
