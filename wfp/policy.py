"""Policy files: a provider, its sublayers and rules in TOML or JSON, planned and applied as a diff.

::

    policy = wfp.policy.load("killswitch.toml")
    with wfp.Session(dynamic=False) as session:
        plan = policy.plan(session)          # what would change: adds, deletes, replacements
        policy.apply(session, prune=True)    # all of it in one transaction

A policy file (``docs/policy.md`` has the whole format; ``wfp/policy.schema.json`` is its JSON
Schema) declares one ``provider``, any number of ``sublayer`` tables and ``rule`` tables.  A rule
fans out into one filter per layer it names.  An address list (``{ file = "list.txt" }``) is
collapsed to the fewest prefixes and split by family onto the V4 and V6 variant of each layer; a
list longer than :data:`CHUNK_MAX_ENTRIES` is split across several filters.

Every object gets a deterministic key: the provider's from its name (unless the file gives
one), sublayers' and rules' as UUIDv5 under the provider key from their name (and, for rules,
layer and chunk), so the same file means the same keys on every machine and applying it twice
changes nothing the second time.  WFP cannot update a filter, so a changed rule is replaced:
deleted and added again inside the same transaction.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import ipaddress
import itertools
import json
import os
import re
import socket
import tomllib
import uuid
import zlib
from dataclasses import dataclass, fields as dataclass_fields
from pathlib import Path
from typing import (
    Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union,
)

from wfp import _core, _ids, _policy_cache
from wfp.appid import app_id
from wfp.errors import NotFound, ValidationError, WFPError
from wfp.fields import (
    Condition, DataType, Field, FieldType, Layer, Match, Range, _lone_surrogate, coerce_field,
    coerce_layer, encode_condition,
)
from wfp.rules import Action, Provider, Rule, RuleDecoder, Sublayer, WeightRange, error_code
from wfp.session import _collector_paused

__all__ = [
    "load", "loads", "Policy", "Plan", "Change", "PolicyError", "RuleOrigin", "Snapshot",
    "load_snapshot", "read_document", "render_toml", "CHUNK_MAX_ENTRIES", "CHUNK_MIN_ENTRIES", "CHUNK_BOUNDARY_MODULUS",
    "POLICY_NAMESPACE", "FORMAT_VERSION", "schema_path", "provider_key_for", "sublayer_key_for",
    "rule_key_for", "read_address_list", "parse_prefix", "collapse", "collapse_prefixes",
    "chunk_entries",
]

FORMAT_VERSION = 1

# Entries one filter may carry in one condition field.  1,000 is the largest list size that is
# known to work on real Windows at scale: Windows Firewall caps a rule's address list at 1,000
# and the crowdsec bouncer batches blocklists by 1,000 after COM failures with larger sets
# (reference/peers.md §3, §4.9).  A filter's OR list is matched entry by entry, so a bounded
# list also bounds the cost of one filter in arbitration.
CHUNK_MAX_ENTRIES = 1000
# Below the maximum, chunk ends are chosen by content (an entry whose CRC-32 is a multiple of
# the modulus ends a chunk once it holds at least the minimum), so adding or removing one
# address of a 50,000-entry feed changes one chunk and leaves the other filters in place.
CHUNK_MIN_ENTRIES = 256
CHUNK_BOUNDARY_MODULUS = 512

# Namespace of provider keys derived from a provider's name (uuid5(POLICY_NAMESPACE, ...)).
POLICY_NAMESPACE = uuid.UUID("3d0c8f3e-5b7a-4d51-9a3e-6f1e2b7c9d40")

_INVALID = error_code("ERROR_INVALID_PARAMETER")
_FILE_NOT_FOUND = error_code("ERROR_FILE_NOT_FOUND")
_TYPE_MISMATCH = error_code("FWP_E_TYPE_MISMATCH")
_LAYER_NOT_FOUND = error_code("FWP_E_LAYER_NOT_FOUND")
_CONDITION_NOT_FOUND = error_code("FWP_E_CONDITION_NOT_FOUND")
_SUBLAYER_NOT_FOUND = error_code("FWP_E_SUBLAYER_NOT_FOUND")
_ALREADY_EXISTS = error_code("FWP_E_ALREADY_EXISTS")
_LIFETIME_MISMATCH = error_code("FWP_E_LIFETIME_MISMATCH")
_INVALID_NET_MASK = error_code("FWP_E_INVALID_NET_MASK")
_INVALID_WEIGHT = error_code("FWP_E_INVALID_WEIGHT")

_UNIVERSAL_SUBLAYER = uuid.UUID(_ids.SUBLAYERS["UNIVERSAL"])

_ADDRESS_FIELDS = frozenset(
    f for layer in Layer for f, (_dt, ft) in layer.fields.items() if ft == FieldType.IP_ADDRESS)
_ACTIONS = {"block": Action.BLOCK, "permit": Action.PERMIT}
_MATCHES = {m.name.lower(): m for m in Match}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class PolicyError(ValidationError):
    """A policy or snapshot file is wrong; nothing was applied.

    ``path`` is the file (the address list's own file for a bad list line), ``line`` the line
    number when known, ``where`` the place in the document (``rule[2] 'block dns':
    conditions.ip_remote_port``) and ``reason`` what is wrong.  ``str()`` is one line:
    ``policy.toml:14: rule[2] 'block dns': conditions.ip_remote_port: ...``.
    """

    def __init__(self, code: int, path: Union[str, os.PathLike], where: str, reason: str, *,
                 line: Optional[int] = None, value: Any = None) -> None:
        self.path = os.fspath(path)
        self.line = line
        self.where = where
        super().__init__(code, where, value, reason)

    def _render(self) -> str:
        place = f"{self.path}:{self.line}" if self.line else self.path
        return f"{place}: {self.where}: {self.reason}" if self.where else f"{place}: {self.reason}"

    def __reduce__(self):
        return (_rebuild_policy_error,
                (self.code, self.path, self.where, self.reason, self.line, self.value))


def _rebuild_policy_error(code: int, path: str, where: str, reason: str, line: Optional[int],
                          value: Any) -> PolicyError:
    return PolicyError(code, path, where, reason, line=line, value=value)


# --------------------------------------------------------------------------------------------
# Reading documents, with positions for messages
# --------------------------------------------------------------------------------------------

_TOML_ERROR_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_TOML_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_\-\"'. ]+?)\s*\]\]")


class _Source:
    """A parsed document and the text it came from, to put line numbers in messages.

    The text is split into lines, and TOML array headers are found, only when a message first
    needs a line: a 100,000-rule file that loads cleanly never pays for it.
    """

    def __init__(self, path: Path, text: str, kind: str, data: dict) -> None:
        self.path = path
        self.kind = kind
        self.data = data
        self._text = text
        self._lines: Optional[List[str]] = None
        self._headers: Optional[Dict[str, List[int]]] = None

    @property
    def lines(self) -> List[str]:
        if self._lines is None:
            self._lines = self._text.splitlines()
        return self._lines

    def _array_headers(self) -> Dict[str, List[int]]:
        if self._headers is None:
            self._headers = {}
            for number, line in enumerate(self.lines, 1):
                match = _TOML_ARRAY_HEADER.match(line)
                if match:
                    name = match.group(1).strip().strip("\"'")
                    self._headers.setdefault(name, []).append(number)
        return self._headers

    def item_line(self, section: str, index: int, name: Any = None) -> Optional[int]:
        """The line where ``section[index]`` starts (TOML: its ``[[section]]`` header; JSON: the
        line of its ``"name"``)."""
        if self.kind == "toml":
            headers = self._array_headers().get(section, [])
            return headers[index] if index < len(headers) else None
        if not isinstance(name, str):
            return None
        needle = re.compile(r'"name"\s*:\s*' + re.escape(json.dumps(name)))
        for number, line in enumerate(self.lines, 1):
            if needle.search(line):
                return number
        return None

    def table_line(self, name: str) -> Optional[int]:
        """The line of the ``[name]`` table (TOML) or of the ``"name":`` key (JSON)."""
        pattern = re.compile(r"^\s*\[\s*" + re.escape(name) + r"\s*\]" if self.kind == "toml"
                             else r'"' + re.escape(name) + r'"\s*:')
        for number, line in enumerate(self.lines, 1):
            if pattern.search(line):
                return number
        return None

    def key_line(self, start: Optional[int], key: str) -> Optional[int]:
        """The line of ``key = ...`` (or ``"key": ...``) at or after line ``start``, within the
        same ``[[...]]`` item; ``start`` when it cannot be found."""
        if start is None:
            return None
        pattern = re.compile(r'^\s*"?' + re.escape(key) + r'"?\s*[=:]|[{,]\s*"?'
                             + re.escape(key) + r'"?\s*[=:]', re.IGNORECASE)
        lines = self.lines
        for number in range(start, len(lines) + 1):
            line = lines[number - 1]
            if number > start and self.kind == "toml" and _TOML_ARRAY_HEADER.match(line):
                break
            if pattern.search(line):
                return number
        return start


def _read_text(path: Path, what: str, where: str = "") -> str:
    return _decode_text(path, _read_bytes(path, what, where))


def _read_bytes(path: Path, what: str, where: str = "") -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(_FILE_NOT_FOUND, path, where, f"{what} not found") from None
    except OSError as error:
        raise PolicyError(_FILE_NOT_FOUND, path, where,
                          f"cannot read the {what}: {error.strerror or error}") from None


def _decode_text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise PolicyError(_INVALID, path, "", f"not UTF-8 text (byte {error.start})",
                          line=line) from None


def _parse_document(path: Path, text: str) -> _Source:
    suffix = path.suffix.lower()
    kind = "json" if suffix == ".json" else "toml" if suffix == ".toml" else (
        "json" if text.lstrip().startswith("{") else "toml")
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise PolicyError(_INVALID, path, "", f"malformed JSON: {error.msg} "
                              f"(column {error.colno})", line=error.lineno) from None
        if not isinstance(data, dict):
            raise PolicyError(_INVALID, path, "", "a policy file holds one JSON object", line=1)
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            match = _TOML_ERROR_LINE.search(message)
            line = int(match.group(1)) if match else None
            if match is None and "(at end of document)" in message:
                line = max(1, len(text.splitlines()))
                message = message.replace("(at end of document)", "(at the end of the file)")
            reason = _TOML_ERROR_LINE.sub("", message).strip()
            if match:
                reason += f" (column {match.group(2)})"
            raise PolicyError(_INVALID, path, "", f"malformed TOML: {reason}", line=line) from None
    return _Source(path, text, kind, data)


# --------------------------------------------------------------------------------------------
# Address lists and chunking
# --------------------------------------------------------------------------------------------

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
Prefix = Tuple[int, int, int]  # (IP version, first address as an int, prefix length)
_COMMENT = re.compile(r"\s*[#;].*$")
_PREFIX_LENGTH = re.compile(r"^[0-9]{1,3}$")
_BITS = {4: 32, 6: 128}


def parse_prefix(text: str) -> Prefix:
    """An address or CIDR prefix as ``(version, first address, prefix length)``.

    Raises ValueError with a readable reason for text that is neither, and for a prefix with
    host bits set (naming the prefix that was probably meant).  Accepts what
    ``ipaddress.ip_network(text)`` accepts, at a fraction of its cost.
    """
    address, slash, length = text.partition("/")
    try:
        if ":" in address:
            version, value = 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, address), "big")
        else:
            version, value = 4, int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
    except (OSError, ValueError):
        raise ValueError(f"{text!r} is not an IP address or CIDR prefix") from None
    bits = _BITS[version]
    if slash:
        if not _PREFIX_LENGTH.match(length) or int(length) > bits:
            raise ValueError(f"{text!r} has a bad prefix length (0 to {bits} for IPv{version})")
        prefix = int(length)
    else:
        prefix = bits
    if value & ((1 << (bits - prefix)) - 1):
        meant = value >> (bits - prefix) << (bits - prefix)
        raise ValueError(f"{text!r} has host bits set (did you mean "
                         f"{_prefix_text((version, meant, prefix))}?)")
    return (version, value, prefix)


def _prefix_text(prefix: Prefix) -> str:
    return str(_prefix_value(prefix))


def _prefix_value(prefix: Prefix) -> Any:
    """A single address as an ipaddress address (an EQUAL match on the address), a wider
    prefix as an ipaddress network (an address-and-mask match)."""
    version, value, length = prefix
    if version == 4:
        return ipaddress.IPv4Address(value) if length == 32 else ipaddress.IPv4Network((value, length))
    return ipaddress.IPv6Address(value) if length == 128 else ipaddress.IPv6Network((value, length))


def _prefix_network(prefix: Prefix) -> Network:
    version, value, length = prefix
    return (ipaddress.IPv4Network((value, length)) if version == 4
            else ipaddress.IPv6Network((value, length)))


def _read_prefixes(path: Path, where: str, data: Optional[bytes] = None) -> List[Prefix]:
    text = _decode_text(path, data if data is not None else
                        _read_bytes(path, "address list", where))
    prefixes: List[Prefix] = []
    append = prefixes.append
    for number, raw in enumerate(text.splitlines(), 1):
        entry = raw.strip()
        if not entry or entry[0] in "#;":
            continue
        if "#" in entry or ";" in entry:
            entry = _COMMENT.sub("", entry)
        try:
            append(parse_prefix(entry))
        except ValueError as error:
            raise PolicyError(_TYPE_MISMATCH, path, where, str(error), line=number,
                              value=entry) from None
    return prefixes


def read_address_list(path: Union[str, os.PathLike], where: str = "") -> List[Network]:
    """The entries of an address list file as networks, in file order.

    One IPv4 or IPv6 address or CIDR prefix per line; ``#`` and ``;`` start a comment (a whole
    line or the end of one); blank lines are skipped.  A bad line raises :class:`PolicyError`
    naming the list file and the line number.
    """
    return [_prefix_network(p) for p in _read_prefixes(Path(path), where)]


def collapse_prefixes(prefixes: Iterable[Prefix], version: int) -> List[Prefix]:
    """The prefixes of one IP version merged into the fewest that cover the same addresses,
    in address order: the result of ``ipaddress.collapse_addresses``, on plain ints."""
    bits = _BITS[version]
    spans = sorted((value, value + (1 << (bits - length)) - 1)
                   for v, value, length in prefixes if v == version)
    merged: List[List[int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1][1] = last
        else:
            merged.append([first, last])
    out: List[Prefix] = []
    for first, last in merged:
        while first <= last:
            aligned = (first & -first).bit_length() - 1 if first else bits
            fits = (last - first + 1).bit_length() - 1
            size = min(aligned, fits)
            out.append((version, first, bits - size))
            first += 1 << size
    return out


def collapse(networks: Iterable[Network]) -> Tuple[List[Network], List[Network]]:
    """(IPv4, IPv6): each family collapsed to the fewest prefixes, sorted."""
    prefixes = [(n.version, int(n.network_address), n.prefixlen) for n in networks]
    v4, v6 = ([_prefix_network(p) for p in collapse_prefixes(prefixes, version)]
              for version in (4, 6))
    return v4, v6


def _entry_digest(value: Any) -> int:
    return zlib.crc32(str(value).encode("utf-8"))


def chunk_entries(entries: Sequence[Any], digest: Callable[[Any], int] = _entry_digest
                  ) -> List[List[Any]]:
    """Split an OR list into the lists of the filters that carry it (see CHUNK_MAX_ENTRIES).

    A list of at most CHUNK_MAX_ENTRIES stays whole.  A longer one is cut after an entry whose
    ``digest`` (CRC-32 of its text by default) is a multiple of CHUNK_BOUNDARY_MODULUS once the
    chunk holds CHUNK_MIN_ENTRIES, and always at CHUNK_MAX_ENTRIES: the cuts depend on the
    entries, not on their positions.
    """
    if len(entries) <= CHUNK_MAX_ENTRIES:
        return [list(entries)]
    chunks: List[List[Any]] = []
    current: List[Any] = []
    for entry in entries:
        current.append(entry)
        size = len(current)
        if size >= CHUNK_MAX_ENTRIES or (
                size >= CHUNK_MIN_ENTRIES and digest(entry) % CHUNK_BOUNDARY_MODULUS == 0):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

# Names cannot hold NUL (WFP display names are NUL-terminated), so NUL-joined parts are an
# unambiguous UUIDv5 name.

def provider_key_for(name: str) -> uuid.UUID:
    """The key of a provider declared without one: UUIDv5 of ``provider NUL name``."""
    return uuid.uuid5(POLICY_NAMESPACE, f"provider\0{name}")


def sublayer_key_for(provider_key: uuid.UUID, name: str) -> uuid.UUID:
    """The key of a sublayer declared without one: UUIDv5 of ``sublayer NUL name`` under the
    provider key."""
    return uuid.uuid5(provider_key, f"sublayer\0{name}")


def rule_key_for(provider_key: uuid.UUID, name: str, layer: Layer, chunk: str = "0") -> uuid.UUID:
    """The key of the filter of a rule at a layer and chunk of a split list: UUIDv5 of
    ``rule NUL name NUL layer name NUL chunk`` under the provider key."""
    return uuid.uuid5(provider_key, f"rule\0{name}\0{layer.name}\0{chunk}")


# The version and variant bits of a UUIDv5 (RFC 9562 §5.5), as uuid.UUID(version=5) sets them.
_UUID5_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID5_SET = (5 << 76) | (0x8000 << 48)


_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def _uuid_of(value: int) -> uuid.UUID:
    """uuid.UUID(int=value) for a value known to be a UUID's, without UUID.__init__'s argument
    handling (most of the cost of making one)."""
    key = object.__new__(uuid.UUID)
    object.__setattr__(key, "int", value)
    object.__setattr__(key, "is_safe", _SAFE_UNKNOWN)
    return key


class _RuleKeys:
    """rule_key_for as a plain int, for a whole file: the SHA-1 of the provider key is begun
    once, and no uuid.UUID is made for a filter that is never built as a wfp.Rule."""

    __slots__ = ("_begun",)

    def __init__(self, provider_key: uuid.UUID) -> None:
        self._begun = hashlib.sha1(provider_key.bytes)

    def __call__(self, name: str, layer_name: str, chunk: str) -> int:
        digest = self._begun.copy()
        digest.update(f"rule\0{name}\0{layer_name}\0{chunk}".encode("utf-8"))
        return (int.from_bytes(digest.digest()[:16], "big") & _UUID5_CLEAR) | _UUID5_SET

# --------------------------------------------------------------------------------------------
# The document schema, checked by hand so each message names the place
# --------------------------------------------------------------------------------------------

_TOP_KEYS = {"format", "provider", "sublayer", "rule"}
_PROVIDER_KEYS = {"name", "key", "description", "persistent"}
_SUBLAYER_KEYS = {"name", "key", "description", "weight", "persistent"}
_RULE_KEYS = {"name", "layer", "sublayer", "weight", "action", "hard", "persistent",
              "boot_time", "description", "conditions", "key"}
_VALUE_TABLE_KEYS = ("file", "range", "match", "hex", "app")

_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "a table",
               list: "an array", float: "a number"}


def _type_name(value: Any) -> str:
    for kind in (bool, int, float, str, list, dict):
        if isinstance(value, kind):
            return _TYPE_NAMES[kind]
    return type(value).__name__


class _Context:
    """Where in the document we are, to raise PolicyError with the file, line and place.

    The line is looked up in the text only when a message needs it.
    """

    __slots__ = ("source", "where", "_line", "_locate")

    def __init__(self, source: _Source, where: str, line: Optional[int] = None,
                 locate: Optional[Callable[[], Optional[int]]] = None) -> None:
        self.source = source
        self.where = where
        self._line = line
        self._locate = locate

    @property
    def line(self) -> Optional[int]:
        if self._locate is not None:
            self._line, self._locate = self._locate(), None
        return self._line

    def at(self, key: str, *, separator: str = ": ") -> "_Context":
        tail = key.rsplit(".", 1)[-1]
        where = f"{self.where}{separator}{key}" if self.where else key
        return _Context(self.source, where,
                        locate=lambda: self.source.key_line(self.line, tail))

    def item(self, suffix: str) -> "_Context":
        """The same place with a suffix (an index into a list), on the same line."""
        return _Context(self.source, self.where + suffix, locate=lambda: self.line)

    def fail(self, reason: str, *, code: int = _INVALID, value: Any = None,
             line: Optional[int] = None) -> PolicyError:
        return PolicyError(code, self.source.path, self.where, reason,
                           line=line if line is not None else self.line, value=value)


def _check_keys(ctx: _Context, table: dict, allowed: set, what: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ctx.at(key).fail(f"unknown key {key!r} in a {what}{hint}; allowed: "
                                   + ", ".join(sorted(allowed)))


def _get(ctx: _Context, table: dict, key: str, kind: Any, *, required: bool = False,
         default: Any = None) -> Any:
    if key not in table:
        if required:
            raise ctx.fail(f"missing required key {key!r}")
        return default
    value = table[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = any(isinstance(value, k) and not (k is int and isinstance(value, bool)) for k in kinds)
    if not ok:
        expected = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise ctx.at(key).fail(f"expected {expected}, got {_type_name(value)} {value!r}",
                               code=_TYPE_MISMATCH, value=value)
    return value


def _get_text(ctx: _Context, table: dict, key: str, required: bool = False) -> Optional[str]:
    """A name or description: text the engine stores as UTF-16, so no NUL, no lone surrogate."""
    text = _get(ctx, table, key, str, required=required)
    if text is None:
        return None
    if "\0" in text:
        raise ctx.at(key).fail(f"a {key} cannot contain a NUL character")
    if _lone_surrogate(text):  # as a JSON "\ud800" escape gives
        raise ctx.at(key).fail(f"a {key} must be Unicode text (it holds a lone "
                               "surrogate)", value=text)
    return text


def _get_name(ctx: _Context, table: dict) -> str:
    name = _get_text(ctx, table, "name", required=True)
    if not name.strip():
        raise ctx.at("name").fail("a name cannot be empty")
    return name


def _get_key(ctx: _Context, table: dict) -> Optional[uuid.UUID]:
    text = _get(ctx, table, "key", str)
    if text is None:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ctx.at("key").fail(f"{text!r} is not a UUID", code=_TYPE_MISMATCH,
                                 value=text) from None


def _get_weight(ctx: _Context, table: dict) -> Any:
    if "weight" not in table:
        return None
    value = table["weight"]
    wctx = ctx.at("weight")
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 1 << 64:
            raise wctx.fail(f"an exact weight is 0 to 2**64-1, got {value}", code=_INVALID_WEIGHT,
                            value=value)
        return value
    if isinstance(value, dict) and set(value) == {"range"}:
        level = value["range"]
        if isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 15:
            return WeightRange(level)
        raise wctx.fail(f"a weight range is an integer from 0 to 15, got {level!r}",
                        code=_INVALID_WEIGHT, value=level)
    raise wctx.fail(f"expected an integer (exact weight) or {{ range = 0..15 }}, got "
                    f"{_type_name(value)} {value!r}", code=_TYPE_MISMATCH, value=value)


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------

class _FieldMeta:
    """A condition field as a policy file names it, with what the per-rule code asks of it
    (plain attributes: hashing an enum member runs Python code)."""

    __slots__ = ("field", "name", "key", "key_int", "is_address")

    def __init__(self, field: Field) -> None:
        self.field = field
        self.name = field.name
        self.key = field.value
        self.key_int = field.value.int
        self.is_address = field in _ADDRESS_FIELDS


class _Entry:
    """One OR'ed value of a condition field, with the place it was written (for messages).

    A collapsed address carries ``prefix`` and no ``value``: its ipaddress object is made only
    when a wfp.Rule is built.  ``ctx`` is None for values read by the quick path.  The wire
    value is kept for the last layer it was encoded for: entries are shared by the filters of
    a rule (and by rules that write the same value), which mostly sit at one layer.
    """

    __slots__ = ("field", "match", "value", "ctx", "prefix", "wire_layer", "wire")

    def __init__(self, field: _FieldMeta, match: Match, value: Any, ctx: Optional["_Context"],
                 prefix: Optional[Prefix] = None) -> None:
        self.field = field
        self.match = match
        self.value = value
        self.ctx = ctx
        self.prefix = prefix
        self.wire_layer: Optional[_LayerMeta] = None
        self.wire: Any = None

    def python_value(self) -> Any:
        """The value as wfp.Condition takes it."""
        return self.value if self.prefix is None else _prefix_value(self.prefix)


def _family(value: Any) -> Optional[int]:
    if isinstance(value, Range):
        value = value.low
    return getattr(value, "version", None)


def _entry_chunk_digest(entry: _Entry) -> int:
    if entry.prefix is not None:
        version, value, length = entry.prefix
        return zlib.crc32(value.to_bytes(16, "big") + bytes((version, length)))
    return _entry_digest(entry.value)


class _FieldValues:
    """The values of one condition key: plain entries, and EQUAL addresses to be collapsed."""

    __slots__ = ("meta", "key", "ctx", "is_address", "entries", "prefixes", "_collapsed")

    def __init__(self, meta: _FieldMeta, key: str, ctx: Optional["_Context"]) -> None:
        self.meta = meta
        self.key = key
        self.ctx = ctx
        self.is_address = meta.is_address
        self.entries: List[_Entry] = []
        self.prefixes: List[Prefix] = []
        self._collapsed: Dict[int, List[_Entry]] = {}

    def for_family(self, family: Optional[int]) -> List[_Entry]:
        """The entries a filter of a layer of ``family`` carries: the addresses of that family
        collapsed (in address order), then the other entries of that family as written."""
        if family is None or not self.is_address:
            return self.entries
        collapsed = self._collapsed.get(family)
        if collapsed is None:
            prefixes = self.prefixes
            if len(prefixes) == 1:  # the common single address: nothing to merge
                mine = prefixes if prefixes[0][0] == family else []
            else:
                mine = collapse_prefixes(prefixes, family)
            meta = self.meta
            collapsed = [_Entry(meta, Match.EQUAL, None, self.ctx, p) for p in mine]
            self._collapsed[family] = collapsed
        if not self.entries:
            return collapsed
        return collapsed + [e for e in self.entries if _family(e.value) == family]

    def has_family(self, family: int) -> bool:
        return (any(p[0] == family for p in self.prefixes)
                or any(_family(e.value) == family for e in self.entries))


def _field_suggestion(name: str) -> str:
    close = difflib.get_close_matches(name.upper(), list(Field.__members__), n=1, cutoff=0.75)
    return f" (did you mean {close[0].lower()}?)" if close else ""


# Condition keys as written in files (any case, with or without FWPM_CONDITION_, aliases).
_FIELDS_BY_KEY: Dict[str, _FieldMeta] = {}
_FIELD_METAS: Dict[Field, _FieldMeta] = {}


def _parse_field(ctx: _Context, name: str) -> _FieldMeta:
    meta = _FIELDS_BY_KEY.get(name)
    if meta is not None:
        return meta
    try:
        field = coerce_field(name)
    except ValidationError:
        raise ctx.fail(f"unknown field {name!r}{_field_suggestion(name)}",
                       code=_CONDITION_NOT_FOUND, value=name) from None
    meta = _FIELD_METAS.get(field)
    if meta is None:
        meta = _FIELD_METAS[field] = _FieldMeta(field)
    _FIELDS_BY_KEY[name] = meta
    return meta


def _address_prefix(ctx: _Context, value: Any) -> Prefix:
    if not isinstance(value, str):
        raise ctx.fail(f"an address is written as a string (\"10.0.0.1\", \"fd00::/8\"), got "
                       f"{_type_name(value)} {value!r}", code=_TYPE_MISMATCH, value=value)
    try:
        return parse_prefix(value.strip())
    except ValueError as error:
        code = _INVALID_NET_MASK if "host bits" in str(error) else _TYPE_MISMATCH
        raise ctx.fail(str(error), code=code, value=value) from None


def _plain_value(ctx: _Context, value: Any) -> Any:
    if isinstance(value, (dict, list)) or value is None:
        raise ctx.fail(f"expected a single value, got {_type_name(value)} {value!r}",
                       code=_TYPE_MISMATCH, value=value)
    if isinstance(value, float):
        raise ctx.fail(f"no condition field takes a number with a fraction ({value!r})",
                       code=_TYPE_MISMATCH, value=value)
    return value


def _range_value(ctx: _Context, value: Any, is_address: bool) -> Range:
    if not (isinstance(value, list) and len(value) == 2):
        raise ctx.fail(f"a range is [low, high], got {value!r}", code=_TYPE_MISMATCH, value=value)
    low, high = (_plain_value(ctx, v) for v in value)
    if is_address:
        try:
            low, high = ipaddress.ip_address(str(low).strip()), ipaddress.ip_address(str(high).strip())
        except ValueError:
            raise ctx.fail(f"an address range is two addresses, got {value!r}",
                           code=_TYPE_MISMATCH, value=value) from None
        if low.version != high.version:
            raise ctx.fail(f"both ends of an address range are of one family, got {value!r}",
                           code=_TYPE_MISMATCH, value=value)
    return Range(low, high)


def _parse_values(ctx: _Context, meta: _FieldMeta, key: str, spec: Any, loader: "_Loader"
                  ) -> _FieldValues:
    """The OR'ed values of one condition key (a value, a list of values, or a value table)."""
    values = _FieldValues(meta, key, ctx)
    is_address = values.is_address
    items = spec if isinstance(spec, list) else [spec]
    if isinstance(spec, list) and not spec:
        raise ctx.fail("an empty list matches nothing; remove the condition or give values")
    entries = values.entries
    for position, item in enumerate(items):
        ictx = ctx.item(f"[{position}]") if isinstance(spec, list) else ctx
        if isinstance(item, dict):
            keys = set(item)
            if keys == {"file"}:
                values.prefixes.extend(_file_prefixes(ictx, item["file"], loader, is_address))
                continue
            if keys == {"range"}:
                entries.append(_Entry(meta, Match.RANGE,
                                      _range_value(ictx, item["range"], is_address), ictx))
                continue
            if keys == {"hex"}:
                text = item["hex"]
                try:
                    data = bytes.fromhex(text.replace(":", "").replace(" ", ""))
                except (ValueError, AttributeError):
                    raise ictx.fail(f"{text!r} is not hexadecimal bytes", code=_TYPE_MISMATCH,
                                    value=text) from None
                if not data:
                    # The engine keeps an empty byte blob as none at all: the filter would
                    # never read back as written, and every plan would replace it.
                    raise ictx.fail("empty bytes; a byte value needs at least one byte",
                                    code=_TYPE_MISMATCH, value=text)
                entries.append(_Entry(meta, Match.EQUAL, data, ictx))
                continue
            if keys == {"app"}:
                program = item["app"]
                if not isinstance(program, str):
                    raise ictx.fail(f"an app is a program path, got {program!r}",
                                    code=_TYPE_MISMATCH, value=program)
                loader.uses_system = True
                try:
                    blob = app_id(program)
                except WFPError as error:
                    raise ictx.fail(f"no app id for {program!r}: {error}", code=error.code,
                                    value=program) from None
                entries.append(_Entry(meta, Match.EQUAL, blob, ictx))
                continue
            if "match" in keys and keys <= {"match", "value"}:
                match, value = _match_value(ictx, item, is_address)
                if is_address and match == Match.EQUAL:
                    values.prefixes.append(value)
                else:
                    if is_address and not isinstance(value, Range):
                        value = _prefix_value(value)
                    entries.append(_Entry(meta, match, value, ictx))
                continue
            raise ictx.fail(f"a value table has one of {', '.join(_VALUE_TABLE_KEYS)} "
                            f"(or match and value), got {sorted(keys)}", value=item)
        value = _plain_value(ictx, item)
        if is_address:
            values.prefixes.append(_address_prefix(ictx, value))
        else:
            entries.append(_Entry(meta, Match.EQUAL, value, ictx))
    return values


