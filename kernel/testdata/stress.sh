#!/bin/sh
# The kernel's stress run (make stress): the conformance suite and the
# ordering tests (interrupts, stop_on_error, iopub), both kernelspecs,
# RUNS times in a row while another process keeps one core busy. Any
# failure fails the run; the figure is printed at the end.
#   kernel/testdata/stress.sh FSC_KERNEL_BINARY [RUNS]
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-50}
python=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
hog=
cleanup() { [ -n "$hog" ] && kill "$hog" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
export JUPYTER_DATA_DIR="$tmp/data" JUPYTER_RUNTIME_DIR="$tmp/runtime" JUPYTER_PLATFORM_DIRS=1 \
  FSC_NODE=http://127.0.0.1:1 PYTHONDONTWRITEBYTECODE=1
"$bin" install --user >/dev/null
sh -c 'while :; do :; done' &
hog=$!
cd "$here"
start=$(date +%s)
failures=0
i=1
while [ "$i" -le "$runs" ]; do
  if "$python" -m unittest conformance ordering >"$tmp/run.log" 2>&1 && grep -q '^OK' "$tmp/run.log" && ! grep -q skipped "$tmp/run.log"; then
    echo "run $i/$runs: ok ($(grep '^Ran' "$tmp/run.log"))"
  else
    failures=$((failures + 1))
    echo "run $i/$runs: FAILED"
    grep -E '^(FAIL|ERROR):|Error' "$tmp/run.log" || tail -n 30 "$tmp/run.log"
  fi
  i=$((i + 1))
done
echo "stress: $runs runs per language (python, lua), $failures failed, $(( $(date +%s) - start )) s, one core kept busy"
[ "$failures" -eq 0 ]
