"""Build of the one extension module, wfp._core.

The project's C (src/core, src/sim and, on Windows, src/win) is compiled first as the static
library ``wfpcore`` with the project's strict flags; Cython's generated C for wfp/_core.pyx is
compiled on its own with the compiler's defaults and linked against it, so ``-Werror`` applies to
our code only.  The extension uses the limited API of Python 3.11, so one abi3 wheel serves
every CPython from 3.11 on.
"""
import os
from glob import glob

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_clib import build_clib
from setuptools.command.build_ext import build_ext

LIMITED_API = "0x030B0000"
IS_WINDOWS = os.name == "nt"

STRICT_GCC_FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"]
# MSVC's warnings differ from gcc's (CI holds the line with mingw-w64 and -Werror); an MSVC user
# building from source should get a working module, not a stop on a warning gcc does not give.
STRICT_MSVC_FLAGS = ["/std:c11", "/W3", "/O2"]


def core_sources() -> list[str]:
    sources = sorted(glob("src/core/*.c")) + sorted(glob("src/sim/*.c"))
    if IS_WINDOWS:
        # Loads fwpuclnt.dll at run time: no link-time dependency on it.
        sources.append("src/win/backend_win.c")
    return sources


class BuildStrictClib(build_clib):
    """build_clib that picks the strict warning flags for the compiler in use."""

    def build_libraries(self, libraries):
        flags = STRICT_MSVC_FLAGS if self.compiler.compiler_type == "msvc" else STRICT_GCC_FLAGS
        libraries = [(name, {**info, "cflags": flags + info.get("cflags", [])})
                     for name, info in libraries]
        super().build_libraries(libraries)


class BuildExtWithClib(build_ext):
    """build_ext that builds wfpcore first, also for `build_ext --inplace` and editable installs."""

    def run(self):
        self.run_command("build_clib")
        super().run()


wfpcore = ("wfpcore", {
    "sources": core_sources(),
    "include_dirs": ["include"],
    # Every object depends on every header, so an edited header rebuilds the library.
    "obj_deps": {"": sorted(glob("include/wfp/*.h") + glob("src/*/*.h"))},
})

core_extension = Extension(
    "wfp._core",
    sources=["wfp/_core.pyx"],
    include_dirs=["include"],
    # The module links wfpcore: an edited C source or header must relink it too.
    depends=core_sources() + sorted(glob("include/wfp/*.h") + glob("src/*/*.h")),
    define_macros=[("Py_LIMITED_API", LIMITED_API), ("CYTHON_LIMITED_API", "1")],
    py_limited_api=True,
)

setup(
    libraries=[wfpcore],
    cmdclass={"build_clib": BuildStrictClib, "build_ext": BuildExtWithClib},
    ext_modules=cythonize(
        [core_extension],
        include_path=["."],
        compiler_directives={"language_level": "3"},
    ),
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
)