def _match_value(ctx: _Context, item: dict, is_address: bool) -> Tuple[Match, Any]:
    name = item["match"]
    match = _MATCHES.get(name.lower()) if isinstance(name, str) else None
    if match is None:
        raise ctx.at("match").fail(f"unknown match {name!r}; one of {', '.join(_MATCHES)}",
                                   code=error_code("FWP_E_INVALID_ENUMERATOR"), value=name)
    if "value" not in item:
        raise ctx.fail("a match table needs a value")
    raw = item["value"]
    if match == Match.RANGE:
        return match, _range_value(ctx.at("value"), raw, is_address)
    value = _plain_value(ctx.at("value"), raw)
    if is_address:
        value = _address_prefix(ctx.at("value"), value)
    return match, value


def _file_prefixes(ctx: _Context, name: Any, loader: "_Loader", is_address: bool
                   ) -> List[Prefix]:
    if not isinstance(name, str):
        raise ctx.fail(f"file is a path, got {_type_name(name)} {name!r}", code=_TYPE_MISMATCH,
                       value=name)
    if not is_address:
        raise ctx.fail("an address list ({ file = ... }) is only for IP address fields",
                       code=_TYPE_MISMATCH, value=name)
    return loader.address_list(name, ctx.where)


class _Loader:
    """State of one load: where relative paths start, address lists already read (with the
    digest of their bytes, for the re-apply cache), and whether anything was read from the
    system rather than the files (app ids), which the re-apply cache cannot watch."""

    def __init__(self, base: Path, known: Optional[Dict[Path, bytes]] = None) -> None:
        self.base = base
        self._lists: Dict[Path, List[Prefix]] = {}
        self._known = known or {}
        self.digests: Dict[Path, str] = {}
        self.uses_system = False

    def address_list(self, name: str, where: str) -> List[Prefix]:
        path = Path(name) if Path(name).is_absolute() else self.base / name
        key = path.resolve()
        if key not in self._lists:
            data = self._known.get(key)
            if data is None:
                data = _read_bytes(path, "address list", where)
            self.digests[key] = _policy_cache.file_digest(data)
            self._lists[key] = _read_prefixes(path, where, data)
        return self._lists[key]


