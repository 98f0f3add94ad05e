"""(d) The Cython binding links as a Windows abi3 extension against the stable ABI only.

Windows CPython's headers and a python3.dll import library come from Debian's python3.11 source
package (downloaded once into ~/.cache/wfpkit-cross).  python3.dll exports exactly the stable ABI,
so a successful link proves the module uses nothing outside the limited API.
"""
import shutil
import sys

import pytest

from crosscheck import check_shipped_binary, crosslib, require, unavailable

PYX = crosslib.ROOT / "wfp" / "_core.pyx"
LIMITED_API = "0x030B0000"


def cython_command() -> list:
    found = shutil.which("cython")
    return [found] if found else [sys.executable, "-m", "cython"]


def test_core_extension_links_as_abi3_pyd(windows_build, out_dir):
    require("x86_64", "dlltool", "objdump")
    if not PYX.exists():
        pytest.fail(f"{PYX} is missing: the binding is what this check builds")
    pytest.importorskip("Cython", reason="Cython is needed to translate wfp/_core.pyx")
    try:
        python = crosslib.windows_python()
    except (AssertionError, OSError) as error:  # no network to Debian, no deb-src access
        unavailable(f"Windows CPython headers could not be prepared: {error}")
    build = windows_build("x86_64")
    work = out_dir / "pyd"
    work.mkdir(exist_ok=True)
    generated = work / "_core.c"
    crosslib.Step.run("pyd: cython", [*cython_command(), "-3", "-I", str(crosslib.ROOT),
                                      "--module-name", "wfp._core", str(PYX), "-o", str(generated)])
    module_obj = work / "_core.o"
    # Cython's own C gets no -Werror, as in setup.py, and no optimisation: this module is only
    # linked, never run.  Our C keeps the strict flags (the objects come from the -Werror build).
    crosslib.Step.run("pyd: compile", [
        *crosslib.compiler("x86_64"), "-O0", "-DMS_WIN64", f"-DPy_LIMITED_API={LIMITED_API}",
        "-DCYTHON_LIMITED_API=1", "-I", str(python["include"]), "-I", str(python["pc"]),
        "-I", str(crosslib.INCLUDE), "-c", str(generated), "-o", str(module_obj)])
    ours = crosslib.engine_sources() + [str(crosslib.ROOT / "src" / "win" / "backend_win.c")]
    pyd = work / "_core.pyd"
    crosslib.Step.run("pyd: link", [
        *crosslib.compiler("x86_64"), "-shared", "-static-libgcc", "-o", str(pyd), str(module_obj),
        *[str(build.objects[s]) for s in ours], "-L", str(python["lib"].parent), "-lpython3.dll"])

    assert "PyInit__core" in crosslib.pe_exports(pyd)
    dlls = {dll.lower() for dll in crosslib.pe_imports(pyd)}
    assert "python3.dll" in dlls, "not linked against the stable-ABI python3.dll"
    assert not [d for d in dlls if d.startswith("python3") and d != "python3.dll"], dlls
    check_shipped_binary(pyd, "x86_64")
