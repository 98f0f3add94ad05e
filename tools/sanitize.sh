#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer run of the C core and the embedded engine.
#
#   tools/sanitize.sh            C test suites, then the extension and a slice of the Python tests
#   tools/sanitize.sh --c-only   only the C test suites
#   tools/sanitize.sh --python-only   only the extension and the Python slice (CI: the default
#                                     pytest run already ran the C suites under the sanitizers)
#
# 1. `make ctest` builds tests/c/test_sim*.c with -fsanitize=address,undefined (leak checking on)
#    and runs them.
# 2. A copy of the source tree (tracked and untracked, not ignored files) gets the extension built
#    in place with the same sanitizers, so the developer's own in-place build is left alone.
# 3. The Python slice runs against that copy with the ASan runtime preloaded (CPython itself is
#    not instrumented, so leak checking is off there; the C suites check leaks).  Every sanitizer
#    report of every process, subprocesses included, goes to a log file under the reports folder;
#    any such file fails the run even when the test that caused it caught the crash.
#
# Environment: PYTHON (default python3), WFP_SAN_DIR (default build/sanitize),
# WFP_FUZZ_SECONDS (per fuzz harness in the slice, default 10), WFP_SAN_PYTEST_ARGS (extra args).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
python=${PYTHON:-python3}
work=${WFP_SAN_DIR:-$root/build/sanitize}
reports=$work/reports
san_flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"

elapsed() { echo "$(( $(date +%s) - start ))s"; }

rm -rf "$reports"
mkdir -p "$reports"

if [ "${1:-}" != "--python-only" ]; then
    echo "sanitize: C suites (ASan+UBSan, leak checking on)"
    make -j2 --no-print-directory BUILD="$work/ctest" ctest
    echo "sanitize: C suites passed after $(elapsed)"
fi
if [ "${1:-}" = "--c-only" ]; then
    exit 0
fi

if ! "$python" -c "import Cython, setuptools" 2>/dev/null; then
    "$python" -m pip install -q "Cython>=3.0" setuptools wheel
fi

echo "sanitize: building the extension with ASan+UBSan in $work/tree"
rm -rf "$work/tree"
mkdir -p "$work/tree"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$work/tree"
(
    cd "$work/tree"
    CFLAGS="$san_flags" LDFLAGS="-fsanitize=address,undefined" \
        "$python" setup.py -q build_ext --inplace -j2 >"$work/build.log" 2>&1 \
        || { cat "$work/build.log"; exit 1; }
)
# grep reads all of nm's output (no -q) so that pipefail never sees nm die of SIGPIPE.
if ! nm -u "$work/tree"/wfp/_core*.so | grep __asan_init >/dev/null; then
    echo "sanitize: the extension was built without ASan instrumentation" >&2
    exit 1
fi
echo "sanitize: extension built after $(elapsed)"

asan_runtime=$(gcc -print-file-name=libasan.so)
export LD_PRELOAD=$asan_runtime
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export WFP_FUZZ_SECONDS=${WFP_FUZZ_SECONDS:-10}
status=0
(
    cd "$work/tree"
    # The slice: the API suites (every binding call path), the bad-input catalogue, the property,
    # crash-safety and concurrency tests at their default sizes, and the short fuzz runs.
    # shellcheck disable=SC2086
    "$python" -m pytest -q -p no:cacheprovider tests/api tests/unit/test_fields.py \
        tests/reliability tests/fuzz ${WFP_SAN_PYTEST_ARGS:-}
) || status=$?
unset LD_PRELOAD

if compgen -G "$reports/*" >/dev/null; then
    echo "sanitize: sanitizer reports found:" >&2
    for report in "$reports"/*; do
        echo "==== $report" >&2
        head -60 "$report" >&2
    done
    exit 1
fi
if [ "$status" != 0 ]; then
    echo "sanitize: Python slice failed (exit $status) after $(elapsed)" >&2
    exit "$status"
fi
echo "sanitize: clean after $(elapsed)"
