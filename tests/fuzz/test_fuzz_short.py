"""Short fuzzing runs of every harness, each in a subprocess with a time budget.

``WFP_FUZZ_SECONDS`` sets the budget per harness (default 3 s in the plain test run; CI's fuzz
step and tools/sanitize.sh give more).  The harnesses run coverage-guided under atheris when it
is installed, with seeded random inputs otherwise (the output says which).  A failure shows the
harness output and the failing input, ready to be copied into tests/fuzz/regressions/<harness>/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import wfp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUDGET_SECONDS = float(os.environ.get("WFP_FUZZ_SECONDS", "3"))
SEEDS = {"composer": [], "engine": [], "policy": [ROOT / "examples"]}


def harness_command(name: str, workdir: Path) -> list[str]:
    corpus = workdir / "corpus"
    corpus.mkdir()
    seeds = [str(p) for p in SEEDS[name] + [HERE / "regressions" / name] if p.is_dir()]
    return [sys.executable, str(HERE / f"fuzz_{name}.py"),
            f"-max_total_time={BUDGET_SECONDS:g}", f"-artifact_prefix={workdir}/",
            "-max_len=4096", "-timeout=60", "-rss_limit_mb=0", "-print_final_stats=1",
            str(corpus), *seeds]


def harness_env() -> dict:
    """The subprocess imports the same wfp as this test run (an in-place or sanitizer build)."""
    env = dict(os.environ)
    package_root = str(Path(wfp.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


@pytest.mark.fuzz
@pytest.mark.parametrize("name", ["composer", "engine", "policy"])
def test_short_fuzz_run_finds_nothing(name: str, tmp_path: Path) -> None:
    run = subprocess.run(harness_command(name, tmp_path), env=harness_env(),
                         capture_output=True, text=True, timeout=BUDGET_SECONDS + 180)
    output = (run.stdout + run.stderr)[-6000:]
    crashes = [p for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-"))]
    found = "\n".join(f"{p.name}: {p.read_bytes().hex()}" for p in crashes)
    assert run.returncode == 0 and not crashes, f"fuzz_{name} failed:\n{output}\n{found}"
    assert "Done" in output or "no failure" in output, output
