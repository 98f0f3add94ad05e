"""Application ids: the value of FWPM_CONDITION_ALE_APP_ID for a program file.

An app id is what ``FwpmGetAppIdFromFileName0`` returns: the program's NT device path,
lower-cased, in UTF-16LE with its terminating NUL counted, e.g. for ``C:\\Windows\\notepad.exe``
the 2 * 44 bytes of ``\\device\\harddiskvolume3\\windows\\notepad.exe\\0``.  A Win32 path as
such never matches a filter, which is why rules take ``app_id(path)``.

On Windows with the real engine the blob comes from fwpuclnt.dll (the file must exist).
Elsewhere the embedded engine computes it with fixed rules, so the same policy gives the same
blob on every machine:

* ``X:\\rest`` -> ``\\device\\harddiskvolume<N>\\rest`` with N the drive letter's position in
  the alphabet (A: 1, B: 2, C: 3, D: 4, ...), as on a machine whose volumes are numbered
  in drive-letter order;
* ``\\\\server\\share\\rest`` (UNC) -> ``\\device\\mup\\server\\share\\rest``;
* ``\\\\?\\`` and ``\\\\?\\UNC\\`` prefixes are removed first; ``/`` is read as ``\\``;
* a path already in device form (``\\device\\...``) is kept;
* the whole string is lower-cased character by character (simple case mapping);
* anything else (a relative path, ``C:rest`` without a root) is rejected, because its meaning
  depends on a current directory the embedded engine does not have; the existence of the file
  is not checked.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional, Union

from wfp.errors import ValidationError, error_from_code

__all__ = ["app_id", "app_id_to_path"]

FWP_E_INVALID_PARAMETER = 0x80320035

PathLike = Union[str, "os.PathLike[str]"]


def _lower_simple(text: str) -> str:
    """Lower-case each character on its own, keeping those whose lower case is not one
    character (as CharLowerW does; str.lower() would turn 'İ' into two characters)."""
    out = []
    for ch in text:
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


def _offline_device_path(path: str) -> str:
    text = path.replace("/", "\\")
    if text.startswith("\\\\?\\UNC\\") or text.startswith("\\\\?\\unc\\"):
        text = "\\\\" + text[len("\\\\?\\UNC\\"):]
    elif text.startswith("\\\\?\\") or text.startswith("\\??\\"):
        text = text[4:]
    if len(text) >= 3 and text[0].isascii() and text[0].isalpha() and text[1] == ":" and text[2] == "\\":
        volume = ord(text[0].upper()) - ord("A") + 1
        device = f"\\device\\harddiskvolume{volume}" + text[2:]
    elif text.startswith("\\\\"):
        rest = text[2:]
        if not rest or rest.startswith("\\"):
            raise ValidationError(FWP_E_INVALID_PARAMETER, field="path", value=path,
                                  reason="a UNC path needs \\\\server\\share")
        device = "\\device\\mup\\" + rest
    elif text.lower().startswith("\\device\\"):
        device = text
    else:
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="path", value=path,
                              reason="need an absolute path (X:\\..., \\\\server\\share\\... "
                                     "or \\device\\...)")
    return _lower_simple(device)


def _app_id_offline(path: PathLike) -> bytes:
    """The embedded engine's app id rules (module docstring) in pure Python."""
    text = os.fspath(path)
    if not isinstance(text, str):
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="path", value=path,
                              reason="the path must be text")
    if "\0" in text or not text:
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="path", value=path,
                              reason="the path is empty or contains NUL")
    return _offline_device_path(text).encode("utf-16-le") + b"\0\0"


def _load_core() -> Optional[Any]:
    try:
        from wfp import _core  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _core


def _backend_name(backend: Any, core: Optional[Any]) -> str:
    if backend is None or backend == "auto":
        if sys.platform == "win32" and core is not None and core.win_available()[0]:
            return "fwpuclnt"
        return "sim"
    if isinstance(backend, str):
        if backend not in ("sim", "fwpuclnt"):
            raise ValidationError(FWP_E_INVALID_PARAMETER, field="backend", value=backend,
                                  reason='expected "auto", "sim" or "fwpuclnt"')
        return backend
    name = getattr(backend, "backend", None)  # a Session names the backend it uses
    if isinstance(name, str):
        return _backend_name(name, core)
    return "sim"  # a SimEngine instance: the embedded engine's rules


def app_id(path: PathLike, *, backend: Any = None) -> bytes:
    """The ALE_APP_ID blob for the program at ``path``.

    ``backend``: None/"auto" (fwpuclnt on Windows when available, else the embedded engine),
    "sim", "fwpuclnt", a Session or a SimEngine.  The real engine needs the file to exist and
    reports ERROR_FILE_NOT_FOUND / ERROR_PATH_NOT_FOUND otherwise.
    """
    text = os.fspath(path)
    if not isinstance(text, str) or not text or "\0" in text:
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="path", value=path,
                              reason="the path must be non-empty text without NUL")
    core = _load_core()
    name = _backend_name(backend, core)
    if core is None:
        if name == "fwpuclnt":
            raise error_from_code(0xE0320005, call="FwpmGetAppIdFromFileName0",
                                  detail="the compiled binding wfp._core is not built")
        return _app_id_offline(text)
    try:
        return core.app_id_from_file_name(name, text)
    except core.CoreError as exc:
        raise error_from_code(exc.code, call=getattr(exc, "call", None) or "FwpmGetAppIdFromFileName0",
                              detail=f"path={text!r}") from None


def app_id_to_path(blob: Union[bytes, bytearray, memoryview]) -> str:
    """The device path an app id blob holds (for display): UTF-16LE without the final NUL."""
    data = bytes(blob)
    if len(data) % 2:
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="app id", value=data,
                              reason="an app id is UTF-16LE text: its length must be even")
    text = data.decode("utf-16-le", errors="replace")
    return text[:-1] if text.endswith("\0") else text
