"""(a) The core, the win backend and the embedded engine build for Windows with -Werror."""
import pathlib

import pytest

from crosscheck import crosslib, winbuild


@pytest.mark.parametrize("arch", ["x86_64", "i686"])
def test_everything_compiles_and_links_for_windows(windows_build, arch):
    result = windows_build(arch)
    expected = set(crosslib.sources("core") + crosslib.sources("sim")) | {
        str(winbuild.BACKEND_WIN), str(winbuild.RUNNER)}
    assert expected <= set(result.objects), "a source file was left out of the Windows build"
    for obj in result.objects.values():
        assert obj.stat().st_size > 0
    # PE32+ for x86_64, PE32 for i686: the right machine, not a Linux object by mistake.
    machine = {"x86_64": b"\x64\x86", "i686": b"\x4c\x01"}[arch]
    for binary in (result.engine_dll, result.runner):
        data = binary.read_bytes()
        pe = int.from_bytes(data[0x3C:0x40], "little")
        assert data[:2] == b"MZ" and data[pe:pe + 4] == b"PE\0\0", binary
        assert data[pe + 4:pe + 6] == machine, f"{binary} is not a {arch} PE file"


def test_backend_win_is_the_only_file_that_includes_the_sdk():
    """fwpmu.h in any other file would let SDK types leak past the mirror."""
    offenders = []
    for path in crosslib.ROOT.glob("src/**/*.[ch]"):
        if path.name == "backend_win.c":
            continue
        text = path.read_text(errors="replace")
        if "<fwpmu.h>" in text or "<fwpmtypes.h>" in text or "<fwptypes.h>" in text:
            offenders.append(str(path.relative_to(crosslib.ROOT)))
    assert offenders == []
    assert "<fwpmu.h>" in pathlib.Path(winbuild.BACKEND_WIN).read_text()
