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
    unavailable("cross toolchain missing: " + "; ".join(
        f"{crosslib.TOOLS.get(t, t)} (apt-get install {PACKAGES.get(t, t)})" for t in missing))


def unavailable(reason: str) -> None:
    """Skip, or fail under WFP_REQUIRE_CROSS=1, because something a check needs is absent."""
    if os.environ.get("WFP_REQUIRE_CROSS") == "1":
        pytest.fail(reason + " [WFP_REQUIRE_CROSS=1]", pytrace=False)
    pytest.skip(reason)


CROSS = crosslib.ROOT / "tools" / "cross"


def listed(name: str) -> list:
    lines = (CROSS / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


WIN7_EXPORTS = listed("fwpuclnt-win7.txt")
ALLOWED_DLLS = {name.lower() for name in listed("dll-imports.txt")}


def check_shipped_binary(path: pathlib.Path, arch: str) -> None:
    """The rules for anything built from the core + win backend."""
    imports = crosslib.pe_imports(path, arch)
    dlls = {dll.lower() for dll in imports}
    assert "fwpuclnt.dll" not in dlls, f"{path.name} imports fwpuclnt.dll: {imports['fwpuclnt.dll']}"
    assert dlls <= ALLOWED_DLLS, f"{path.name} imports {sorted(dlls - ALLOWED_DLLS)}"
    # The names handed to GetProcAddress: exactly the Windows 7 list, no more, no fewer.
    looked_up = crosslib.ascii_strings(path, r"Fwpm\w+")
    assert sorted(looked_up) == sorted(WIN7_EXPORTS)
    kernel32 = next(names for dll, names in imports.items() if dll.lower() == "kernel32.dll")
    assert "GetProcAddress" in kernel32 and "LoadLibraryExW" in kernel32
