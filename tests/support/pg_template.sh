#!/usr/bin/env bash
# Usage: pg_template.sh DEST
# Makes an empty PostgreSQL 15 cluster (initdb) in DEST, once: an existing one is kept. The
# tests' private clusters (tests/support/pg_cluster.h) start from a copy of it, which takes a
# tenth of initdb's time; ctest makes it once per build directory (its "setup:" test), a test
# binary run by hand makes its own. As root the files belong to the `postgres` user, since
# PostgreSQL refuses to run as root. Without PostgreSQL it says so and succeeds: the tests
# that need a cluster fail with the same message.
set -euo pipefail
dest=${1:?usage: pg_template.sh DEST}
bin=/usr/lib/postgresql/15/bin
[[ -f "$dest/PG_VERSION" ]] && exit 0
if [[ ! -x "$bin/initdb" ]]; then
  echo "PostgreSQL 15 is not installed ($bin/initdb is missing): run scripts/install-deps.sh --test"
  exit 0
fi
work=$(mktemp -d /tmp/bsched-pg-initdb-XXXXXX)
trap 'rm -rf "$work"' EXIT
as=()
if [[ $(id -u) == 0 ]]; then
  chown postgres "$work"
  as=(runuser -u postgres --)
fi
if ! timeout 60 "${as[@]}" "$bin/initdb" -D "$work/data" -A trust -U postgres -E UTF8 \
  --no-sync >"$work/initdb.log" 2>&1; then
  echo "initdb failed:"
  tail -n 30 "$work/initdb.log"
  exit 1
fi
# Copied beside DEST and renamed: a reader never sees half a cluster, and of two writers at
# once the second keeps the first one's.
mkdir -p "$(dirname "$dest")"
cp -a "$work/data" "$dest.partial.$$"
mv -T "$dest.partial.$$" "$dest" 2>/dev/null || rm -rf "$dest.partial.$$"
