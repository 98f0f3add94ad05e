#!/usr/bin/env python3
"""Cross-build the Windows binaries with mingw-w64, and optionally run them under Wine.

    winbuild.py [x86_64|i686] [OUT_DIR] [--run]

Produces, under OUT_DIR (default build/cross/<arch>):
    engine/fwpuclnt.dll   the embedded engine (src/sim + src/core + src/sim/fwpuclnt_exports.c)
    engine/runner.exe     tools/cross/runner.c + src/core + src/win/backend_win.c, beside the DLL
    stub/runner.exe       the same program alone, so Wine's own fwpuclnt.dll is the one it loads
Every file is compiled with -std=c11 -Wall -Wextra -Werror.  --run (x86_64 only: Debian's wine64
cannot run 32-bit programs) runs both programs and prints their output.
"""
from __future__ import annotations

import dataclasses
import pathlib
import shutil
import sys
from typing import Dict, List

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import crosslib  # noqa: E402

RUNNER = crosslib.ROOT / "tools" / "cross" / "runner.c"
BACKEND_WIN = crosslib.ROOT / "src" / "win" / "backend_win.c"
EXPORTS = crosslib.ROOT / "src" / "sim" / "fwpuclnt_exports.c"
DLL_DEFINE = "-DWFP_SIM_FWPUCLNT_DLL"
OPTIMIZE = "-O2"


@dataclasses.dataclass
class WindowsBuild:
    arch: str
    objects: Dict[str, pathlib.Path]  # source path -> object file
    engine_dll: pathlib.Path
    runner: pathlib.Path              # beside engine_dll
    stub_runner: pathlib.Path         # alone in its directory


def flags() -> List[str]:
    return [*crosslib.WARNINGS, OPTIMIZE, "-I", str(crosslib.INCLUDE)]


def compile_all(arch: str, sources: List[str], obj_dir: pathlib.Path) -> Dict[str, pathlib.Path]:
    obj_dir.mkdir(parents=True, exist_ok=True)
    cc = crosslib.compiler(arch)
    objects: Dict[str, pathlib.Path] = {}
    jobs = []
    for src in sources:
        path = pathlib.Path(src)
        obj = obj_dir / f"{path.parent.name}_{path.stem}.o"
        extra = [DLL_DEFINE] if path == EXPORTS else []
        jobs.append((f"compile {arch}: {path.relative_to(crosslib.ROOT)}",
                     [*cc, *flags(), *extra, "-c", str(path), "-o", str(obj)]))
        objects[str(path)] = obj
    crosslib.run_parallel(jobs)
    return objects


def build_windows(arch: str, out: pathlib.Path) -> WindowsBuild:
    core = crosslib.sources("core")
    engine = crosslib.engine_sources()
    if not [s for s in engine if "/src/sim/" in s]:
        raise AssertionError("src/sim has no engine sources to build fwpuclnt.dll from")
    sources = sorted(set(core + engine + [str(BACKEND_WIN), str(RUNNER), str(EXPORTS)]))
    objects = compile_all(arch, sources, out / "obj")
    cc = crosslib.compiler(arch)
    engine_dir, stub_dir = out / "engine", out / "stub"
    engine_dir.mkdir(parents=True, exist_ok=True)
    stub_dir.mkdir(parents=True, exist_ok=True)
    dll = engine_dir / "fwpuclnt.dll"
    # --kill-at: 32-bit stdcall exports lose their @N suffix, as in the real DLL.
    crosslib.Step.run(f"link {arch}: fwpuclnt.dll",
                      [*cc, "-shared", "-static-libgcc", "-Wl,--kill-at", "-o", str(dll),
                       *[str(objects[s]) for s in engine + [str(EXPORTS)]]])
    runner = engine_dir / "runner.exe"
    crosslib.Step.run(f"link {arch}: runner.exe",
                      [*cc, "-static-libgcc", "-o", str(runner),
                       *[str(objects[s]) for s in core + [str(BACKEND_WIN), str(RUNNER)]]])
    stub_runner = stub_dir / "runner.exe"
    shutil.copy2(runner, stub_runner)
    return WindowsBuild(arch, objects, dll, runner, stub_runner)


def run_under_wine(result: WindowsBuild) -> None:
    prefix = crosslib.wine_prefix()
    try:
        for label, exe, mode, overrides in (
                ("engine", result.runner, "engine", "fwpuclnt=n;mscoree,mshtml="),
                ("stub", result.stub_runner, "stub", "mscoree,mshtml=")):
            proc = crosslib.wine_run(f"wine: runner {label}", exe, [mode], prefix, overrides)
            print(f"--- runner.exe {mode} (exit code {proc.returncode}, not trusted)")
            print(proc.stdout, end="")
    finally:
        crosslib.wine_stop(prefix)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    arch = args[0] if args else "x86_64"
    out = pathlib.Path(args[1]) if len(args) > 1 else crosslib.ROOT / "build" / "cross" / arch
    built = build_windows(arch, out)
    print(f"built {built.engine_dll} and {built.runner}")
    if "--run" in sys.argv:
        run_under_wine(built)
    for label, seconds in crosslib.Step.timings.items():
        print(f"{seconds:6.2f} s  {label}")
