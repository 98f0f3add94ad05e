"""The re-apply cache of policy files (docs/policy.md, "Re-applying an unchanged file").

After a policy file is applied, one entry per provider remembers the file (its resolved path
and SHA-256), every address list it read (resolved path and SHA-256), the library version
and policy format, and the aggregate digest of the provider's objects in the engine after
the apply.  Loading the same bytes again (lists included) lets planning skip parsing when the
engine's aggregate still equals the remembered one.  Anything unexpected about the cache
file (missing, unreadable, malformed, another version) makes it count as empty: the cache
can only ever save work, never decide a plan on its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union  # noqa: UP035 (as wfp.policy)

CACHE_ENV = "WFPKIT_POLICY_CACHE"
_CACHE_VERSION = 1
_OFF = {"", "0", "off", "no", "none", "false"}


def file_digest(data: bytes) -> str:
    """The digest a cache entry keeps of a file's bytes (SHA-256, hex)."""
    return hashlib.sha256(data).hexdigest()


def default_path() -> Path:
    """``%LOCALAPPDATA%\\wfpkit\\policy-cache.json`` on Windows,
    ``$XDG_CACHE_HOME/wfpkit/policy-cache.json`` (``~/.cache/...``) elsewhere."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wfpkit" / "policy-cache.json"


def resolve(cache: Any) -> Optional[Path]:
    """The cache file meant by ``load(..., cache=...)``: None -> the environment variable
    WFPKIT_POLICY_CACHE (a path, or empty / "off" to disable) or the default path; False ->
    no cache; a path -> that file."""
    if cache is False:
        return None
    if cache is None or cache is True:
        configured = os.environ.get(CACHE_ENV)
        if configured is None:
            return default_path()
        if configured.strip().lower() in _OFF:
            return None
        return Path(configured)
    return Path(cache)


class Entry:
    """One remembered apply."""

    __slots__ = ("provider", "policy", "digest", "lists", "aggregate", "unchanged", "kept")

    def __init__(self, provider: uuid.UUID, policy: str, digest: str,
                 lists: List[Tuple[str, str]], aggregate: bytes, unchanged: int,
                 kept: int) -> None:
        self.provider = provider
        self.policy = policy
        self.digest = digest
        self.lists = lists
        self.aggregate = aggregate
        self.unchanged = unchanged
        self.kept = kept


def _stamp() -> Dict[str, Any]:
    from wfp import __version__
    from wfp.policy import FORMAT_VERSION
    return {"version": _CACHE_VERSION, "wfpkit": __version__, "format": FORMAT_VERSION}


def _read(path: Path) -> Dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(document, dict):
        return {}
    entries = document.get("entries")
    if any(document.get(k) != v for k, v in _stamp().items()) or not isinstance(entries, dict):
        return {}
    return entries


def lookup(path: Path, policy: Path, digest: str) -> Optional[Tuple[Entry, Dict[Path, bytes]]]:
    """The entry for this policy file and content, with the bytes of its address lists (read
    now and found unchanged); None when there is none or anything differs."""
    target = str(policy)
    for key, item in _read(path).items():
        try:
            if item["policy"] != target or item["digest"] != digest:
                continue
            lists: Dict[Path, bytes] = {}
            for list_path, list_digest in item["lists"]:
                try:
                    data = Path(list_path).read_bytes()
                except OSError:
                    return None
                if file_digest(data) != list_digest:
                    return None
                lists[Path(list_path)] = data
            entry = Entry(uuid.UUID(key), target, digest,
                          [(str(p), str(d)) for p, d in item["lists"]],
                          bytes.fromhex(item["aggregate"]), int(item["unchanged"]),
                          int(item["kept"]))
        except (KeyError, TypeError, ValueError):
            return None
        return entry, lists
    return None


def store(path: Path, entry: Entry) -> None:
    """Remember an entry (replacing the provider's previous one).  A cache that cannot be
    written is skipped: it only ever saves work."""
    entries = _read(path)
    entries[str(entry.provider)] = {
        "policy": entry.policy, "digest": entry.digest, "lists": entry.lists,
        "aggregate": entry.aggregate.hex(), "unchanged": entry.unchanged, "kept": entry.kept}
    document = {**_stamp(), "entries": entries}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".policy-cache.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out)
            os.replace(temporary, path)
        except BaseException:
            with _suppressed():
                os.unlink(temporary)
            raise
    except OSError:
        pass


def forget(path: Path, provider: uuid.UUID) -> None:
    """Drop the provider's entry (after an apply whose result cannot be remembered)."""
    entries = _read(path)
    if str(provider) in entries:
        del entries[str(provider)]
        document = {**_stamp(), "entries": entries}
        try:
            handle, temporary = tempfile.mkstemp(prefix=".policy-cache.", dir=path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out)
            os.replace(temporary, path)
        except OSError:
            pass


class _suppressed:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return True


Cache = Union[None, bool, str, "os.PathLike[str]"]
