"""Compile the C floor program and the engine as a shared library for the ctypes baseline.

Both are built from the tree's own sources (src/core/*.c and src/sim/*.c) with the machine's
C compiler at -O2 into a cache directory keyed by a hash of the sources and flags, so a run after
an engine change rebuilds and a run without one reuses the binaries.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
C_FLOOR_SOURCE = BENCH_DIR / "c_floor.c"

CC = os.environ.get("CC", "gcc")
OPT_FLAGS = ["-O2", "-std=c11", "-DNDEBUG"]
LIBS = ["-lpthread", "-lm"]


class BuildError(RuntimeError):
    """The engine or the C floor did not compile (the message holds the compiler's output)."""


def engine_sources() -> list[Path]:
    """The C files of the core and the embedded engine, in a stable order."""
    sources = sorted((ROOT / "src" / "core").glob("*.c")) + sorted((ROOT / "src" / "sim").glob("*.c"))
    if not any(p.parent.name == "sim" for p in sources):
        raise BuildError("no embedded engine sources in src/sim/")
    if sys.platform == "win32":
        sources.append(ROOT / "src" / "win" / "backend_win.c")  # for --backend fwpuclnt
    return sources


def cache_dir() -> Path:
    """Where built binaries live: $WFP_BENCH_CACHE or ~/.cache/wfpkit-bench."""
    base = os.environ.get("WFP_BENCH_CACHE")
    path = Path(base) if base else Path.home() / ".cache" / "wfpkit-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _digest(kind: str, files: list[Path], flags: list[str]) -> str:
    h = hashlib.sha256()
    h.update(kind.encode())
    h.update(" ".join([CC, *flags]).encode())
    headers = sorted((ROOT / "include").rglob("*.h")) + sorted((ROOT / "src").rglob("*.h"))
    for path in [*files, *headers]:
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _compile(kind: str, stem: str, suffix: str, sources: list[Path], extra_flags: list[str]) -> Path:
    flags = [*OPT_FLAGS, *extra_flags]
    target = cache_dir() / f"{stem}-{_digest(kind, sources, flags)}{suffix}"
    if target.exists():
        return target
    include_dirs = ["-I", str(ROOT / "include"), "-I", str(ROOT / "src")]
    # Build beside the target and rename, so a concurrent run never sees a half-written file.
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        partial = Path(tmp) / target.name
        command = [CC, *flags, *include_dirs, *map(str, sources), "-o", str(partial), *LIBS]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"{' '.join(command)}\n{result.stdout}{result.stderr}")
        os.replace(partial, target)
    return target


def build_c_floor() -> Path:
    """Path of the compiled C floor program."""
    suffix = ".exe" if sys.platform == "win32" else ""
    return _compile("c_floor", "c_floor", suffix, [*engine_sources(), C_FLOOR_SOURCE], [])


def build_engine_library() -> Path:
    """Path of the core + embedded engine built as a shared library (for ctypes)."""
    suffix = ".dll" if sys.platform == "win32" else ".so"
    return _compile("shared", "libwfpsim", suffix, engine_sources(), ["-shared", "-fPIC"])


def compiler_available() -> bool:
    return shutil.which(CC) is not None


if __name__ == "__main__":
    print(build_c_floor())
    print(build_engine_library())
