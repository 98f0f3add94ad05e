"""(b) Layout: SDK == golden numbers == mirror, on every Windows architecture we can compile for.

Three links of one chain:
  * the golden file (tools/layout_golden.json) equals the SDK structs' layout as each compiler
    lays them out (read from -S output, nothing runs);
  * abi.h satisfies the golden numbers (include/wfp/abi_layout.h, static asserts);
  * abi.h equals the SDK field by field, including pointer-vs-value (src/win/backend_win.c).
"""
import re
import subprocess
import sys

import pytest

from crosscheck import crosslib, require

sys.path.insert(0, str(crosslib.ROOT / "tools" / "cross"))
import layout_extract  # noqa: E402

ARCHES = ["x86_64", "i686", "aarch64"]


@pytest.mark.parametrize("arch", ARCHES)
def test_golden_layout_is_the_sdk_layout(arch):
    require(arch)
    problems = layout_extract.check([arch])
    assert problems == []


def test_x64_and_x86_golden_sections_cover_the_same_structs_and_fields():
    golden = layout_extract.load_golden()
    assert set(golden) == {"x64", "x86"}
    for struct, (_, _, fields) in golden["x64"].items():
        assert [f for f, _ in golden["x86"][struct][2]] == [f for f, _ in fields], struct
    # The numbers the whole design rests on (reference: windows-toolchain.md section 3).
    assert golden["x64"]["wfp_filter0"][:2] == [200, 8]
    assert golden["x86"]["wfp_filter0"][:2] == [152, 8]
    assert golden["x86"]["wfp_filter_condition0"][0] == 28


def test_abi_layout_header_is_generated_from_the_golden_file():
    proc = subprocess.run([sys.executable, str(crosslib.ROOT / "tools" / "gen_layout.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    header = (crosslib.INCLUDE / "wfp" / "abi_layout.h").read_text()
    assert "defined(_WIN32)" in header and "sizeof(wfp_filter0) == 152" in header


@pytest.mark.parametrize("arch", ARCHES)
def test_mirror_equals_sdk_and_golden(arch):
    """backend_win.c holds the mirror-vs-SDK asserts and includes abi_layout.h."""
    require(arch)
    crosslib.Step.run(f"mirror check {arch}",
                      [*crosslib.compiler(arch), *crosslib.WARNINGS, "-Wpedantic",
                       "-I", str(crosslib.INCLUDE), "-fsyntax-only",
                       str(crosslib.ROOT / "src" / "win" / "backend_win.c")])


def test_golden_layout_holds_on_linux():
    """The same header on LP64 Linux (the embedded engine's home) must give the x64 numbers."""
    require("gcc")
    crosslib.Step.run("layout check linux",
                      ["gcc", *crosslib.WARNINGS, "-I", str(crosslib.INCLUDE), "-fsyntax-only",
                       "-include", "wfp/abi_layout.h", "-x", "c", "/dev/null"])


def test_error_codes_equal_the_sdk(tmp_path):
    """Every WFP_E_*/WFP_ERROR_* code in errors.h equals the SDK constant of the same name."""
    require("x86_64")
    errors_h = (crosslib.INCLUDE / "wfp" / "errors.h").read_text()
    fwp = re.findall(r"#define WFP_E_(\w+)\s", errors_h)
    win32 = re.findall(r"#define WFP_ERROR_(\w+)\s", errors_h)
    assert len(fwp) > 50 and "RPC_S_CANNOT_SUPPORT" in win32
    lines = ["#include <windows.h>", "#include <stdint.h>", '#include "wfp/errors.h"']
    for name in fwp:
        lines += [f"#ifdef FWP_E_{name}",
                  f'_Static_assert(WFP_E_{name} == (uint32_t)FWP_E_{name}, "FWP_E_{name}");',
                  "#endif"]
    for name in win32:
        sdk = name if name.startswith(("RPC_", "EPT_")) else f"ERROR_{name}"
        lines += [f'_Static_assert(WFP_ERROR_{name} == (uint32_t){sdk}, "{sdk}");']
    probe = tmp_path / "errors_check.c"
    probe.write_text("\n".join(lines) + "\n")
    crosslib.Step.run("error codes check", [*crosslib.compiler("x86_64"), *crosslib.WARNINGS,
                                            "-I", str(crosslib.INCLUDE), "-fsyntax-only", str(probe)])
    # Not vacuous: the SDK header defines most of them.
    checked = subprocess.run([*crosslib.compiler("x86_64"), "-E", "-dM", "-x", "c", "-"],
                             input="#include <windows.h>\n", capture_output=True, text=True).stdout
    assert sum(f"#define FWP_E_{n} " in checked for n in fwp) >= 50
