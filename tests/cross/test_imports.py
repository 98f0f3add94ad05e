"""(c) What the Windows binaries import, and which fwpuclnt names they look up at run time.

Wine binds a missing import to a crash stub instead of refusing to load the program, so import
availability can only be checked statically, here.
"""
import pathlib
import re
import subprocess

import pytest

from crosscheck import WIN7_EXPORTS, check_shipped_binary, crosslib, require

WINE_FWPUCLNT = pathlib.Path("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/fwpuclnt.dll")


def test_allow_list_is_windows_7_api():
    require("x86_64")
    declared = subprocess.run(
        [*crosslib.compiler("x86_64"), "-E", "-D_WIN32_WINNT=0x0601", "-x", "c", "-"],
        input="#include <windows.h>\n#include <fwpmu.h>\n", capture_output=True, text=True,
        check=True).stdout
    declared_names = set(re.findall(r"\b(Fwpm\w+)\s*\(", declared))
    assert set(WIN7_EXPORTS) <= declared_names, set(WIN7_EXPORTS) - declared_names
    symbols = subprocess.run(["x86_64-w64-mingw32-nm", "/usr/x86_64-w64-mingw32/lib/libfwpuclnt.a"],
                             capture_output=True, text=True, check=True).stdout
    exported = set(re.findall(r" T (Fwpm\w+)$", symbols, re.M))
    assert set(WIN7_EXPORTS) <= exported, set(WIN7_EXPORTS) - exported
    assert len(WIN7_EXPORTS) == len(set(WIN7_EXPORTS))


def test_backend_resolves_exactly_the_allow_list():
    source = (crosslib.ROOT / "src" / "win" / "backend_win.c").read_text()
    resolved = re.findall(r"^\s*X\(\w+, (Fwpm\w+)\)", source, re.M)
    assert sorted(resolved) == sorted(WIN7_EXPORTS)


@pytest.mark.parametrize("arch", ["x86_64", "i686"])
def test_runner_imports_and_lookups(windows_build, arch):
    require("objdump")
    check_shipped_binary(windows_build(arch).runner, arch)


@pytest.mark.parametrize("arch", ["x86_64", "i686"])
def test_engine_dll_exports_fwpuclnt_names_undecorated(windows_build, arch):
    require("objdump")
    dll = windows_build(arch).engine_dll
    exports = set(crosslib.pe_exports(dll, arch))
    assert set(WIN7_EXPORTS) | {"WfpSimInjectFailure"} <= exports
    assert not [name for name in exports if "@" in name], "stdcall decoration leaked into exports"
    assert "fwpuclnt.dll" not in {d.lower() for d in crosslib.pe_imports(dll, arch)}


def test_wines_stub_dll_has_every_name():
    """The stub run (test_wine.py) then exercises the backend with all slots resolved."""
    require("objdump", "wine")
    assert set(WIN7_EXPORTS) <= set(crosslib.pe_exports(WINE_FWPUCLNT))
