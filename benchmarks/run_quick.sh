#!/usr/bin/env bash
# Quick mode of the benchmark suite, for CI: N = 1k and 10k, one round each (well under 60 s).
# Proves the suite, the C floor and the ctypes baseline still build and agree with the engine.
# Needs wfp importable (pip install '.[test,bench]', or an in-place build) and gcc.
set -euo pipefail
cd "$(dirname "$0")/.."
export WFP_BENCH_QUICK=1
# -P: the repository root must not shadow an installed wfp with its unbuilt sources.
exec python -P -m pytest benchmarks/ -q -p no:cacheprovider --benchmark-columns=min,max,rounds \
    --benchmark-sort=name "$@"
