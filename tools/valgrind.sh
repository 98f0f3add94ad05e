#!/usr/bin/env bash
# Memcheck of the C test suites (tests/c/test_sim*.c and tests/c/test_ids.c), built without
# sanitizers: zero errors and zero leaks.  A definitely, indirectly or possibly lost block is an
# error; "still reachable" blocks (process-wide tables alive at exit) are reported, not failed.
#
# Environment: WFP_VALGRIND_DIR (default build/valgrind).  Suites run in their quick mode
# (WFP_SIM_TEST_QUICK=1) because memcheck is some 20-50 times slower than native code.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
work=${WFP_VALGRIND_DIR:-$(pwd)/build/valgrind}
mkdir -p "$work/logs"
rm -f "$work"/logs/*

suites=()
for source in tests/c/test_sim*.c; do
    name=$(basename "$source" .c)
    [ "$name" = test_sim_common ] && continue
    suites+=("$work/plain/$name")
done
make -j2 --no-print-directory BUILD="$work" "${suites[@]}"
gcc -std=c11 -Wall -Wextra -Werror -g -O1 -Iinclude -o "$work/plain/test_ids" \
    src/core/ids.c src/core/errors.c tests/c/test_ids.c
suites+=("$work/plain/test_ids")

failed=0
for binary in "${suites[@]}"; do
    name=$(basename "$binary")
    log=$work/logs/$name.log
    rc=0
    WFP_SIM_TEST_QUICK=1 valgrind --leak-check=full --show-leak-kinds=all \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        --track-origins=yes --log-file="$log" "$binary" >/dev/null || rc=$?
    summary=$(grep -E "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== //' || true)
    reachable=$(grep -E "still reachable:" "$log" | tail -1 | sed 's/^==[0-9]*== *//' || true)
    echo "valgrind: $name: exit $rc; $summary${reachable:+; $reachable}"
    if [ "$rc" != 0 ]; then
        failed=1
        grep -v "^==[0-9]*== *$" "$log" | head -80 >&2
    fi
done
if [ "$failed" != 0 ]; then
    echo "valgrind: FAILED after $(( $(date +%s) - start ))s" >&2
    exit 1
fi
echo "valgrind: zero errors, zero leaks after $(( $(date +%s) - start ))s"
