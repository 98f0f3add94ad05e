"""Runs classify_c.c (matching of the types no layer offers; the index against the engine's own
order through adds, deletes and aborts) built with the project's flags and the sanitizers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CFLAGS = [
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wpedantic",
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-pthread",
    f"-I{ROOT / 'include'}",
    f"-I{ROOT / 'src' / 'sim'}",
]


def engine_sources() -> list[str]:
    core = sorted((ROOT / "src" / "core").glob("*.c"))
    sim = [p for p in sorted((ROOT / "src" / "sim").glob("*.c")) if p.name != "fwpuclnt_exports.c"]
    return [str(p) for p in core + sim]


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> list[str]:
    compiler = shutil.which(os.environ.get("CC", "gcc"))
    if compiler is None:
        pytest.skip("no C compiler")
    binary = tmp_path_factory.mktemp("classify_c") / "classify_c"
    subprocess.run(
        [
            compiler,
            *CFLAGS,
            str(ROOT / "tests" / "classify" / "classify_c.c"),
            *engine_sources(),
            "-lm",
            "-o",
            str(binary),
        ],
        check=True,
    )
    run = subprocess.run(
        [str(binary)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1"},
    )
    assert not run.stderr, run.stderr
    return run.stdout.splitlines()


def test_every_check_passes(output):
    failed = [line for line in output if line.startswith("FAIL")]
    assert failed == []
    assert output[-1] == f"done {sum(1 for line in output if line.startswith('ok '))}"


def test_the_suite_covers_strings_signed_floats_and_the_index(output):
    names = " ".join(output)
    for needle in (
        "case-insensitive",
        "PREFIX tests the suffix",
        "int64",
        "double",
        "index agrees",
    ):
        assert needle in names