def _quick_values(meta: _FieldMeta, key: str, spec: Any) -> Optional[_FieldValues]:
    """The values of one condition key written in the common forms (a number, a string, an
    address, or a list of them), read without context objects; None for any other form and for
    anything wrong, which :func:`_parse_values` then reads, or reports with file and place."""
    values = _FieldValues(meta, key, None)
    if meta.is_address:
        if type(spec) is str:  # one address: nothing to collapse
            try:
                prefix = parse_prefix(spec.strip())
            except ValueError:
                return None
            values.prefixes.append(prefix)
            other_family = 6 if prefix[0] == 4 else 4
            values._collapsed = {prefix[0]: [_Entry(meta, Match.EQUAL, None, None, prefix)],
                                 other_family: []}
            return values
        if type(spec) is not list or not spec:
            return None
        prefixes = values.prefixes
        for item in spec:
            if type(item) is not str:
                return None
            try:
                prefixes.append(parse_prefix(item.strip()))
            except ValueError:
                return None
        return values
    items = spec if type(spec) is list else (spec,)
    if not items:
        return None
    entries = values.entries
    equal = Match.EQUAL
    for item in items:
        kind = type(item)
        if kind is not int and kind is not str:
            return None
        entries.append(_Entry(meta, equal, item, None))
    return values


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _variant(layer: Layer, family: int) -> Optional[Layer]:
    """The V4 (family 4) or V6 variant of a layer, or None if it has none."""
    name = layer.name
    mine, other = ("_V4", "_V6") if family == 4 else ("_V6", "_V4")
    if layer.is_v6 == (family == 6):
        return layer
    position = name.rfind(other)
    if position < 0:
        return None
    return Layer.__members__.get(name[:position] + mine + name[position + len(other):])


