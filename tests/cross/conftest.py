"""Windows cross checks: mingw-w64 builds, layout proofs, import tables, the abi3 .pyd, Wine runs.

Each check skips with the missing Debian package named when its tool is absent; with
WFP_REQUIRE_CROSS=1 (set by CI) a missing tool fails the check instead.
"""
from __future__ import annotations

import pathlib
import time
from typing import Dict

import pytest

from crosscheck import crosslib, require, winbuild


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("wfp-cross")


_builds: Dict[str, winbuild.WindowsBuild] = {}


@pytest.fixture(scope="session")
def windows_build(out_dir):
    """Build (once per arch) every Windows binary: objects, runner.exe and the engine DLL."""
    def get(arch: str) -> winbuild.WindowsBuild:
        require(arch)
        if arch not in _builds:
            _builds[arch] = winbuild.build_windows(arch, out_dir / arch)
        return _builds[arch]
    return get


_session_start = time.monotonic()


def pytest_terminal_summary(terminalreporter):
    timings = crosslib.Step.timings
    if not timings:
        return
    terminalreporter.section("Windows cross-check timings")
    for label, seconds in sorted(timings.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{seconds:7.2f} s  {label}")
    terminalreporter.write_line(f"{time.monotonic() - _session_start:7.2f} s  wall time since the "
                                f"cross conftest loaded")
