"""Helpers shared by the cross-check tests: tool detection with skip-or-fail, and the tools/cross
modules on sys.path."""
from __future__ import annotations

import os
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools" / "cross"))
import winbuild  # noqa: E402,F401
import crosslib  # noqa: E402

PACKAGES = {
    "x86_64": "gcc-mingw-w64-x86-64-win32 mingw-w64-x86-64-dev",
    "i686": "gcc-mingw-w64-i686-win32 mingw-w64-i686-dev",
    "aarch64": "clang-14",
    "objdump": "binutils-mingw-w64-x86-64 (comes with gcc-mingw-w64-x86-64-win32)",
    "dlltool": "binutils-mingw-w64-x86-64 (comes with gcc-mingw-w64-x86-64-win32)",
    "wine": "wine64",
    "gcc": "gcc",
}


def require(*tools: str) -> None:
    """Skip (or, under WFP_REQUIRE_CROSS=1, fail) unless every tool is installed."""
    missing = [t for t in tools if not crosslib.have(t)]
    if not missing:
        return
    reason = "cross toolchain missing: " + "; ".join(
        f"{crosslib.TOOLS.get(t, t)} (apt-get install {PACKAGES.get(t, t)})" for t in missing)
    if os.environ.get("WFP_REQUIRE_CROSS") == "1":
        pytest.fail(reason + " [WFP_REQUIRE_CROSS=1]", pytrace=False)
    pytest.skip(reason)
