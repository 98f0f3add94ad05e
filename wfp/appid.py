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
* ``\\\\?\\``, ``\\\\.\\`` and ``\\\\?\\UNC\\`` prefixes are removed first; ``/`` is read as ``\\``;
* the whole string is lower-cased one UTF-16 unit at a time for ASCII, Latin-1, Latin
  Extended-A, Greek and Cyrillic letters (other characters are kept as written);
* anything else (a relative path, ``C:rest`` without a root, an empty path) fails with
  ERROR_PATH_NOT_FOUND, because its meaning depends on a current directory the embedded
  engine does not have; the existence of the file is not checked.

``_app_id_offline`` implements these rules in Python for when the compiled binding is not
built; the tests check that it agrees with the engine.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional, Union

from wfp.errors import ValidationError, error_from_code
from wfp.fields import _lone_surrogate

__all__ = ["app_id", "app_id_to_path"]

FWP_E_INVALID_PARAMETER = 0x80320035
ERROR_PATH_NOT_FOUND = 3
WFPKIT_E_UNSUPPORTED = 0xE0320005


PathLike = Union[str, "os.PathLike[str]"]


def _lower_unit(unit: int) -> int:
    """The embedded engine's lower-casing of one UTF-16 unit (the blocks named above)."""
    if unit < 0x80:
        return unit + 32 if 0x41 <= unit <= 0x5A else unit
    if (0xC0 <= unit <= 0xDE and unit != 0xD7) or (0x391 <= unit <= 0x3AB and unit != 0x3A2) \
            or 0x410 <= unit <= 0x42F:
        return unit + 32
    if 0x400 <= unit <= 0x40F:
        return unit + 80
    if unit == 0x178:
        return 0xFF
    if 0x100 <= unit <= 0x17F and unit not in (0x130, 0x131, 0x138, 0x149, 0x17F):
        # Latin Extended-A alternates capital/small; the parity flips in two stretches.
        odd_capitals = 0x139 <= unit <= 0x148 or 0x179 <= unit <= 0x17E
        return unit + 1 if (unit % 2 == 1) == odd_capitals else unit
    return unit


def _lower(text: str) -> str:
    return "".join(chr(_lower_unit(ord(ch))) if ord(ch) < 0x10000 else ch for ch in text)


def _path_not_found(path: object, reason: str) -> ValidationError:
    return ValidationError(ERROR_PATH_NOT_FOUND, field="path", value=path, reason=reason)


def _offline_device_path(path: str) -> str:
    text = path.replace("/", "\\")
    folded = _lower(text[:8])
    unc = False
    if folded.startswith("\\\\?\\unc\\"):
        text, unc = text[8:], True
    elif folded.startswith("\\\\?\\") or folded.startswith("\\\\.\\"):
        text = text[4:]
    elif text.startswith("\\\\"):
        text, unc = text[2:], True
    if unc:
        if not text or text.startswith("\\"):
            raise _path_not_found(path, "a UNC path needs \\\\server\\share")
        return "\\device\\mup\\" + _lower(text)
    letter = _lower_unit(ord(text[0])) if text else 0
    if len(text) < 3 or not ord("a") <= letter <= ord("z") or text[1] != ":" or text[2] != "\\":
        raise _path_not_found(path, "need an absolute path: X:\\... or \\\\server\\share\\...")
    volume = letter - ord("a") + 1
    return f"\\device\\harddiskvolume{volume}" + _lower(text[2:])


def _app_id_offline(path: PathLike) -> bytes:
    """The embedded engine's app id rules (module docstring) in pure Python."""
    text = os.fspath(path)
    if not isinstance(text, str) or "\0" in text or _lone_surrogate(text):
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="path", value=path,
                              reason="the path must be text without NUL or lone surrogates")
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
    if not isinstance(text, str) or "\0" in text or _lone_surrogate(text):
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="path", value=path,
                              reason="the path must be text without NUL or lone surrogates")
    core = _load_core()
    name = _backend_name(backend, core)
    if core is None:
        if name == "fwpuclnt":
            raise error_from_code(WFPKIT_E_UNSUPPORTED, call="FwpmGetAppIdFromFileName0",
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