class _LayerMeta:
    """A layer with what the per-rule code asks of it, found once per process: its V4/V6
    variants and the (data type, field type) of each condition field there."""

    __slots__ = ("layer", "name", "key", "key_int", "_variants", "_fields")

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.name = layer.name
        self.key = layer.value
        self.key_int = layer.value.int
        self._variants: Dict[int, Optional[_LayerMeta]] = {}
        self._fields: Dict[str, Optional[Tuple[int, int]]] = {}

    def variant(self, family: int) -> Optional["_LayerMeta"]:
        try:
            return self._variants[family]
        except KeyError:
            found = _variant(self.layer, family)
            meta = self._variants[family] = None if found is None else _layer_meta(found)
            return meta

    def field_info(self, field: _FieldMeta) -> Optional[Tuple[int, int]]:
        """(data type, field type) as plain ints, None where the layer lacks the field."""
        try:
            return self._fields[field.name]
        except KeyError:
            info = self.layer.field_info(field.field)
            found = self._fields[field.name] = (
                None if info is None else (int(info[0]), int(info[1])))
            return found


_LAYER_METAS: Dict[str, _LayerMeta] = {}


def _layer_meta(layer: Layer) -> _LayerMeta:
    meta = _LAYER_METAS.get(layer.name)
    if meta is None:
        meta = _LAYER_METAS[layer.name] = _LayerMeta(layer)
    return meta


# How rules write their layers ("ALE_AUTH_CONNECT" or a list of names) -> the layers meant.
_LAYERS_BY_SPEC: Dict[Any, Tuple[_LayerMeta, ...]] = {}


def _parse_layers(ctx: _Context, spec: Any) -> Tuple[_LayerMeta, ...]:
    """The layers a rule names (cached by how they are written: files repeat them)."""
    key = spec if isinstance(spec, str) else (
        tuple(spec) if isinstance(spec, list) and all(isinstance(s, str) for s in spec) else None)
    found = _LAYERS_BY_SPEC.get(key) if key is not None else None
    if found is None:
        found = tuple(_layer_meta(layer) for layer in _resolve_layers(ctx, spec))
        if key is not None:
            _LAYERS_BY_SPEC[key] = found
    return found


def _resolve_layers(ctx: _Context, spec: Any) -> List[Layer]:
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise ctx.fail("a rule needs at least one layer")
    layers: List[Layer] = []
    for position, item in enumerate(items):
        ictx = ctx.item(f"[{position}]") if isinstance(spec, list) else ctx
        if not isinstance(item, str):
            raise ictx.fail(f"a layer is named by a string, got {_type_name(item)} {item!r}",
                            code=_TYPE_MISMATCH, value=item)
        found = _lookup_layer_name(item)
        if not found:
            close = difflib.get_close_matches(item.upper(), list(Layer.__members__), n=1,
                                              cutoff=0.75)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ictx.fail(f"unknown layer {item!r}{hint}", code=_LAYER_NOT_FOUND, value=item)
        for layer in found:
            if layer in layers:
                raise ictx.fail(f"layer {layer.name} is listed twice", value=item)
            layers.append(layer)
    return layers


def _lookup_layer_name(name: str) -> List[Layer]:
    """A layer by name; a name without _V4/_V6 that has both variants names both."""
    try:
        return [coerce_layer(name)]
    except ValidationError:
        pass
    base = name.strip().upper()
    for prefix in ("FWPM_LAYER_",):
        if base.startswith(prefix):
            base = base[len(prefix):]
    both = [Layer.__members__.get(base + "_V4"), Layer.__members__.get(base + "_V6")]
    return [layer for layer in both if layer is not None] if all(both) else []


# --------------------------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------------------------

class RuleOrigin(NamedTuple):
    """Where a filter of a policy came from: the rule as written, its layer and chunk."""

    rule: str
    index: int
    layer: Layer
    chunk: str


_WIRE_EMPTY, _WIRE_UINT8, _WIRE_UINT64 = (int(DataType.EMPTY), int(DataType.UINT8),
                                          int(DataType.UINT64))


class _Settings:
    """What every filter of one rule has in common (rules written alike share one)."""

    __slots__ = ("action", "action_int", "description", "sublayer", "sublayer_int", "weight",
                 "weight_wire", "provider", "provider_int", "persistent", "boot_time", "hard",
                 "flags")

    def __init__(self, action: Action, description: Optional[str], sublayer: uuid.UUID,
                 weight: Any, provider: uuid.UUID, persistent: bool, boot_time: bool,
                 hard: bool) -> None:
        self.action = action
        self.action_int = int(action)
        self.description = description
        self.sublayer = sublayer
        self.sublayer_int = sublayer.int
        self.weight = weight
        self.weight_wire = ((_WIRE_EMPTY, None) if weight is None
                            else (_WIRE_UINT8, weight.value) if isinstance(weight, WeightRange)
                            else (_WIRE_UINT64, weight))
        self.provider = provider
        self.provider_int = provider.int
        self.persistent = persistent
        self.boot_time = boot_time
        self.hard = hard
        self.flags = ((_core.FILTER_FLAG_PERSISTENT if persistent else 0)
                      | (_core.FILTER_FLAG_BOOTTIME if boot_time else 0)
                      | (_core.FILTER_FLAG_CLEAR_ACTION_RIGHT if hard else 0))


class _Filter:
    """One filter a policy declares, checked but not yet a wfp.Rule.

    ``wire()`` is the filter in the binding's form, what is added (and digested, to compare
    it with the engine's); a wfp.Rule is made (``build()``) only for a filter whose change a
    plan describes, or when :attr:`Policy.rules` is read.  ``entries`` are its condition
    values (an _Entry each), ``wires`` the same in wire form ``(field key, match, (data type,
    payload))``; ``key`` is the key as an int.
    """

    __slots__ = ("key", "name", "rule", "index", "layer", "chunk", "settings", "entries",
                 "wires", "_built")

    def __init__(self, key: int, name: str, rule: str, index: int, layer: _LayerMeta,
                 chunk: str, settings: _Settings, entries: tuple, wires: tuple) -> None:
        self.key = key
        self.name = name
        self.rule = rule
        self.index = index
        self.layer = layer
        self.chunk = chunk
        self.settings = settings
        self.entries = entries
        self.wires = wires
        self._built: Optional[Rule] = None

    def wire(self) -> tuple:
        """The filter tuple the binding adds (made afresh: a plan keeps no 100,000 alive)."""
        settings = self.settings
        return (self.key, self.name, settings.description, settings.flags,
                settings.provider, self.layer.key, settings.sublayer, settings.weight_wire,
                self.wires, settings.action_int, None, 0, None, None)

    def build(self, decode: Optional[Callable[[tuple], Rule]] = None) -> Rule:
        """The filter as a wfp.Rule (made once).

        Loading checked and encoded every value as wfp.Rule would (``_Loading.wire``), so the
        Rule is made from the filter tuple, as one read back from the engine is (``decode``, a
        RuleDecoder's, shared by the filters of one plan), without checking and encoding it
        all again.
        """
        rule = self._built
        if rule is None:
            wire = self.wire()
            rule = self._built = (decode or Rule._from_wire)(
                (_uuid_of(self.key),) + wire[1:] + (None, None))
        return rule

    def origin(self) -> RuleOrigin:
        return RuleOrigin(self.rule, self.index, self.layer.layer, self.chunk)


class Policy:
    """A loaded policy file: the objects it declares, ready to plan and apply.

    ``rules`` holds one :class:`wfp.Rule` per filter (after fan-out over layers and families
    and chunking of long lists), in file order; ``origins`` maps each rule key to the file's
    rule it came from.  Both are built when first read: planning and applying build Rules only
    for the filters whose changes they describe.

    A policy loaded from a file that the re-apply cache knows (the same bytes, lists included,
    applied before) is parsed only when something needs its contents: :attr:`parsed` says
    whether that has happened.
    """

    def __init__(self, path: Path, provider: Provider, sublayers: Tuple[Sublayer, ...],
                 filters: Tuple[_Filter, ...]) -> None:
        self._path = path
        self._provider: Optional[Provider] = provider
        self._sublayers: Tuple[Sublayer, ...] = sublayers
        self._filter_tuple: Optional[Tuple[_Filter, ...]] = filters
        self._rules: Optional[Tuple[Rule, ...]] = None
        # The re-apply cache: its file, this file's digest and the lists read (path, digest),
        # whether the policy may be remembered, and for an unparsed policy the entry found and
        # the bytes to parse.
        self._cache_path: Optional[Path] = None
        self._file_digest: Optional[str] = None
        self._list_digests: List[Tuple[str, str]] = []
        self._rememberable = False
        self._entry: Any = None
        self._unparsed: Optional[Tuple[bytes, Dict[Path, bytes]]] = None

    @classmethod
    def _known(cls, path: Path, raw: bytes, lists: Dict[Path, bytes], entry: Any,
               cache_path: Path) -> "Policy":
        policy = cls(path, None, (), None)  # type: ignore[arg-type]
        policy._cache_path, policy._file_digest = cache_path, entry.digest
        policy._list_digests, policy._rememberable = list(entry.lists), True
        policy._entry, policy._unparsed = entry, (raw, lists)
        return policy

    @property
    def parsed(self) -> bool:
        """Whether the file has been read into filters (False after a load that matched the
        re-apply cache, until something needs the contents)."""
        return self._unparsed is None

    def _parse(self) -> None:
        if self._unparsed is None:
            return
        raw, lists = self._unparsed
        with _collector_paused():
            text = _decode_text(self._path, raw)
            loaded = _build_policy(_parse_document(self._path, text), known_lists=lists)
        self._provider, self._sublayers = loaded._provider, loaded._sublayers
        self._filter_tuple = loaded._filter_tuple
        self._unparsed = None

    @property
    def _filters(self) -> Tuple[_Filter, ...]:
        self._parse()
        return self._filter_tuple  # type: ignore[return-value]

    @property
    def path(self) -> Path:
        """The policy file."""
        return self._path

    @property
    def provider(self) -> Provider:
        """The provider the file declares."""
        self._parse()
        return self._provider  # type: ignore[return-value]

    @property
    def sublayers(self) -> Tuple[Sublayer, ...]:
        """The sublayers the file declares, in file order."""
        self._parse()
        return self._sublayers

    @property
    def rules(self) -> Tuple[Rule, ...]:
        """Every filter of the policy as a wfp.Rule, in file order."""
        if self._rules is None:
            filters = self._filters
            with _collector_paused():
                decode = RuleDecoder().decode
                self._rules = tuple([f.build(decode) for f in filters])
        return self._rules

    @property
    def origins(self) -> Dict[uuid.UUID, RuleOrigin]:
        """Rule key -> the file's rule, layer and chunk it came from."""
        return {uuid.UUID(int=f.key): f.origin() for f in self._filters}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return (self._path == other._path and self.provider == other.provider
                and self.sublayers == other.sublayers
                and [f.wire() for f in self._filters] == [f.wire() for f in other._filters])

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if not self.parsed:
            return f"Policy(path={str(self._path)!r}, not parsed)"
        return (f"Policy(path={str(self._path)!r}, provider={self.provider.name!r}, "
                f"sublayers={len(self.sublayers)}, filters={len(self._filters)})")

    def plan(self, session: Any, *, prune: bool = False) -> "Plan":
        """What applying this policy to the session's engine would change (nothing is changed).

        Without ``prune`` the objects of the provider that the file does not declare are kept
        (and counted in :attr:`Plan.kept`); with it they are deleted.  Objects of other
        providers are never touched.  Pass the plan to :meth:`apply` to carry out this one.
        """
        with _collector_paused():
            known = _known_plan(session, self, prune)
            if known is not None:
                return known
            return _compare(session, _Desired.of_policy(self), prune=prune)

    def apply(self, session: Any, *, prune: bool = False, plan: Optional["Plan"] = None,
              progress: Optional[Callable[[str], None]] = None) -> "Plan":
        """Make the engine match the policy, in one transaction; returns the plan it carried out.

        ``plan``, made by :meth:`plan` of this policy on this session with the same ``prune``,
        is carried out as it is when the digest of the provider's objects in the engine, taken
        inside the transaction, is still the one it was made against; otherwise (or without a
        plan) the plan is made inside the transaction.  Either way nothing can change between
        the comparison and the writes.  When there is nothing to change nothing is written (a
        given plan with no changes is returned at once: the engine matched the file when it was
        made).  On any failure the transaction is aborted and the engine is exactly as before.
        """
        return _apply(session, self, prune=prune, plan=plan, progress=progress)


