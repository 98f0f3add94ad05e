"""(f) A one-field mistake in the mirror header must break the build, with a message that says which.

Each case copies include/wfp to a temporary directory, changes one declaration, and compiles
src/win/backend_win.c (the mirror-vs-SDK asserts plus the golden layout) against the copy.
"""
import re
import shutil

import pytest

from crosscheck import crosslib, require

BACKEND_WIN = crosslib.ROOT / "src" / "win" / "backend_win.c"


def mutated_include(tmp_path, struct: str, old: str, new: str):
    include = tmp_path / "include"
    shutil.copytree(crosslib.INCLUDE, include)
    abi = include / "wfp" / "abi.h"
    text = abi.read_text()
    start = text.index(f"typedef struct {struct} {{")
    end = text.index(f"}} {struct};", start)
    body = text[start:end]
    assert body.count(old) == 1, f"{old!r} not found exactly once in {struct}"
    abi.write_text(text[:start] + body.replace(old, new) + text[end:])
    return include


def compile_errors(arch: str, include) -> str:
    proc = crosslib.Step.run(f"negative compile {arch}",
                             [*crosslib.compiler(arch), *crosslib.WARNINGS, "-I", str(include),
                              "-fsyntax-only", str(BACKEND_WIN)], check=False)
    assert proc.returncode != 0, "the mutated mirror compiled: the check is blind to it"
    return "\n".join(line for line in proc.stderr.splitlines() if "error" in line)


def test_by_value_uint64_is_caught_on_x86_64_by_the_kind_assert(tmp_path):
    """uint64_t by value is 8 bytes like the pointer: only the pointer-vs-value assert sees it."""
    require("x86_64")
    include = mutated_include(tmp_path, "wfp_condition_value0", "uint64_t *uint64;", "uint64_t uint64;")
    errors = compile_errors("x86_64", include)
    print(errors.splitlines()[0])
    assert ('static assertion failed: "pointer-vs-value: wfp_condition_value0.uint64 is not the '
            'same kind of type as FWP_CONDITION_VALUE0.uint64"') in errors
    # Nothing else differs on x86_64: exactly one assert fires.
    assert len(re.findall("static assertion failed", errors)) == 1, errors


def test_by_value_uint64_breaks_the_i686_layout_too(tmp_path):
    require("i686")
    include = mutated_include(tmp_path, "wfp_condition_value0", "uint64_t *uint64;", "uint64_t uint64;")
    errors = compile_errors("i686", include)
    assert 'sizeof(wfp_condition_value0) != sizeof(FWP_CONDITION_VALUE0)' in errors
    assert 'sizeof(wfp_condition_value0) != 8' in errors  # the golden x86 numbers


@pytest.mark.parametrize("arch", ["x86_64", "i686"])
def test_long_data1_is_caught_although_windows_agrees(tmp_path, arch):
    """unsigned long is 4 bytes under mingw (the SDK even spells Data1 that way) but 8 on Linux."""
    require(arch)
    include = mutated_include(tmp_path, "wfp_guid", "uint32_t Data1;", "unsigned long Data1;")
    errors = compile_errors(arch, include)
    assert ('static assertion failed: "wfp_guid.Data1 is declared long: its size differs '
            'between Windows and Linux"') in errors


def test_long_data1_breaks_the_linux_layout(tmp_path):
    require("gcc")
    include = mutated_include(tmp_path, "wfp_guid", "uint32_t Data1;", "unsigned long Data1;")
    proc = crosslib.Step.run("negative compile linux",
                             ["gcc", *crosslib.WARNINGS, "-I", str(include), "-fsyntax-only",
                              "-include", "wfp/abi_layout.h", "-x", "c", "/dev/null"], check=False)
    assert proc.returncode != 0
    assert 'sizeof(wfp_guid) != 16' in proc.stderr


def test_narrow_data1_is_caught_by_size_and_offset(tmp_path):
    require("x86_64")
    include = mutated_include(tmp_path, "wfp_guid", "uint32_t Data1;", "uint16_t Data1;")
    errors = compile_errors("x86_64", include)
    assert 'sizeof(wfp_guid.Data1) != sizeof(GUID.Data1)' in errors
    assert 'offsetof(wfp_guid, Data2) != offsetof(GUID, Data2)' in errors


def test_wrong_calling_convention_is_caught_on_i686(tmp_path):
    """A slot declared without WFP_CALL would be cdecl: the caller would not pop the arguments."""
    require("i686")
    include = tmp_path / "include"
    shutil.copytree(crosslib.INCLUDE, include)
    core = include / "wfp" / "core.h"
    text = core.read_text()
    old = "uint32_t(WFP_CALL *engine_close)(wfp_handle engine);"
    assert text.count(old) == 1
    core.write_text(text.replace(old, "uint32_t (*engine_close)(wfp_handle engine);"))
    errors = compile_errors("i686", include)
    assert "wfp_backend.engine_close is not uint32_t (WFP_CALL *)" in errors
