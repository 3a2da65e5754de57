#!/usr/bin/env bash
# Smoke run of the scale benchmarks (tools/bench/poll, scale, floor) at a tiny size: they
# must run end to end and every device must answer. Timing is never checked here; the
# figures are docs/BENCHMARKS.md's business. Needs TRINET_BUILD_DIR (set by ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() {
  echo "+ $*"
  if ! "$@" >"$out" 2>&1; then
    cat "$out"
    echo "bench_smoke: $1 failed" >&2
    exit 1
  fi
  cat "$out"
}

expect() {
  grep -Eq "$1" "$out" || { echo "bench_smoke: expected /$1/ in the output above" >&2; exit 1; }
}

run tools/bench/scale --devices 20,40 --concurrency 20
expect '^ +40 +poll .* 40 \(100\.00%\)'
expect 'growth against N = 20'

run tools/bench/poll --devices 30 --concurrency 10
expect 'trinetd poll: .* answered 30/30'
expect 'snmp_exporter: .* answered 30/30'
expect 'CPU per device poll, trinetd / snmp_exporter: [0-9.]+'

run tools/bench/floor --devices 20 --wide-ports 200 --concurrency 10
expect 'answered 20/20'
expect 'trinetd cpu per varbind / snmpbulkwalk'
echo "bench_smoke: ok"
