"""(e) The Windows build of the core, through backend_win.c, run under Wine.

Against the embedded engine built as fwpuclnt.dll, runner.exe does the whole management flow; the
verdict is its last stdout line, because Wine's exit codes are not reliable.  One more run
against Wine's own stub fwpuclnt.dll checks that a DLL which cannot do WFP gives
RPC_S_CANNOT_SUPPORT, and that the Python error table turns it into ServiceUnavailable.
"""
import pytest

from crosscheck import crosslib, require

ENGINE_OVERRIDES = "fwpuclnt=n;mscoree,mshtml="  # our DLL beside the exe, no Mono/Gecko prompts
STUB_OVERRIDES = "mscoree,mshtml="


@pytest.fixture(scope="module")
def wine(windows_build):
    require("x86_64", "wine")
    build = windows_build("x86_64")
    prefix = crosslib.wine_prefix()
    yield build, prefix
    crosslib.wine_stop(prefix)


def last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_runner_drives_the_engine_dll_through_backend_win(wine):
    build, prefix = wine
    proc = crosslib.wine_run("wine: runner engine", build.runner, ["engine"], prefix,
                             ENGINE_OVERRIDES)
    report = proc.stdout + proc.stderr[-3000:]
    assert "FAIL:" not in proc.stdout, report
    assert last_line(proc.stdout).startswith("WFPKIT-RUNNER-OK mode=engine checks="), report
    checks = int(last_line(proc.stdout).rsplit("=", 1)[1])
    assert checks >= 60, report
    assert "bulk add of 10000 filters" in proc.stdout


def test_wine_stub_dll_maps_to_service_unavailable(wine):
    build, prefix = wine
    proc = crosslib.wine_run("wine: runner stub", build.stub_runner, ["stub"], prefix,
                             STUB_OVERRIDES)
    report = proc.stdout + proc.stderr[-3000:]
    assert last_line(proc.stdout).startswith("WFPKIT-RUNNER-OK mode=stub"), report
    assert "first missing export: none" in proc.stdout, report
    (line,) = [l for l in proc.stdout.splitlines() if l.startswith("WFPKIT-STUB ")]
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    assert fields == {"engine_open": "1764", "name": "RPC_S_CANNOT_SUPPORT"}, line

    from wfp import errors
    error = errors.error_from_code(int(fields["engine_open"]), "FwpmEngineOpen0")
    assert isinstance(error, errors.ServiceUnavailable)
    assert error.name == fields["name"]
    assert "BFE" in str(error)
