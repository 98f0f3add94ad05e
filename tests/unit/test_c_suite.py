"""The embedded engine's C test suite (tests/c/test_sim_*.c), run through the top-level Makefile.

`make ctest` builds every suite with -fsanitize=address,undefined and runs it; each case prints
"ok <suite>/<case>" or "FAIL <suite>/<case>", each suite a "# <suite>: P passed, F failed" line.
`make valgrind` runs the same suites, unsanitized and smaller, under valgrind.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every case the suites must run: a case that silently disappears is a failure too.
EXPECTED = {
    "objects": {
        "builtins", "provider_lifecycle", "sublayer_lifecycle", "filter_validation",
        "filter_check_order", "lifetimes", "dynamic_delete_rules", "weights", "filter_ids",
        "deep_copy_roundtrip", "layers", "handles", "inject_failure", "app_ids",
    },
    "txn": {
        "misuse", "abort_restores_exact_state", "commit_and_own_view", "dynamic_sessions",
        "abort_after_owner_closed", "close_during_foreign_txn", "lock_timeout", "read_only_shared", "concurrent_sessions",
        "engines_are_independent",
    },
    "enum": {
        "basic_templates", "containment", "greater_not_equal_and_blobs", "ordering",
        "paging_and_snapshot", "providers_sublayers_layers",
    },
    "persist": {
        "round_trip", "saves_at_commit", "damaged_files", "failed_save_rolls_back",
        "reload_keeps_dynamic", "two_processes",
    },
    "perf": {"scale"},
}

RESULT = re.compile(r"^(ok|FAIL) (\w+)/(\w+)", re.MULTILINE)
SUMMARY = re.compile(r"^# (\w+): (\d+) passed, (\d+) failed$", re.MULTILINE)


def run_make(target: str, timeout: int) -> subprocess.CompletedProcess[str]:
    if shutil.which("gcc") is None or shutil.which("make") is None:
        pytest.skip("gcc and make are needed to build the C suite")
    env = dict(os.environ, CC="gcc")
    return subprocess.run(["make", "-j2", target], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)


def check_output(run: subprocess.CompletedProcess[str], banner: str) -> None:
    output = run.stdout + run.stderr
    results = RESULT.findall(run.stdout)
    failed = [f"{suite}/{case}" for status, suite, case in results if status == "FAIL"]
    assert not failed, f"failing C cases: {failed}\n{output[-6000:]}"
    assert run.returncode == 0, output[-6000:]
    passed: dict[str, set[str]] = {}
    for _, suite, case in results:
        passed.setdefault(suite, set()).add(case)
    for suite, cases in EXPECTED.items():
        missing = cases - passed.get(suite, set())
        assert not missing, f"{suite}: cases that did not run: {sorted(missing)}\n{output[-6000:]}"
    summaries = {suite: (int(p), int(f)) for suite, p, f in SUMMARY.findall(run.stdout)}
    for suite, cases in EXPECTED.items():
        assert summaries.get(suite, (0, 1))[1] == 0
        assert summaries[suite][0] >= len(cases)
    assert banner in run.stdout


def test_c_suite_under_sanitizers() -> None:
    run = run_make("ctest", timeout=900)
    check_output(run, "ctest: all suites passed")
    # The scale case reports its measurements; they must be plausible numbers.
    scale = re.search(r"# scale: (\d+) filters .* add ([\d.]+) s", run.stdout)
    assert scale is not None and int(scale.group(1)) == 100000
    heap = re.search(r"heap_bytes (\d+) B/filter", run.stdout)
    assert heap is not None and 100 < int(heap.group(1)) < 2000


def test_c_suite_under_valgrind() -> None:
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    run = run_make("valgrind", timeout=1800)
    check_output(run, "valgrind: all suites passed")
