#!/usr/bin/env bash
# `make test`'s suite: every module on $WORKERS pytest-xdist workers (a module stays on one
# worker, so its shared Ray fixtures start once), then a second look at failures.
#
# Tests marked `solo` (Ray Serve proxies, clusters of their own: job submission, multi-node)
# can fail for a reason the others cannot: starved of CPU by the other worker's Ray cluster, a
# proxy fails its health check and is restarted under the test, a node misses Ray's fixed 30 s
# start-up deadline, or a head's job agent is not up in time. A `solo` test that failed is
# therefore run again alone; the suite fails if it fails again, and fails at once if any other
# test failed. Both failures stay in the log.
#
# usage: scripts/run_tests.sh PYTHON WORKERS [pytest args...]
set -uo pipefail

PY="$1"
WORKERS="$2"
shift 2

# This run's own cache: --lf below must see this run's failures, not an earlier run's.
CACHE="$(mktemp -d)"
trap 'rm -rf "$CACHE"' EXIT
RUN=(-o "cache_dir=$CACHE" "$@")

"$PY" -m pytest -n "$WORKERS" --dist loadfile --no-loadscope-reorder "${RUN[@]}"
status=$?
if [ "$status" -ne 1 ]; then  # passed, or not a test failure (collection error, interrupt)
    exit "$status"
fi

# Which tests failed is in pytest's cache (--lf); --lfnf=none selects nothing when none did.
"$PY" -m pytest --lf --lfnf=none -m "not solo" --collect-only -q "${RUN[@]}" >/dev/null 2>&1
others=$?
if [ "$others" -ne 5 ]; then  # 5: no test collected, so every failure was a `solo` test
    echo "[test] failures outside the solo tests: the suite failed" >&2
    exit 1
fi
echo "[test] only solo tests failed beside another worker: running them again alone" >&2
"$PY" -m pytest --lf --lfnf=none -m solo "${RUN[@]}"
