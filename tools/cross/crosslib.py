"""Shared pieces of the Windows cross checks: compilers, source sets, cached downloads, Wine.

Used by tests/cross (pytest) and by the scripts beside this file.  Everything here runs on Linux
with Debian's mingw-w64, clang-14 and wine64 packages; nothing is linked or run natively.
"""
from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import pathlib
import re
import shutil
import subprocess
import time
from typing import Dict, Iterable, List, Optional, Sequence

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
INCLUDE = ROOT / "include"
CACHE = pathlib.Path(os.environ.get("WFPKIT_CROSS_CACHE",
                                    pathlib.Path.home() / ".cache" / "wfpkit-cross"))

WARNINGS = ["-std=c11", "-Wall", "-Wextra", "-Werror"]
MINGW_INCLUDE = "/usr/share/mingw-w64/include"
WINE = "/usr/lib/wine/wine64"
WINESERVER = "/usr/lib/wine/wineserver64"
# The pieces of the toolchain each check needs; Debian package in the comment.
TOOLS = {
    "x86_64": "x86_64-w64-mingw32-gcc",      # gcc-mingw-w64-x86-64-win32 + mingw-w64-x86-64-dev
    "i686": "i686-w64-mingw32-gcc",          # gcc-mingw-w64-i686-win32 + mingw-w64-i686-dev
    "aarch64": "clang-14",                   # clang-14 (+ lld-14)
    "objdump": "x86_64-w64-mingw32-objdump",  # binutils-mingw-w64-x86-64
    "dlltool": "x86_64-w64-mingw32-dlltool",
    "wine": WINE,                            # wine64
    "gcc": "gcc",
}


def have(tool: str) -> bool:
    if tool == "aarch64" and not os.path.exists(os.path.join(MINGW_INCLUDE, "fwpmu.h")):
        return False  # clang alone has no Windows headers: they come with mingw-w64-common
    path = TOOLS.get(tool, tool)
    return os.path.isabs(path) and os.access(path, os.X_OK) or shutil.which(path) is not None


def compiler(arch: str) -> List[str]:
    """The C compiler command for a Windows target."""
    if arch == "aarch64":
        # Debian has no aarch64 mingw; clang with the arch-neutral mingw headers parses the same.
        resource = subprocess.run(["clang-14", "-print-resource-dir"], check=True,
                                  capture_output=True, text=True).stdout.strip()
        return ["clang-14", "--target=aarch64-w64-windows-gnu", "-nostdinc",
                "-isystem", resource + "/include", "-isystem", MINGW_INCLUDE]
    return [TOOLS[arch]]


def objdump(arch: str) -> str:
    return "i686-w64-mingw32-objdump" if arch == "i686" else "x86_64-w64-mingw32-objdump"


def sources(*parts: str) -> List[str]:
    """Sorted C files of the given src/ subdirectories (e.g. "core", "sim")."""
    files: List[str] = []
    for part in parts:
        files += sorted(glob.glob(str(ROOT / "src" / part / "*.c")))
    return files


def engine_sources() -> List[str]:
    """The embedded engine as a DLL: the sim plus the core it uses, minus the DLL glue file."""
    return [f for f in sources("sim") if not f.endswith("fwpuclnt_exports.c")] + sources("core")