def load(path: Union[str, os.PathLike], *, cache: Any = None) -> Policy:
    """Read and check a policy file (TOML, or JSON by its ``.json`` suffix or leading ``{``).

    Every problem raises :class:`PolicyError` naming the file, the line when known, the rule
    and the key; nothing is sent to an engine.

    ``cache`` is the re-apply cache (docs/policy.md): None for the default (the
    ``WFPKIT_POLICY_CACHE`` environment variable, a path or ``off``, else the user's cache
    directory), False for none, or a file path.  When the file and its address lists are byte
    for byte those of an earlier successful apply, the file is not parsed now
    (:attr:`Policy.parsed`): it is known to be good, and planning may not need it at all.
    """
    path = Path(path)
    cache_path = _policy_cache.resolve(cache)
    raw = _read_bytes(path, "policy file")
    digest = None
    if cache_path is not None:
        digest = _policy_cache.file_digest(raw)
        try:
            found = _policy_cache.lookup(cache_path, path.resolve(), digest)
        except OSError:
            found = None
        if found is not None:
            return Policy._known(path, raw, found[1], found[0], cache_path)
    with _collector_paused():
        policy = _build_policy(_parse_document(path, _decode_text(path, raw)))
    if cache_path is not None:
        policy._cache_path, policy._file_digest = cache_path, digest
    return policy


def loads(text: str, *, path: Union[str, os.PathLike] = "<policy.toml>",
          base: Union[str, os.PathLike, None] = None) -> Policy:
    """A policy from text; ``path``'s suffix picks the format and names it in messages,
    ``base`` is where relative address list paths start (the current directory by default).
    Such a policy is never remembered by the re-apply cache."""
    with _collector_paused():
        source = _parse_document(Path(path), text)
        return _build_policy(source, Path(base) if base is not None else Path.cwd())


_DT_UINT32, _DT_BYTE_ARRAY16 = int(DataType.UINT32), int(DataType.BYTE_ARRAY16)
_DT_V4_ADDR_MASK, _DT_V6_ADDR_MASK = int(DataType.V4_ADDR_MASK), int(DataType.V6_ADDR_MASK)
_FT_IP_ADDRESS = int(FieldType.IP_ADDRESS)
_V4_MASKS = tuple(((1 << 32) - 1) ^ ((1 << (32 - length)) - 1) for length in range(33))
_INTEGER_BOUNDS = {
    int(data_type): ((0, (1 << bits) - 1) if data_type.name.startswith("U")
                     else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1))
    for data_type, bits in ((DataType.UINT8, 8), (DataType.UINT16, 16), (DataType.UINT32, 32),
                            (DataType.UINT64, 64), (DataType.INT8, 8), (DataType.INT16, 16),
                            (DataType.INT32, 32), (DataType.INT64, 64))}


class _Loading:
    """The state of one load: the file, the provider and sublayers, address lists read, and
    what rules written alike share (settings, condition values, encoded values)."""

    __slots__ = ("source", "provider", "sublayers", "loader", "rule_key", "settings", "values",
                 "targets", "_encoded")

    def __init__(self, source: _Source, base: Path, provider: Provider,
                 sublayers: Dict[str, Sublayer],
                 known_lists: Optional[Dict[Path, bytes]] = None) -> None:
        self.source = source
        self.provider = provider
        self.sublayers = sublayers
        self.loader = _Loader(base, known_lists)
        self.rule_key = _RuleKeys(provider.key)
        self.settings: Dict[tuple, _Settings] = {}
        self.values: Dict[tuple, _FieldValues] = {}
        self.targets: Dict[tuple, tuple] = {}
        self._encoded: Dict[tuple, Tuple[int, Any]] = {}

    def wire(self, layer: _LayerMeta, entry: _Entry) -> Tuple[int, int, Tuple[int, Any]]:
        """An entry at a layer as a condition in canonical wire form, ``(field key as int,
        match, (data type, payload))``, the value encoded as wfp.Rule encodes it;
        ValidationError for a value the field cannot hold there.

        Addresses (all of them come as prefixes) and integers in range are written here: they
        are most of the values of a large policy, and what the library's encoder makes of them
        is fixed by the wire format.  Everything else goes through the encoder itself.
        """
        if entry.wire_layer is layer:
            return entry.wire
        field = entry.field
        info = layer.field_info(field)
        value = None
        if info is not None:
            data_type, field_type = info
            prefix = entry.prefix
            if prefix is not None:
                if field_type == _FT_IP_ADDRESS:
                    version, number, length = prefix
                    if version == 4 and data_type == _DT_UINT32:
                        value = ((_DT_UINT32, number) if length == 32
                                 else (_DT_V4_ADDR_MASK, (number, _V4_MASKS[length])))
                    elif version == 6 and data_type == _DT_BYTE_ARRAY16:
                        packed = number.to_bytes(16, "big")
                        value = ((_DT_BYTE_ARRAY16, packed) if length == 128
                                 else (_DT_V6_ADDR_MASK, (packed, length)))
            elif (type(entry.value) is int and entry.match is Match.EQUAL
                  and field_type != _FT_IP_ADDRESS):
                bounds = _INTEGER_BOUNDS.get(data_type)
                if bounds is not None and bounds[0] <= entry.value <= bounds[1]:
                    value = (data_type, entry.value)
        if value is None:
            value = self._encode(layer, entry)
        wire = entry.wire = (field.key, entry.match._value_, value)
        entry.wire_layer = layer
        return wire

    def _encode(self, layer: _LayerMeta, entry: _Entry) -> Tuple[int, Any]:
        field, value = entry.field, entry.python_value()
        cache_key: Optional[tuple] = (layer.name, field.name, entry.match, type(value), value)
        try:
            found = self._encoded.get(cache_key)  # type: ignore[arg-type]
        except TypeError:  # an unhashable value
            found = cache_key = None
        if found is None:
            found = encode_condition(layer.layer, Condition(field.field, entry.match, value))[2]
            if cache_key is not None:
                self._encoded[cache_key] = found
        return found

    def targets_of(self, layers: Tuple[_LayerMeta, ...], by_family: bool
                   ) -> Tuple[Tuple[Tuple[_LayerMeta, Optional[int]], ...],
                              Tuple[Tuple[_LayerMeta, int], ...]]:
        """(layer, family) pairs a rule on ``layers`` may make filters at, and the (layer,
        family) pairs that have no variant: a rule with addresses of such a family is wrong."""
        key = (layers, by_family)
        found = self.targets.get(key)
        if found is None:
            targets: List[Tuple[_LayerMeta, Optional[int]]] = []
            missing: List[Tuple[_LayerMeta, int]] = []
            for layer in layers:
                if not by_family:
                    if (layer, None) not in targets:
                        targets.append((layer, None))
                    continue
                for family in (4, 6):
                    variant = layer.variant(family)
                    if variant is None:
                        missing.append((layer, family))
                    elif (variant, family) not in targets:
                        targets.append((variant, family))
            found = self.targets[key] = (tuple(targets), tuple(missing))
        return found


def _build_policy(source: _Source, base: Optional[Path] = None, *,
                  known_lists: Optional[Dict[Path, bytes]] = None) -> Policy:
    data = source.data
    base = base if base is not None else source.path.parent
    root = _Context(source, "", None)
    _check_keys(root, data, _TOP_KEYS, "policy file")
    version = _get(root, data, "format", int)
    if version is not None and version != FORMAT_VERSION:
        raise root.at("format").fail(f"unsupported format {version}; this version reads "
                                     f"format {FORMAT_VERSION}", value=version)
    table = _get(root, data, "provider", dict, required=True)
    pctx = _Context(source, "provider", locate=lambda: source.table_line("provider"))
    _check_keys(pctx, table, _PROVIDER_KEYS, "provider")
    provider_name = _get_name(pctx, table)
    provider_key = _get_key(pctx, table) or provider_key_for(provider_name)
    persistent = _get(pctx, table, "persistent", bool, default=False)
    provider = Provider(key=provider_key, name=provider_name, persistent=persistent,
                        description=_get_text(pctx, table, "description"))

    sublayers: Dict[str, Sublayer] = {}
    for index, item in enumerate(_get(root, data, "sublayer", list, default=[])):
        sctx = _item_context(source, "sublayer", index, item)
        _check_keys(sctx, item, _SUBLAYER_KEYS, "sublayer")
        name = _get_name(sctx, item)
        if name in sublayers:
            raise sctx.at("name").fail(f"sublayer {name!r} is declared twice",
                                       code=_ALREADY_EXISTS, value=name)
        sub_persistent = _get(sctx, item, "persistent", bool, default=persistent)
        if sub_persistent and not persistent:
            raise sctx.at("persistent").fail(
                "a persistent sublayer needs a persistent provider (FWP_E_LIFETIME_MISMATCH); "
                "set persistent = true on the provider", code=_LIFETIME_MISMATCH)
        weight = _get(sctx, item, "weight", int, default=0x8000)
        if not 0 <= weight <= 0xFFFF:
            raise sctx.at("weight").fail(f"a sublayer weight is 0 to 65535, got {weight}",
                                         code=_INVALID_WEIGHT, value=weight)
        sublayers[name] = Sublayer(key=_get_key(sctx, item) or sublayer_key_for(provider_key, name),
                                   name=name, description=_get_text(sctx, item, "description"),
                                   weight=weight, provider=provider_key, persistent=sub_persistent)

    state = _Loading(source, base, provider, sublayers, known_lists)
    filters: List[_Filter] = []
    seen: Dict[Tuple[str, str], int] = {}
    by_key: Dict[int, _Filter] = {}
    for index, item in enumerate(_get(root, data, "rule", list, default=[])):
        made = _quick_rule(state, index, item)
        if made is None:
            made = _build_rule(state, _item_context(source, "rule", index, item), index, item)
        for filter_ in made:
            first = seen.setdefault((filter_.rule, filter_.layer.name), index)
            if first != index:
                raise _item_context(source, "rule", index, item).fail(
                    f"a rule named {filter_.rule!r} already has a filter at layer "
                    f"{filter_.layer.name} (rule[{first}]); rule names must be unique per layer",
                    code=_ALREADY_EXISTS, value=filter_.rule)
            other = by_key.setdefault(filter_.key, filter_)
            if other is not filter_:
                key = uuid.UUID(int=filter_.key)
                raise _item_context(source, "rule", index, item).at("key").fail(
                    f"key {key} is also used by rule[{other.index}] {other.rule!r}",
                    code=_ALREADY_EXISTS, value=key)
            filters.append(filter_)
    # The parsed document of a large file is the bulk of what loading allocated; nothing
    # needs it once the filters are made.
    source.data = {}
    policy = Policy(source.path, provider, tuple(sublayers.values()), tuple(filters))
    policy._list_digests = sorted((str(p), d) for p, d in state.loader.digests.items())
    policy._rememberable = not state.loader.uses_system
    return policy


def _item_context(source: _Source, section: str, index: int, item: Any) -> _Context:
    name = item.get("name") if isinstance(item, dict) else None
    label = f"{section}[{index}]" + (f" {name!r}" if isinstance(name, str) else "")
    ctx = _Context(source, label, locate=lambda: source.item_line(section, index, name))
    if not isinstance(item, dict):
        raise ctx.fail(f"each {section} is a table, got {_type_name(item)}", code=_TYPE_MISMATCH)
    return ctx


_ABSENT = object()


