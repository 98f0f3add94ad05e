#!/usr/bin/env bash
# Quick mode of the benchmark suite, for CI: N = 1k and 10k, one round each (well under 60 s).
# Proves the suite, the C floor and the ctypes baseline still build and agree with the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
export WFP_BENCH_QUICK=1
exec python -m pytest benchmarks/ -q -p no:cacheprovider --benchmark-columns=min,max,rounds \
    --benchmark-sort=name "$@"