class Step:
    """One timed subprocess; raises with the full output when it fails."""

    timings: Dict[str, float] = {}

    @classmethod
    def run(cls, label: str, cmd: Sequence[str], *, cwd: Optional[os.PathLike] = None,
            env: Optional[Dict[str, str]] = None, check: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess:
        start = time.monotonic()
        proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
        cls.timings[label] = cls.timings.get(label, 0.0) + time.monotonic() - start
        if check and proc.returncode != 0:
            raise AssertionError(f"{label} failed ({proc.returncode}): {' '.join(cmd)}\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc


def run_parallel(jobs: Sequence[tuple], limit: int = 2) -> List[subprocess.CompletedProcess]:
    """Run (label, cmd) pairs two at a time (the CI machine has two cores); fail on any error."""
    results: List[Optional[subprocess.CompletedProcess]] = [None] * len(jobs)
    running: List[tuple] = []
    start = time.monotonic()
    pending = list(enumerate(jobs))
    while pending or running:
        while pending and len(running) < limit:
            index, (label, cmd) = pending.pop(0)
            proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, errors="replace")
            running.append((index, label, cmd, proc))
        index, label, cmd, proc = running.pop(0)
        out, err = proc.communicate(timeout=300)
        results[index] = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        if proc.returncode != 0:
            for _, _, _, other in running:
                other.kill()
                other.communicate()
            raise AssertionError(f"{label} failed ({proc.returncode}): {' '.join(cmd)}\n{out}\n{err}")
    label = jobs[0][0].split(":")[0] if jobs else "parallel"
    Step.timings[label] = Step.timings.get(label, 0.0) + time.monotonic() - start
    return [r for r in results if r is not None]


# ---------------------------------------------------------------- PE inspection (objdump -p)
def pe_imports(path: os.PathLike, arch: str = "x86_64") -> Dict[str, List[str]]:
    """DLL name (as written) -> imported symbol names, from the PE import table."""
    text = Step.run("objdump", [objdump(arch), "-p", str(path)]).stdout
    imports: Dict[str, List[str]] = {}
    current: Optional[str] = None
    for line in text.splitlines():
        m = re.match(r"\s*DLL Name: (\S+)", line)
        if m:
            current = m.group(1)
            imports[current] = []
            continue
        if current is None:
            continue
        if not line.strip():
            continue
        m = re.match(r"\s*[0-9a-fA-F]+\s+<none>\s+[0-9a-fA-F]+\s+(\S+)$", line) or \
            re.match(r"\s*[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+(\S+)$", line)
        if m:
            imports[current].append(m.group(1))
        elif line.startswith("The Export Tables") or line.startswith("PE File Base"):
            current = None
    return imports


def pe_exports(path: os.PathLike, arch: str = "x86_64") -> List[str]:
    text = Step.run("objdump", [objdump(arch), "-p", str(path)]).stdout
    section = text.split("[Ordinal/Name Pointer] Table", 1)
    if len(section) < 2:
        return []
    names = []
    for line in section[1].splitlines()[1:]:
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)$", line)
        if not m:
            break
        names.append(m.group(1))
    return names


def ascii_strings(path: os.PathLike, pattern: str) -> List[str]:
    """NUL-terminated ASCII strings in a binary that match pattern entirely (like strings(1))."""
    data = pathlib.Path(path).read_bytes()
    found = {m.group(1).decode() for m in re.finditer(rb"(?<![\x20-\x7e])([\x20-\x7e]{4,})\x00", data)}
    rx = re.compile(pattern)
    return sorted(s for s in found if rx.fullmatch(s))