def _settings_key(item: dict) -> Optional[tuple]:
    """What decides a rule's _Settings, as written, when every part has the type the schema
    asks for (None otherwise: the rule is then read with full checks and messages)."""
    sublayer = item.get("sublayer", _ABSENT)
    action = item.get("action")
    persistent = item.get("persistent", _ABSENT)
    boot_time = item.get("boot_time", _ABSENT)
    hard = item.get("hard", _ABSENT)
    description = item.get("description", _ABSENT)
    weight = item.get("weight", _ABSENT)
    if (type(action) is not str
            or (sublayer is not _ABSENT and type(sublayer) is not str)
            or (persistent is not _ABSENT and type(persistent) is not bool)
            or (boot_time is not _ABSENT and type(boot_time) is not bool)
            or (hard is not _ABSENT and type(hard) is not bool)
            or (description is not _ABSENT
                and (type(description) is not str or not description.isascii()))):
        return None
    if weight is not _ABSENT and type(weight) is not int:
        if type(weight) is not dict or len(weight) != 1 or type(weight.get("range")) is not int:
            return None
        weight = ("range", weight["range"])
    return (sublayer, action, persistent, boot_time, hard, description, weight)


def _quick_rule(state: _Loading, index: int, item: Any) -> Optional[List[_Filter]]:
    """The filters of a rule written in the common forms, read without building context
    objects for messages; None for a rule in any other form or with anything wrong, which
    :func:`_build_rule` then reads (and reports) with full context.  Both give the same
    filters for the rules this one reads."""
    if type(item) is not dict or "key" in item or not _RULE_KEYS.issuperset(item):
        return None
    name = item.get("name")
    if type(name) is not str or "\0" in name or not name.strip():
        return None
    spec = item.get("layer")
    try:
        layers = _LAYERS_BY_SPEC.get(spec if type(spec) is str
                                     else tuple(spec) if type(spec) is list else None)
    except TypeError:  # a list holding a table
        return None
    if layers is None:
        return None
    settings = state.settings.get(_settings_key(item))  # type: ignore[arg-type]
    if settings is None:
        return None
    conditions = item.get("conditions")
    if conditions is None:
        conditions = {}
    elif type(conditions) is not dict:
        return None

    # The commonest shape: each address field holds one address (so there is nothing to
    # collapse and the rule lives in that address's family), other fields a value or a list.
    entries: List[_Entry] = []
    family = None
    fields_seen: List[str] = []
    shared = state.values
    for key, spec in conditions.items():
        field = _FIELDS_BY_KEY.get(key)
        if field is None or field.name in fields_seen:
            return None
        fields_seen.append(field.name)
        if field.is_address:
            if type(spec) is not str:
                return _quick_listed_rule(state, index, name, layers, settings, conditions)
            try:
                prefix = parse_prefix(spec.strip())
            except ValueError:
                return None
            if family is None:
                family = prefix[0]
            elif family != prefix[0]:
                return None  # addresses of both families: _build_rule sorts them out
            entries.append(_Entry(field, Match.EQUAL, None, None, prefix))
            continue
        kind = type(spec)
        if kind is int or kind is str:
            # A number or string of a non-address field, as rules repeat them (ports,
            # protocols): read once per load, and encoded once per layer.  (The exact type is
            # checked first: 6.0 and True equal 6 as keys, but are not written alike.)
            values = shared.get((key, spec))
            if values is None:
                values = shared[(key, spec)] = _quick_values(field, key, spec)
        else:
            values = _quick_values(field, key, spec)
        if values is None:
            return None
        entries += values.entries

    targets: List[_LayerMeta] = []
    for layer in layers:
        if family is not None:
            variant = layer.variant(family)
            if variant is None:
                return None  # _build_rule reports the layer
            layer = variant
        if layer not in targets:
            targets.append(layer)
    made = []
    wire, rule_key = state.wire, state.rule_key
    try:
        for layer in targets:
            wires = tuple([entry.wire if entry.wire_layer is layer else wire(layer, entry)
                           for entry in entries])
            made.append(_Filter(rule_key(name, layer.name, "0"), name, name, index, layer, "0",
                                settings, tuple(entries), wires))
    except (ValidationError, UnicodeEncodeError):
        return None  # _build_rule reports it at its place in the file
    return made


def _quick_listed_rule(state: _Loading, index: int, name: str, layers: Tuple[_LayerMeta, ...],
                       settings: _Settings, conditions: dict) -> Optional[List[_Filter]]:
    """_quick_rule for a rule with a list of addresses (collapsed, split by family and
    perhaps chunked by _emit_filters)."""
    parsed: List[_FieldValues] = []
    fields_seen: List[str] = []
    for key, spec in conditions.items():
        field = _FIELDS_BY_KEY.get(key)
        if field is None or field.name in fields_seen:
            return None
        fields_seen.append(field.name)
        values = _quick_values(field, key, spec)
        if values is None:
            return None
        parsed.append(values)
    return _emit_filters(state, None, name, index, layers, settings, parsed, None)


def _build_rule(state: _Loading, ctx: _Context, index: int, item: dict) -> List[_Filter]:
    """The filters of a rule, every value checked with its file place for messages."""
    _check_keys(ctx, item, _RULE_KEYS, "rule")
    name = _get_name(ctx, item)
    layers = _parse_layers(ctx.at("layer"), _get(ctx, item, "layer", (str, list), required=True))
    settings = _rule_settings(state, ctx, item)
    explicit_key = _get_key(ctx, item)

    conditions = _get(ctx, item, "conditions", dict, default={})
    parsed: List[_FieldValues] = []
    seen_fields: Dict[str, str] = {}
    for key, spec in conditions.items():
        cctx = ctx.at(f"conditions.{key}")
        field = _parse_field(cctx, key)
        if field.name in seen_fields:
            raise cctx.fail(f"{key!r} and {seen_fields[field.name]!r} name the same field "
                            f"{field.name}; put the values in one list")
        seen_fields[field.name] = key
        parsed.append(_parse_values(cctx, field, key, spec, state.loader))
    made = _emit_filters(state, ctx, name, index, layers, settings, parsed, explicit_key)
    assert made is not None  # with a context every problem raises
    return made


def _rule_settings(state: _Loading, ctx: _Context, item: dict) -> _Settings:
    provider, sublayers = state.provider, state.sublayers
    sublayer_name = _get(ctx, item, "sublayer", str)
    if sublayer_name is None:
        sublayer_key = _UNIVERSAL_SUBLAYER
    elif sublayer_name in sublayers:
        sublayer_key = sublayers[sublayer_name].key
    else:
        declared = ", ".join(repr(n) for n in sublayers) or "none"
        raise ctx.at("sublayer").fail(f"sublayer {sublayer_name!r} is not declared in this file "
                                      f"(declared: {declared})", code=_SUBLAYER_NOT_FOUND,
                                      value=sublayer_name)
    action_name = _get(ctx, item, "action", str, required=True)
    action = _ACTIONS.get(action_name.lower())
    if action is None:
        raise ctx.at("action").fail(f"unknown action {action_name!r}; one of "
                                    + ", ".join(_ACTIONS), code=error_code("FWP_E_INVALID_ACTION_TYPE"),
                                    value=action_name)
    persistent = _get(ctx, item, "persistent", bool, default=provider.persistent)
    boot_time = _get(ctx, item, "boot_time", bool, default=False)
    if persistent and not provider.persistent:
        raise ctx.at("persistent").fail(
            "a persistent rule needs a persistent provider (FWP_E_LIFETIME_MISMATCH); set "
            "persistent = true on the provider", code=_LIFETIME_MISMATCH)
    if persistent and boot_time:
        raise ctx.at("boot_time").fail(
            "a rule cannot be both persistent and boot-time; set persistent = false (a "
            "persistent provider makes rules persistent by default)",
            code=error_code("FWP_E_INVALID_FLAGS"))
    if persistent and sublayer_name is not None and not sublayers[sublayer_name].persistent:
        raise ctx.at("persistent").fail(
            f"a persistent rule needs a persistent sublayer; sublayer {sublayer_name!r} is not",
            code=_LIFETIME_MISMATCH)
    description = _get_text(ctx, item, "description")
    weight = _get_weight(ctx, item)
    hard = _get(ctx, item, "hard", bool, default=False)
    settings = _Settings(action, description, sublayer_key, weight, provider.key, persistent,
                         boot_time, hard)
    key = _settings_key(item)
    if key is not None:
        settings = state.settings.setdefault(key, settings)
    return settings


def _emit_filters(state: _Loading, ctx: Optional[_Context], name: str, index: int,
                  layers: Tuple[_LayerMeta, ...], settings: _Settings,
                  parsed: List[_FieldValues], explicit_key: Optional[uuid.UUID]
                  ) -> Optional[List[_Filter]]:
    """The filters of a parsed rule: one per layer and address family with addresses of its
    own, times the chunks of split lists.  Without a context (the quick path) a problem gives
    None instead of an error."""
    by_family = False
    for values in parsed:
        if values.is_address:
            by_family = True
            break
    targets, missing = state.targets_of(layers, by_family)
    for layer, family in missing:
        if any(values.is_address and values.has_family(family) for values in parsed):
            if ctx is None:
                return None
            raise ctx.at("layer").fail(
                f"layer {layer.name} has no IPv{family} variant for the IPv{family} "
                "addresses of this rule", code=_LAYER_NOT_FOUND, value=layer.name)

    wire = state.wire
    made: List[_Filter] = []
    for layer, family in targets:
        picked: List[List[_Entry]] = []
        split = False
        for values in parsed:
            mine = values.for_family(family) if values.is_address else values.entries
            if not mine:
                break  # no address of this family: no filter here (it would match all)
            if len(mine) > CHUNK_MAX_ENTRIES:
                split = True
            picked.append(mine)
        else:
            if not split:
                combinations: Sequence[Sequence[List[_Entry]]] = (picked,)
                labels: Sequence[str] = ("0",)
            else:
                chunks = [chunk_entries(mine, _entry_chunk_digest)
                          if len(mine) > CHUNK_MAX_ENTRIES else [mine] for mine in picked]
                chunked = [i for i, pieces in enumerate(chunks) if len(pieces) > 1]
                numbers = list(itertools.product(*(range(len(pieces)) for pieces in chunks)))
                combinations = [[pieces[n] for pieces, n in zip(chunks, combination)]
                                for combination in numbers]
                labels = [".".join(str(combination[i]) for i in chunked)
                          for combination in numbers]
            for entry_lists, label in zip(combinations, labels):
                entries: List[_Entry] = []
                wires = []
                for mine in entry_lists:
                    for entry in mine:
                        try:
                            wires.append(entry.wire if entry.wire_layer is layer
                                         else wire(layer, entry))
                        except ValidationError as error:
                            if ctx is None:
                                return None
                            place = entry.ctx or ctx
                            raise place.fail(f"{_display(error.value)} at layer {layer.name}: "
                                             f"{error.reason}", code=error.code,
                                             value=error.value) from None
                    entries += mine
                made.append(_Filter(
                    0 if explicit_key is not None else state.rule_key(name, layer.name, label),
                    name if not split else f"{name} [{label}]", name, index, layer, label,
                    settings, tuple(entries), tuple(wires)))
    if explicit_key is not None:
        if len(made) > 1:
            assert ctx is not None  # an explicit key is read by _build_rule only
            raise ctx.at("key").fail(f"an explicit key needs a rule that makes exactly one "
                                     f"filter; this one makes {len(made)} (layers, families or "
                                     "a split list)")
        for filter_ in made:
            filter_.key = explicit_key.int
    return made


def _display(value: Any) -> str:
    return repr(str(value)) if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address,
                                                  ipaddress.IPv4Network, ipaddress.IPv6Network)) \
        else repr(value)


# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------

_RULE_COMPARED = tuple(f.name for f in dataclass_fields(Rule)
                       if f.compare and f.name not in ("disabled",))
_PROVIDER_COMPARED = ("name", "description", "persistent", "data", "service_name")
_SUBLAYER_COMPARED = ("name", "description", "weight", "provider", "persistent", "data")