@contextlib.contextmanager
def cache_lock(name: str):
    """Serialise work on one cache entry between processes (e.g. pytest-xdist workers)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------- Windows CPython (§4 recipe)
PYTHON_SOURCE_PACKAGE = "python3.11"


def windows_python(cache: pathlib.Path = CACHE) -> Dict[str, pathlib.Path]:
    """Windows CPython 3.11 headers and a python3.dll (stable ABI) import library for mingw.

    Built once from Debian's python3.11 source package (headers in Include/ and PC/, the
    stable-ABI export list in PC/python3dll.c) and cached; later calls cost nothing.
    """
    base = cache / "python3.11"
    paths = {"include": base / "Include", "pc": base / "PC", "lib": base / "libpython3.dll.a",
             "def": base / "python3.def"}
    with cache_lock("python3.11"):
        if not (base / "ready").exists():
            _build_windows_python(base, paths)
    return paths


def _build_windows_python(base: pathlib.Path, paths: Dict[str, pathlib.Path]) -> None:
    base.mkdir(parents=True, exist_ok=True)
    apt = base / "apt"
    for sub in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    # A private apt configuration: deb-src for this one download, the system's sources untouched.
    (apt / "sources.list.d" / "src.sources").write_text(
        "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    options = ["-o", "Dir::Etc::SourceList=/dev/null",
               "-o", f"Dir::Etc::SourceParts={apt / 'sources.list.d'}",
               "-o", f"Dir::State::Lists={apt / 'lists'}",
               "-o", f"Dir::Cache={apt / 'cache'}", "-o", "Debug::NoLocking=1"]
    download = base / "download"
    download.mkdir(exist_ok=True)
    Step.run("python-src: apt update", ["apt-get", *options, "update"], timeout=600)
    Step.run("python-src: apt source", ["apt-get", *options, "source", "--download-only",
                                        PYTHON_SOURCE_PACKAGE], cwd=download, timeout=600)
    tarballs = sorted(download.glob(f"{PYTHON_SOURCE_PACKAGE}_*.orig.tar.*"))
    if not tarballs:
        raise AssertionError(f"no {PYTHON_SOURCE_PACKAGE} orig tarball in {download}")
    extract = base / "extract"
    shutil.rmtree(extract, ignore_errors=True)
    extract.mkdir()
    Step.run("python-src: extract", ["tar", "xf", str(tarballs[-1]), "-C", str(extract),
                                     "--wildcards", "*/Include/*", "*/PC/*"])
    (top,) = [p for p in extract.iterdir() if p.is_dir()]
    for name in ("Include", "PC"):
        shutil.rmtree(base / name, ignore_errors=True)
        shutil.move(str(top / name), str(base / name))
    shutil.rmtree(extract)
    exports = (base / "PC" / "python3dll.c").read_text()
    functions = re.findall(r"^EXPORT_FUNC\((\w+)\)", exports, re.M)
    data = re.findall(r"^EXPORT_DATA\((\w+)\)", exports, re.M)
    if len(functions) < 500:
        raise AssertionError(f"PC/python3dll.c lists only {len(functions)} functions")
    paths["def"].write_text("LIBRARY python3.dll\nEXPORTS\n" + "".join(f"{f}\n" for f in functions)
                            + "".join(f"{d} DATA\n" for d in data))
    Step.run("python-src: dlltool", [TOOLS["dlltool"], "-d", str(paths["def"]), "-l",
                                     str(paths["lib"]), "-D", "python3.dll"])
    shutil.rmtree(download)
    shutil.rmtree(apt)
    (base / "ready").write_text("ok\n")


# ---------------------------------------------------------------- Wine
def wine_env(prefix: pathlib.Path, overrides: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINE")}
    env.update(WINEPREFIX=str(prefix), WINEDEBUG="-all", WINEDLLOVERRIDES=overrides,
               WINEARCH="win64")
    env.pop("DISPLAY", None)
    return env


def wine_prefix(cache: pathlib.Path = CACHE) -> pathlib.Path:
    """A booted 64-bit Wine prefix, created once (about 8 s) and reused."""
    prefix = cache / "wineprefix"
    with cache_lock("wineprefix"):
        if not (prefix / "system.reg").exists():
            shutil.rmtree(prefix, ignore_errors=True)  # a boot that was cut short
            env = wine_env(prefix, "mscoree,mshtml=")
            Step.run("wine: wineboot", [WINE, "wineboot", "-i"], env=env, timeout=300)
            wine_stop(prefix)
    return prefix


def wine_stop(prefix: pathlib.Path) -> None:
    subprocess.run([WINESERVER, "-k"], env=wine_env(prefix, ""), capture_output=True, timeout=60)


def wine_run(label: str, exe: pathlib.Path, args: Iterable[str], prefix: pathlib.Path,
             overrides: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a Windows program; the caller judges stdout, never the exit code (Wine's can lie)."""
    return Step.run(label, [WINE, str(exe), *args], cwd=exe.parent,
                    env=wine_env(prefix, overrides), check=False, timeout=timeout)