class Change(NamedTuple):
    """One step of a plan.

    ``action`` is "add", "delete" or "replace" (delete then add: WFP cannot update an object);
    ``kind`` is "provider", "sublayer" or "rule"; ``before`` is what the engine holds (None for
    an add), ``after`` what it will hold (None for a delete); ``fields`` names what differs for
    a replacement and ``reason`` says why an object is touched when it is not by difference.
    (A named tuple: a plan of 100,000 adds is built in a blink.)
    """

    action: str
    kind: str
    key: uuid.UUID
    name: str
    before: Any = None
    after: Any = None
    fields: Tuple[str, ...] = ()
    reason: str = ""

    @property
    def layer(self) -> Optional[str]:
        """The layer name of a rule change."""
        obj = self.after if self.after is not None else self.before
        layer = getattr(obj, "layer", None) if self.kind == "rule" else None
        return getattr(layer, "name", None if layer is None else str(layer))

    def to_dict(self) -> dict:
        """A JSON-ready description (``wfp plan --json``)."""
        out = {"action": self.action, "kind": self.kind, "key": str(self.key), "name": self.name}
        if self.kind == "rule":
            out["layer"] = self.layer
        if self.fields:
            out["fields"] = list(self.fields)
        if self.reason:
            out["reason"] = self.reason
        return out

    def describe(self) -> str:
        """One line for people: ``~ rule 'allow dns' at ALE_AUTH_CONNECT_V4 (weight, conditions)``."""
        sign = {"add": "+", "delete": "-", "replace": "~"}[self.action]
        where = f" at {self.layer}" if self.kind == "rule" else ""
        detail = ", ".join(self.fields) if self.fields else self.reason
        return f"{sign} {self.kind} {self.name!r}{where}" + (f" ({detail})" if detail else "")


class Plan:
    """The difference between a policy and an engine: the changes to make, in order.

    ``kept`` counts objects of the provider that the file does not declare and that stay
    (prune was not asked); ``unchanged`` counts declared objects already as declared.

    The rules a plan adds are made into :class:`wfp.Rule` objects only when :attr:`changes`
    is first read: carrying out a plan of 100,000 additions needs none of them.
    """

    __slots__ = ("_entries", "_changes", "_counts", "unchanged", "kept", "prune", "_basis")

    def __init__(self, changes: Sequence[Change] = (), unchanged: int = 0, kept: int = 0,
                 prune: bool = False) -> None:
        self._changes: Optional[Tuple[Change, ...]] = tuple(changes)
        self._entries: Optional[list] = None
        self._counts: Optional[Dict[str, int]] = None
        self.unchanged = unchanged
        self.kept = kept
        self.prune = prune
        # (policy, binding session, prune, aggregate digest, provider key): what the plan was
        # made from, for Policy.apply to check it still holds.
        self._basis: Optional[tuple] = None

    @classmethod
    def _of_entries(cls, entries: list, *, unchanged: int, kept: int, prune: bool,
                    basis: Optional[tuple]) -> "Plan":
        """A plan whose rule additions are kept as the declared filters (made into Changes
        when ``changes`` is first read)."""
        plan = cls((), unchanged, kept, prune)
        plan._changes, plan._entries, plan._basis = None, entries, basis
        return plan

    @property
    def changes(self) -> Tuple[Change, ...]:
        """Every change, in the order they are listed (the order of the file for rules)."""
        if self._changes is None:
            with _collector_paused():
                decode = RuleDecoder().decode
                made = []
                for entry in self._entries or ():
                    if type(entry) is not Change:
                        rule = entry.build(decode)
                        entry = Change("add", "rule", rule.key, rule.name, after=rule)
                    made.append(entry)
                self._changes = tuple(made)
        return self._changes

    def _count(self, action: str) -> int:
        if self._counts is None:
            counts = {"add": 0, "delete": 0, "replace": 0}
            if self._changes is not None:
                for change in self._changes:
                    counts[change.action] += 1
            else:
                for entry in self._entries or ():
                    counts[entry.action if type(entry) is Change else "add"] += 1
            self._counts = counts
        return self._counts[action]

    def _of(self, action: str) -> List[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def adds(self) -> List[Change]:
        """Objects to add."""
        return self._of("add")

    @property
    def deletes(self) -> List[Change]:
        """Objects to delete."""
        return self._of("delete")

    @property
    def replacements(self) -> List[Change]:
        """Objects to delete and add again."""
        return self._of("replace")

    @property
    def has_changes(self) -> bool:
        """Whether applying would change the engine."""
        return bool(self._changes if self._changes is not None else self._entries)

    def summary(self) -> str:
        """``3 to add, 1 to replace, 0 to delete`` plus what is kept or unchanged."""
        text = (f"{self._count('add')} to add, {self._count('replace')} to replace, "
                f"{self._count('delete')} to delete; {self.unchanged} unchanged")
        if self.kept:
            text += (f"; {self.kept} object(s) of the provider not in the file kept "
                     "(--prune deletes them)")
        return text

    def to_dict(self) -> dict:
        """A JSON-ready description (``wfp plan --json``)."""
        return {"changes": [c.to_dict() for c in self.changes],
                "add": self._count("add"), "replace": self._count("replace"),
                "delete": self._count("delete"), "unchanged": self.unchanged,
                "kept": self.kept, "prune": self.prune}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        return ((self.unchanged, self.kept, self.prune) == (other.unchanged, other.kept,
                                                              other.prune)
                and self.changes == other.changes)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Plan(changes={self.changes!r}, unchanged={self.unchanged}, kept={self.kept}, "
                f"prune={self.prune})")


@dataclass
class _Desired:
    """What a policy or snapshot wants, and which engine objects it manages."""

    providers: List[Provider]
    sublayers: List[Sublayer]
    filters: Sequence[Any]  # _Filter (a policy's) or _GivenRule (a snapshot's)
    scope_providers: List[uuid.UUID]  # providers whose undeclared objects prune may delete
    prunable: bool  # a policy's: everything of its provider is its business
    source: Any = None  # the Policy, whose plans record what they were made from

    @classmethod
    def of_policy(cls, policy: Policy) -> "_Desired":
        return cls([policy.provider], list(policy.sublayers), policy._filters,
                   [policy.provider.key], True, policy)


class _GivenRule:
    """A rule given as a wfp.Rule (a snapshot's), with what planning asks of it."""

    __slots__ = ("key", "name", "_rule")

    def __init__(self, rule: Rule) -> None:
        self.key = rule.key.int
        self.name = rule.name
        self._rule = rule

    def wire(self) -> tuple:
        return self._rule._to_wire()

    def build(self, decode: Any = None) -> Rule:
        return self._rule


def _differences(want: Any, have: Any, names: Sequence[str]) -> Tuple[str, ...]:
    return tuple(n for n in names if getattr(want, n) != getattr(have, n))


def _rule_differences(want: Rule, have: Rule) -> Tuple[str, ...]:
    if want._filter_tuple() == have._filter_tuple():
        return ()
    differing = []
    for name in _RULE_COMPARED:
        mine, theirs = getattr(want, name), getattr(have, name)
        if name == "conditions":
            if len(mine) != len(theirs) or (mine != theirs and sorted(map(repr, mine))
                                            != sorted(map(repr, theirs))):
                differing.append(name)
        elif mine != theirs:
            differing.append(name)
    return tuple(differing)


_CASCADE_REASON = "its provider or sublayer is replaced"
# Up to this many rules read back one by one; more, by enumerating their provider.
_RULES_READ_BY_KEY = 512


def _existing_rules(session: Any, keys: Sequence[int], provider: Optional[uuid.UUID]
                    ) -> Dict[int, Rule]:
    """The engine's rules under these keys (ints), as wfp.Rules."""
    if not keys:
        return {}
    if len(keys) <= _RULES_READ_BY_KEY:
        return {key: session.rule(_uuid_of(key)) for key in keys}
    wanted = set(keys)
    return {rule.key.int: rule for rule in session.rules(provider=provider)
            if rule.key.int in wanted}


def _known_plan(session: Any, policy: Policy, prune: bool) -> Optional[Plan]:
    """The plan of a policy the re-apply cache knows, when the engine still holds exactly
    what applying it left there: no changes, and nothing parsed.  None otherwise."""
    entry = policy._entry
    if entry is None or (prune and entry.kept):
        return None  # pruning would delete what the earlier apply kept
    aggregate = session.filter_digests(entry.provider, records=False).aggregate
    if aggregate != entry.aggregate:
        return None
    plan = Plan((), unchanged=entry.unchanged, kept=entry.kept, prune=prune)
    plan._basis = (policy, session._core, prune, aggregate, entry.provider)
    return plan


def _compare(session: Any, desired: _Desired, *, prune: bool) -> Plan:
    """The plan, from the engine's objects: providers and sublayers read as objects (they are
    few), rules compared by key and digest (``Session.filter_digests``), so that a Rule is
    built or read back only for a rule whose change the plan describes."""
    head: List[Change] = []
    unchanged = kept = 0
    prune = prune and desired.prunable

    existing_providers: Dict[uuid.UUID, Provider] = {}
    for provider in desired.providers:
        try:
            existing_providers[provider.key] = session.provider(provider.key)
        except NotFound:
            pass
    scope = [k for k in desired.scope_providers if k in existing_providers]
    existing_sublayers: Dict[uuid.UUID, Sublayer] = {}
    for key in scope:
        existing_sublayers.update((s.key, s) for s in session.sublayers(provider=key))
    for sublayer in desired.sublayers:
        if sublayer.key not in existing_sublayers:
            try:
                existing_sublayers[sublayer.key] = session.sublayer(sublayer.key)
            except NotFound:
                pass

    # Replacing a provider or sublayer first deletes what references it; those dependants are
    # re-added afterwards (as declared, or as they were when the file does not declare them).
    replaced_providers: set = set()
    for provider in desired.providers:
        have = existing_providers.get(provider.key)
        if have is None:
            head.append(Change("add", "provider", provider.key, provider.name, after=provider))
            continue
        diff = _differences(provider, have, _PROVIDER_COMPARED)
        if diff:
            head.append(Change("replace", "provider", provider.key, provider.name, have,
                               provider, diff))
            replaced_providers.add(provider.key)
        else:
            unchanged += 1

    desired_sublayers = {s.key: s for s in desired.sublayers}
    replaced_sublayers: set = set()
    for sublayer in desired.sublayers:
        have = existing_sublayers.get(sublayer.key)
        if have is None:
            head.append(Change("add", "sublayer", sublayer.key, sublayer.name, after=sublayer))
            continue
        diff = _differences(sublayer, have, _SUBLAYER_COMPARED)
        if diff or have.provider in replaced_providers:
            head.append(Change("replace", "sublayer", sublayer.key, sublayer.name, have,
                               sublayer, diff, "" if diff else "its provider is replaced"))
            replaced_sublayers.add(sublayer.key)
        else:
            unchanged += 1
    for key, have in existing_sublayers.items():
        if key in desired_sublayers or have.provider not in scope:
            continue
        if prune:
            head.append(Change("delete", "sublayer", key, have.name, before=have,
                               reason="not in the file"))
            replaced_sublayers.add(key)
        elif have.provider in replaced_providers:
            head.append(Change("replace", "sublayer", key, have.name, have, have,
                               reason="its provider is replaced"))
            replaced_sublayers.add(key)
        else:
            kept += 1

    # Rules: the digests of what the engine holds, by key (a policy's: its provider's rules;
    # a snapshot's: every rule, since it may name rules of any provider).
    basis_provider = desired.scope_providers[0] if desired.prunable else None
    found = session.filter_digests(basis_provider)
    records = found.filters
    filters = desired.filters
    keys = [f.key for f in filters]
    missing, present, where, unnamed = _core.match_keys(records, keys)
    differing: List[int] = []
    if present:
        wanted = _core.filter_digests([filters[i].wire() for i in present])
        differing = [present[p] for p in _core.differing_digests(records, where, wanted)]
    if not desired.prunable:
        # Only the undeclared rules of the snapshot's own providers are its business.
        unnamed_keys = []
        for key in scope:
            own = session.filter_digests(key).filters
            unnamed_keys += [int.from_bytes(own[32 * i:32 * i + 16], "big")
                             for i in _core.match_keys(own, keys)[3]]
    else:
        unnamed_keys = [int.from_bytes(records[32 * i:32 * i + 16], "big") for i in unnamed]

    replaced = {k.int for k in replaced_providers | replaced_sublayers}
    placed: Dict[int, Rule] = {}  # rules of the scope, read back only when something cascades
    if replaced:
        for key in scope:
            placed.update((r.key.int, r) for r in session.rules(provider=key))
        if not desired.prunable:
            wanted_keys = {keys[i] for i in present}
            placed.update((r.key.int, r) for r in session.rules()
                          if r.key.int in wanted_keys)

    def is_cascaded(key: int) -> bool:
        rule = placed.get(key)
        if rule is None:
            return False
        return ((rule.provider is not None and rule.provider.int in replaced)
                or (rule.sublayer is not None and rule.sublayer.int in replaced))

    entries: list = head
    if not differing and not replaced:
        # The common cases (a first apply, a re-apply): adds in file order, nothing read back.
        entries += [filters[i] for i in missing]
        unchanged += len(present)
    else:
        befores = _existing_rules(session, [keys[i] for i in differing], basis_provider)
        befores.update((k, r) for k, r in placed.items() if k not in befores)
        changed_set, missing_set = set(differing), set(missing)
        decode = RuleDecoder().decode
        for index, want in enumerate(filters):
            if index in missing_set:
                entries.append(want)
                continue
            cascade = bool(replaced) and is_cascaded(want.key)
            if index not in changed_set and not cascade:
                unchanged += 1
                continue
            have = befores.get(want.key)
            if have is None:
                have = session.rule(_uuid_of(want.key))
            rule = want.build(decode)
            diff = _rule_differences(rule, have) if index in changed_set else ()
            if diff or cascade:
                entries.append(Change("replace", "rule", rule.key, rule.name, have, rule, diff,
                                      "" if diff else _CASCADE_REASON))
            else:
                unchanged += 1  # equal field by field (the digest differs only in form)
    going = [k for k in unnamed_keys if prune or (replaced and is_cascaded(k))]
    kept += len(unnamed_keys) - len(going)
    if going:
        befores = _existing_rules(session, [k for k in going if k not in placed],
                                  basis_provider)
        befores.update(placed)
        for key in going:
            have = befores[key]
            if prune:
                entries.append(Change("delete", "rule", have.key, have.name, before=have,
                                      reason="not in the file"))
            else:
                entries.append(Change("replace", "rule", have.key, have.name, have, have,
                                      reason=_CASCADE_REASON))
    basis = None
    if isinstance(desired.source, Policy):
        basis = (desired.source, session._core, prune, found.aggregate, basis_provider)
    return Plan._of_entries(entries, unchanged=unchanged, kept=kept, prune=prune, basis=basis)


def _apply(session: Any, source: Any, *, prune: bool, plan: Optional[Plan],
           progress: Optional[Callable[[str], None]]) -> Plan:
    """Carry out the plan of a Policy or a Snapshot in one transaction (the caller's, when one
    is open) and, for a policy loaded from a file, remember the result for re-applies."""
    report = progress or (lambda _phase: None)
    if (plan is not None and not plan.has_changes and isinstance(source, Policy)
            and plan._basis is not None and plan._basis[0] is source
            and plan._basis[1] is session._core and plan._basis[2] == prune):
        # Nothing to write: the engine matched the file when the plan read it, and a
        # transaction now would only move that moment, not add to it.
        _remember(source, plan, plan._basis[3])
        return plan
    with _collector_paused():
        if session.in_transaction:
            carried, aggregate = _apply_in_transaction(session, source, prune, plan, report)
        else:
            with session.transaction():
                carried, aggregate = _apply_in_transaction(session, source, prune, plan,
                                                           report)
    if aggregate is not None:
        _remember(source, carried, aggregate)
    return carried


def _apply_in_transaction(session: Any, source: Any, prune: bool, given: Optional[Plan],
                          report: Callable[[str], None]) -> Tuple[Plan, Optional[bytes]]:
    report("reading the engine")
    policy = source if isinstance(source, Policy) else None
    plan: Optional[Plan] = None
    if given is not None and policy is not None and given._basis is not None:
        made_from, core, made_with_prune, aggregate, provider = given._basis
        if made_from is policy and core is session._core and made_with_prune == prune:
            now = session.filter_digests(provider, records=False).aggregate
            if now == aggregate:
                plan = given  # nothing of the provider changed since it was made
    if plan is None and policy is not None:
        plan = _known_plan(session, policy, prune)
    if plan is None:
        desired = _Desired.of_policy(policy) if policy is not None else source._desired()
        plan = _compare(session, desired, prune=prune)
    remember = (policy is not None and policy._cache_path is not None
                and policy._file_digest is not None)
    if not plan.has_changes:
        return plan, plan._basis[3] if remember and plan._basis is not None else None

    entries = plan._entries if plan._entries is not None else list(plan.changes)
    changes = [e for e in entries if type(e) is Change]
    going = [c for c in changes if c.action in ("delete", "replace")]
    rules_out = [c.key for c in going if c.kind == "rule"]
    if rules_out:
        report(f"deleting {len(rules_out)} rules")
        session.delete_rules(rules_out)
    for change in going:
        if change.kind == "sublayer":
            session.delete_sublayer(change.key)
    for change in going:
        if change.kind == "provider":
            session.delete_provider(change.key)
    for change in changes:
        if change.kind == "provider" and change.action != "delete":
            session.add_provider(change.after)
    for change in changes:
        if change.kind == "sublayer" and change.action != "delete":
            session.add_sublayer(change.after)
    coming = [e for e in entries if type(e) is not Change
              or (e.kind == "rule" and e.action != "delete")]
    if coming:
        report(f"adding {len(coming)} rules")
        wires = [e.wire() if type(e) is not Change else _as_new(e.after)._to_wire()
                 for e in coming]

        def rule_at(index: int) -> Rule:
            entry = coming[index]
            return entry.build() if type(entry) is not Change else entry.after
        session._add_filters(wires, rule_at, False)
    aggregate = None
    if remember and policy is not None:
        aggregate = session.filter_digests(policy.provider.key, records=False).aggregate
    report("committing")
    return plan, aggregate


def _remember(policy: Policy, plan: Plan, aggregate: bytes) -> None:
    """Record in the re-apply cache what applying the policy left in the engine."""
    cache_path = policy._cache_path
    if cache_path is None or policy._file_digest is None:
        return
    entry = policy._entry
    if entry is not None and entry.aggregate == aggregate:
        return  # already known
    provider = entry.provider if entry is not None else policy.provider.key
    if not policy._rememberable:
        _policy_cache.forget(cache_path, provider)
        return
    if entry is not None:
        unchanged = entry.unchanged
    else:
        unchanged = 1 + len(policy.sublayers) + len(policy._filters)
    entries = plan._entries if plan._entries is not None else plan.changes
    # Undeclared objects replaced as they were (their provider or sublayer was) stay, too.
    kept = plan.kept + sum(1 for e in entries if type(e) is Change and e.action == "replace"
                           and e.before is e.after)
    _policy_cache.store(cache_path, _policy_cache.Entry(
        provider, str(policy.path.resolve()), policy._file_digest, policy._list_digests,
        aggregate, unchanged, kept))


def _as_new(rule: Rule, *, force: bool = False) -> Rule:
    """A rule read back from the engine (or a snapshot), checked again as a new rule."""
    if rule.id is None and not rule.disabled and not force:
        return rule
    values = {f.name: getattr(rule, f.name) for f in dataclass_fields(Rule)
              if f.init and f.name not in ("id", "effective_weight", "disabled")}
    return Rule(**values)


# --------------------------------------------------------------------------------------------
# Importing snapshots (wfp.snapshot documents) by key
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """The objects of a snapshot document (:meth:`wfp.Session.export`), applied by key:
    missing ones are added, differing ones replaced, everything else is left alone."""

    providers: Tuple[Provider, ...]
    sublayers: Tuple[Sublayer, ...]
    rules: Tuple[Rule, ...]

    def plan(self, session: Any) -> Plan:
        """What importing would change."""
        with _collector_paused():
            return _compare(session, self._desired(), prune=False)

    def apply(self, session: Any, *, progress: Optional[Callable[[str], None]] = None) -> Plan:
        """Import in one transaction (the plan is made inside it); returns the plan carried
        out."""
        return _apply(session, self, prune=False, plan=None, progress=progress)

    def _desired(self) -> _Desired:
        return _Desired(list(self.providers), list(self.sublayers),
                        [_GivenRule(r) for r in self.rules], [p.key for p in self.providers],
                        False)


def read_document(path: Union[str, os.PathLike]) -> dict:
    """A TOML or JSON document (by suffix, or a leading ``{`` for JSON) as a dict; malformed
    text raises :class:`PolicyError` naming the file and line."""
    path = Path(path)
    return _parse_document(path, _read_text(path, "file")).data


def load_snapshot(source: Union[str, os.PathLike, dict]) -> Snapshot:
    """The non-built-in objects of a snapshot (a dict, or a TOML or JSON file)."""
    from wfp import snapshot as snapshots

    document = snapshots.read(source if isinstance(source, dict) else read_document(source))
    persistent = _core.PROVIDER_FLAG_PERSISTENT
    providers = tuple(
        Provider(key=uuid.UUID(p["key"]), name=p["name"], description=p.get("description"),
                 persistent=bool(int(p.get("flags", 0)) & persistent),
                 data=bytes.fromhex(p["data"]) if p.get("data") is not None else None,
                 service_name=p.get("service_name"))
        for p in document.get("providers", []) if not p.get("builtin"))
    sublayers = tuple(
        Sublayer(key=uuid.UUID(s["key"]), name=s["name"], description=s.get("description"),
                 weight=int(s["weight"]),
                 provider=uuid.UUID(s["provider"]) if s.get("provider") else None,
                 persistent=bool(int(s.get("flags", 0)) & _core.SUBLAYER_FLAG_PERSISTENT),
                 data=bytes.fromhex(s["data"]) if s.get("data") is not None else None)
        for s in document.get("sublayers", []) if not s.get("builtin"))
    rules = []
    for index, item in enumerate(document.get("filters", [])):
        wire = snapshots._filter_wire(item, f"filters[{index}]")
        read_back = Rule._from_wire(tuple(wire) + (None, None))
        try:
            rules.append(_as_new(read_back, force=True))
        except ValidationError as error:
            raise ValidationError(error.code, f"filters[{index}] ({item.get('name')!r}): "
                                  f"{error.field}", error.value, error.reason) from None
    return Snapshot(providers, sublayers, tuple(rules))


# --------------------------------------------------------------------------------------------
# A TOML writer for the documents this module produces
# --------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise ValueError(f"cannot write {type(value).__name__} as TOML")


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def render_toml(document: dict) -> str:
    """TOML text for a document of scalars, arrays of tables and one level of sub-tables (the
    shape of policy files and snapshots); None values are left out (TOML has no null)."""
    document = _without_none(document)
    lines: List[str] = []
    for key, value in document.items():
        if not (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)) \
                and not isinstance(value, dict):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in document.items():
        tables = [value] if isinstance(value, dict) else (
            value if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
            else [])
        for table in tables:
            lines.append("")
            lines.append(f"[{_toml_key(key)}]" if isinstance(value, dict)
                         else f"[[{_toml_key(key)}]]")
            subtables = []
            for name, item in table.items():
                if isinstance(item, dict) and name == "conditions":
                    subtables.append((name, item))
                else:
                    lines.append(f"{_toml_key(name)} = {_toml_value(item)}")
            for name, item in subtables:
                lines.append(f"[{_toml_key(key)}.{_toml_key(name)}]")
                for sub_key, sub_value in item.items():
                    lines.append(f"{_toml_key(sub_key)} = {_toml_value(sub_value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def schema_path() -> Path:
    """The JSON Schema of policy files, shipped in the package."""
    return Path(__file__).with_name("policy.schema.json")
