"""Layers, fields, match types and conditions, and their wire encoding.

``Layer`` and ``Field`` are enums generated at import from the identifier tables (``wfp._ids``):
member names are the SDK names without ``FWPM_LAYER_`` / ``FWPM_CONDITION_``, values are the
GUIDs as ``uuid.UUID``.  The SDK's ``#define`` aliases are enum aliases
(``Field.ICMP_TYPE is Field.IP_LOCAL_PORT``).

A :class:`Condition` is ``(field, match, value)``.  Fields build them with Python operators::

    Field.IP_REMOTE_PORT == 53                      # EQUAL
    Field.IP_REMOTE_ADDRESS.in_("10.0.0.0/8")       # EQUAL with an address mask
    Field.IP_LOCAL_PORT.between(1024, 65535)        # RANGE
    Field.FLAGS.all_set(0x1)                        # FLAGS_ALL_SET

A field compared with another field gives a plain bool, so ``Field.X == Field.X``, ``in`` and
dict lookups keep working.  A condition has no truth value (``if Field.X == 5:`` raises), which
catches a comparison written where a test was meant.

The field's data type at the layer decides the encoding (:func:`encode_conditions`):

=====================================  ==============================================  =========================
field (run-time type)                  Python values                                   wire (data type, payload)
=====================================  ==============================================  =========================
IPv4 address (UINT32, IP_ADDRESS)      ``IPv4Address``, ``IPv4Network``, str           UINT32 host order /
                                                                                       V4_ADDR_MASK (addr, mask)
IPv6 address (BYTE_ARRAY16, IP_ADDR)   ``IPv6Address``, ``IPv6Network``, str           BYTE_ARRAY16 / V6_ADDR_MASK
UINT8/16/32/64, INT8..64               int (bool is 0/1), range-checked               the field's type
BYTE_ARRAY16 holding a GUID            ``uuid.UUID`` (or 16 bytes)                     16 bytes, GUID memory order
BYTE_ARRAY6 (MAC)                      6 bytes, or "aa:bb:cc:dd:ee:ff"                 6 bytes
BYTE_BLOB (app id, names)              bytes; str as UTF-16LE with its NUL             bytes
SID (ALE_PACKAGE_ID)                   "S-1-...", an SDDL alias, binary SID            binary SID
token fields (ALE_USER_ID, ...)        SDDL str, self-relative SD bytes,               SECURITY_DESCRIPTOR
                                       :class:`~wfp.security.SecurityDescriptor`
UNICODE_STRING                         str                                             str
any sortable type                      :class:`Range` of two values of the above       RANGE
=====================================  ==============================================  =========================

Canonical values are what :func:`decode_condition` gives back, so that
``decode_condition(layer, encode(c)) == c`` holds for them: ``ipaddress`` addresses and networks
(a /32 or /128 network stays a network), ``int`` (``True`` equals ``1``), ``bytes`` for blobs and
MAC addresses, ``uuid.UUID`` for GUID fields, ``"S-1-..."`` strings (decimal authority) for
SIDs, :class:`~wfp.security.SecurityDescriptor` (equal to its bytes) for user matches, ``None``
for FWP_EMPTY, :class:`Range` for ranges.  :class:`Condition` converts other accepted inputs
when the field alone decides their meaning (address and network strings, SDDL text or bytes on
token fields, SID aliases and binary SIDs, a str on a blob field, 16 bytes on a GUID field, MAC
strings), so a condition written with them also equals the one read back.  The field read back
is ``field.canonical``: a condition on a stand-in field (ALE_REAUTH_REASON) reads back on the
field it stands in for (REAUTHORIZE_REASON).  A value the library cannot model reads back as
:class:`RawValue`, which :func:`encode_conditions` also accepts as an escape hatch: its payload
is checked against its data type (int ranges, byte lengths, tuple shapes, masks, match
legality), the data type against the field by the engine.

Text reaches the engine as UTF-16: a str value (like every name and description) holding NUL or
a surrogate code point (U+D800..U+DFFF, which UTF-16 cannot carry as a character) is a
ValidationError.
"""

from __future__ import annotations

import enum
import ipaddress
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from wfp import _ids
from wfp import security
from wfp.errors import ValidationError

__all__ = [
    "Layer", "Field", "Match", "DataType", "FieldType", "Range", "Condition", "RawValue",
    "coerce_layer", "coerce_field", "encode_conditions", "encode_condition", "decode_condition",
    "decode_value",
]

FWP_E_CONDITION_NOT_FOUND = 0x80320002
FWP_E_LAYER_NOT_FOUND = 0x80320004
FWP_E_INVALID_ENUMERATOR = 0x8032001D
FWP_E_INVALID_NET_MASK = 0x8032001F
FWP_E_INVALID_RANGE = 0x80320020
FWP_E_MATCH_TYPE_MISMATCH = 0x80320026
FWP_E_TYPE_MISMATCH = 0x80320027
FWP_E_OUT_OF_BOUNDS = 0x80320028
FWP_E_INVALID_PARAMETER = 0x80320035


class DataType(enum.IntEnum):
    """FWP_DATA_TYPE (without the FWP_ prefix and _TYPE suffix)."""

    EMPTY = 0
    UINT8 = 1
    UINT16 = 2
    UINT32 = 3
    UINT64 = 4
    INT8 = 5
    INT16 = 6
    INT32 = 7
    INT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BYTE_ARRAY16 = 11
    BYTE_BLOB = 12
    SID = 13
    SECURITY_DESCRIPTOR = 14
    TOKEN_INFORMATION = 15
    TOKEN_ACCESS_INFORMATION = 16
    UNICODE_STRING = 17
    BYTE_ARRAY6 = 18
    BITMAP_INDEX = 19
    BITMAP_ARRAY64 = 20
    V4_ADDR_MASK = 0x100
    V6_ADDR_MASK = 0x101
    RANGE = 0x102


class FieldType(enum.IntEnum):
    """FWPM_FIELD_TYPE: what a field's values mean."""

    RAW_DATA = 0
    IP_ADDRESS = 1
    FLAGS = 2


class Match(enum.IntEnum):
    """FWP_MATCH_TYPE.

    ``PREFIX`` and ``NOT_PREFIX`` keep the SDK's names but, as Windows documents, test whether
    the field's value *ends with* the condition's value (a suffix test): an app id condition
    ``PREFIX "\\\\chrome.exe"`` matches every chrome.exe.
    """

    EQUAL = 0
    GREATER = 1
    LESS = 2
    GREATER_OR_EQUAL = 3
    LESS_OR_EQUAL = 4
    RANGE = 5
    FLAGS_ALL_SET = 6
    FLAGS_ANY_SET = 7
    FLAGS_NONE_SET = 8
    EQUAL_CASE_INSENSITIVE = 9
    NOT_EQUAL = 10
    PREFIX = 11
    NOT_PREFIX = 12


_EQUAL, _NOT_EQUAL = Match.EQUAL, Match.NOT_EQUAL
_UNSIGNED = {DataType.UINT8: 8, DataType.UINT16: 16, DataType.UINT32: 32, DataType.UINT64: 64}
_SIGNED = {DataType.INT8: 8, DataType.INT16: 16, DataType.INT32: 32, DataType.INT64: 64}
_SORTABLE = frozenset(_UNSIGNED) | frozenset(_SIGNED) | {
    DataType.BYTE_ARRAY16, DataType.BYTE_BLOB, DataType.UNICODE_STRING}
_TOKEN_TYPES = frozenset({DataType.SECURITY_DESCRIPTOR, DataType.TOKEN_INFORMATION,
                          DataType.TOKEN_ACCESS_INFORMATION})
_APP_ID_FIELDS = frozenset({"ALE_APP_ID", "ALE_ORIGINAL_APP_ID"})


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Range:
    """An inclusive range ``low <= v <= high`` for a RANGE match (FWP_RANGE0)."""

    low: Any
    high: Any

    def __iter__(self):
        return iter((self.low, self.high))


@dataclass(frozen=True)
class RawValue:
    """A condition value in wire form, ``(data_type, payload)`` as wfp._core carries it.

    Read back for what the library cannot map to a Python type (an unknown data type, a
    non-contiguous mask, a malformed SID); accepted on the way in as an escape hatch.
    """

    data_type: int
    payload: Any


# --------------------------------------------------------------------------------------------
# The Layer and Field enums
# --------------------------------------------------------------------------------------------

def _strip_prefix(name: str, kind: str) -> str:
    upper = name.strip().upper()
    for prefix in ("FWPM_" + kind + "_", kind + "_"):
        if upper.startswith(prefix):
            return upper[len(prefix):]
    return upper


def _parse_uuid(text: str) -> Optional[uuid.UUID]:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


class _FieldBase(enum.Enum):
    """Comparison operators of Field members build conditions (see the module docstring)."""

    def __eq__(self, other: object):  # type: ignore[override]
        if isinstance(other, _FieldBase):
            return self is other
        return Condition(self, _EQUAL, other)

    def __ne__(self, other: object):  # type: ignore[override]
        if isinstance(other, _FieldBase):
            return self is not other
        return Condition(self, _NOT_EQUAL, other)

    def __lt__(self, other: object):
        if isinstance(other, _FieldBase):
            return NotImplemented
        return Condition(self, Match.LESS, other)

    def __le__(self, other: object):
        if isinstance(other, _FieldBase):
            return NotImplemented
        return Condition(self, Match.LESS_OR_EQUAL, other)

    def __gt__(self, other: object):
        if isinstance(other, _FieldBase):
            return NotImplemented
        return Condition(self, Match.GREATER, other)

    def __ge__(self, other: object):
        if isinstance(other, _FieldBase):
            return NotImplemented
        return Condition(self, Match.GREATER_OR_EQUAL, other)

    __hash__ = enum.Enum.__hash__

    def in_(self, network: Union[str, ipaddress.IPv4Network, ipaddress.IPv6Network]) -> "Condition":
        """The address is inside ``network`` (an address-and-mask EQUAL condition)."""
        return Condition(self, Match.EQUAL, _as_network(self, network))

    def between(self, low: Any, high: Any) -> "Condition":
        """``low <= value <= high`` (a RANGE condition; both ends inclusive)."""
        return Condition(self, Match.RANGE, Range(low, high))

    def all_set(self, flags: int) -> "Condition":
        """Every bit of ``flags`` is set in the value (FLAGS_ALL_SET)."""
        return Condition(self, Match.FLAGS_ALL_SET, flags)

    def any_set(self, flags: int) -> "Condition":
        """At least one bit of ``flags`` is set in the value (FLAGS_ANY_SET)."""
        return Condition(self, Match.FLAGS_ANY_SET, flags)

    def none_set(self, flags: int) -> "Condition":
        """No bit of ``flags`` is set in the value (FLAGS_NONE_SET)."""
        return Condition(self, Match.FLAGS_NONE_SET, flags)

    def prefix(self, value: Union[str, bytes]) -> "Condition":
        """FWP_MATCH_PREFIX, which Windows evaluates as "the value ends with ``value``"."""
        return Condition(self, Match.PREFIX, value)

    def not_prefix(self, value: Union[str, bytes]) -> "Condition":
        """FWP_MATCH_NOT_PREFIX: the value does not end with ``value``."""
        return Condition(self, Match.NOT_PREFIX, value)

    @property
    def key(self) -> uuid.UUID:
        """The field's GUID."""
        return self.value

    @property
    def canonical(self) -> "Field":
        """The field a condition on this one is stored as, and reads back naming.

        Every field is its own but a stand-in: ALE_REAUTH_REASON, which the SDK lists at the ALE
        auth layers without a run-time field of its own, is taken as the field it stands in for,
        REAUTHORIZE_REASON.  The engine keeps the run-time field of a condition, not the GUID it
        was given, so such a condition reads back on REAUTHORIZE_REASON.
        """
        return _STAND_INS.get(self, self)


class _LayerBase(enum.Enum):
    """Properties of a filtering layer, from the identifier tables."""

    @property
    def key(self) -> uuid.UUID:
        """The layer's GUID."""
        return self.value

    @property
    def layer_id(self) -> int:
        """The run-time layer id (FWPS_BUILTIN_LAYERS; may differ on older Windows builds)."""
        return _LAYER_ROWS[self.name][1]

    @property
    def flags(self) -> int:
        """FWPM_LAYER_FLAG_* bits."""
        return _LAYER_ROWS[self.name][2]

    @property
    def is_v6(self) -> bool:
        """True for IPv6 layers (IP address fields are 16-byte arrays)."""
        return _LAYER_ROWS[self.name][3]

    @property
    def is_ale(self) -> bool:
        """True for the ALE layers (per-socket/per-flow, with app and user fields)."""
        return _LAYER_ROWS[self.name][4]

    @property
    def is_user_mode(self) -> bool:
        """True for layers evaluated in user mode (IKE, IPsec, RPC)."""
        return _LAYER_ROWS[self.name][5]

    @property
    def fields(self) -> Dict["Field", Tuple[DataType, FieldType]]:
        """The layer's run-time fields in FWPS index order: Field -> (data type, field type)."""
        return dict(_LAYER_FIELDS[self])

    def field_info(self, field: Union["Field", uuid.UUID]) -> Optional[Tuple[DataType, FieldType]]:
        """(data type, field type) of ``field`` at this layer, or None if it is not available.

        A condition that the SDK lists without a run-time field of its own (ALE_REAUTH_REASON)
        is available where the field it stands in for is.
        """
        fields = _LAYER_FIELDS[self]
        if field in fields:
            return fields[field]
        stand_in = _STAND_INS.get(field) if isinstance(field, _FieldBase) else None
        return fields.get(stand_in) if stand_in is not None else None


def _build_field_enum() -> type:
    canonical = [(n, uuid.UUID(g)) for n, g in _ids.CONDITIONS.items() if n not in _ids.ALIASES]
    aliases = [(n, uuid.UUID(g)) for n, g in _ids.CONDITIONS.items() if n in _ids.ALIASES]
    for alias, target in _ids.ALIASES.items():
        if uuid.UUID(_ids.CONDITIONS[alias]) != uuid.UUID(_ids.CONDITIONS[target]):
            raise ImportError(f"wfp._ids: alias {alias} and {target} have different GUIDs")
    return _FieldBase("Field", canonical + aliases, module=__name__, qualname="Field")


def _build_layer_enum() -> type:
    members = [(n, uuid.UUID(row[0])) for n, row in _ids.LAYERS.items()]
    return _LayerBase("Layer", members, module=__name__, qualname="Layer")


Field = _build_field_enum()
Field.__doc__ = """A filtering condition field (FWPM_CONDITION_*), valued by its GUID.

Comparison operators and the methods of the module docstring build Conditions.  SDK aliases are
enum aliases (``Field.ICMP_TYPE is Field.IP_LOCAL_PORT``).  A stand-in field, one the SDK lists
without a run-time field of its own (ALE_REAUTH_REASON), is accepted wherever the field it stands
in for is (REAUTHORIZE_REASON); the engine stores such a condition on that field, so it reads
back naming it: compare conditions by ``field.canonical`` when a rule may use a stand-in.
"""
Layer = _build_layer_enum()
Layer.__doc__ = "A filtering layer (FWPM_LAYER_*), valued by its GUID."

_LAYER_ROWS = dict(_ids.LAYERS)
_LAYER_FIELDS: Dict[Any, Dict[Any, Tuple[DataType, FieldType]]] = {
    layer: {Field[name]: (DataType(dt), FieldType(ft)) for name, dt, ft in _ids.LAYERS[layer.name][6]}
    for layer in Layer
}
_STAND_INS = {Field[c]: Field[f] for c, f in _ids.FIELD_STAND_INS.items()}
_FIELD_BY_UUID = {f.value: f for f in Field}


def _canonical_forms() -> Dict[Any, str]:
    """Field -> how Condition canonicalises its values, for fields whose (data type, field
    type) at every layer agree on what a text or bytes value means."""
    kinds: Dict[Any, set] = {}
    for layer_fields in _LAYER_FIELDS.values():
        for field, kind in layer_fields.items():
            kinds.setdefault(field, set()).add(kind)
    forms = {}
    for field, found in kinds.items():
        if all(ft == FieldType.IP_ADDRESS for _, ft in found):
            forms[field] = "address"
        elif all(dt in _TOKEN_TYPES for dt, _ in found):
            forms[field] = "token"
        elif len(found) == 1:
            form = {(DataType.SID, FieldType.RAW_DATA): "sid",
                    (DataType.BYTE_ARRAY16, FieldType.RAW_DATA): "guid",
                    (DataType.BYTE_BLOB, FieldType.RAW_DATA): "blob",
                    (DataType.BYTE_ARRAY6, FieldType.RAW_DATA): "mac"}.get(next(iter(found)))
            if form:
                forms[field] = form
    return forms


_CANONICAL_FORM = _canonical_forms()
# (layer name, field name) -> (data type, field type), stand-ins included: the encoder's lookup.
_FIELD_INFO = {(layer._name_, field._name_): info
               for layer in Layer for field in Field if (info := layer.field_info(field))}
_LAYER_BY_UUID = {layer.value: layer for layer in Layer}


def coerce_layer(layer: Any, *, field: str = "layer") -> Layer:
    """A Layer member from a member, a name ("ALE_AUTH_CONNECT_V4", "fwpm_layer_ale_auth_connect_v4"),
    a UUID or a UUID string; ValidationError FWP_E_LAYER_NOT_FOUND naming the value otherwise."""
    if isinstance(layer, _LayerBase):
        return layer
    if isinstance(layer, uuid.UUID):
        found = _LAYER_BY_UUID.get(layer)
    elif isinstance(layer, str):
        found = Layer.__members__.get(_strip_prefix(layer, "LAYER"))
        if found is None:
            key = _parse_uuid(layer)
            found = _LAYER_BY_UUID.get(key) if key else None
    else:
        found = None
    if found is None:
        raise ValidationError(FWP_E_LAYER_NOT_FOUND, field=field, value=layer,
                              reason="not a known layer name or GUID")
    return found


def _lookup_field(key: Any) -> Union[Field, uuid.UUID, None]:
    """Field member for a member/name/UUID; an unknown UUID stays a UUID; None if unusable."""
    if isinstance(key, _FieldBase):
        return key
    if isinstance(key, uuid.UUID):
        return _FIELD_BY_UUID.get(key, key)
    if isinstance(key, str):
        found = Field.__members__.get(_strip_prefix(key, "CONDITION"))
        if found is not None:
            return found
        parsed = _parse_uuid(key)
        if parsed is not None:
            return _FIELD_BY_UUID.get(parsed, parsed)
    return None


def coerce_field(field: Any, *, name: str = "field") -> Field:
    """A Field member from a member, a name (with or without FWPM_CONDITION_, any case), a UUID
    or a UUID string; ValidationError FWP_E_CONDITION_NOT_FOUND naming the value otherwise."""
    found = _lookup_field(field)
    if not isinstance(found, _FieldBase):
        raise ValidationError(FWP_E_CONDITION_NOT_FOUND, field=name, value=field,
                              reason="not a known condition field name or GUID")
    return found


# --------------------------------------------------------------------------------------------
# Condition
# --------------------------------------------------------------------------------------------

class Condition:
    """One filter condition: ``field``, ``match`` and ``value`` (immutable, hashable when the
    value is).  ``field`` is a Field member, or a UUID for a field this library does not know."""

    __slots__ = ("field", "match", "value")

    field: Union[Field, uuid.UUID]
    match: Union[Match, int]
    value: Any

    def __init__(self, field: Any, match: Union[Match, int], value: Any) -> None:
        found = field if type(field) is Field else _lookup_field(field)
        if found is None:
            raise ValidationError(FWP_E_CONDITION_NOT_FOUND, field="field", value=field,
                                  reason="not a known condition field name or GUID")
        if type(match) is not Match and isinstance(match, int) and not isinstance(match, bool):
            match = _MATCH_BY_VALUE.get(match, match)
        if type(value) not in _CANONICAL_TYPES:
            if isinstance(value, (bytearray, memoryview)):
                value = bytes(value)
            if type(found) is Field and found._name_ in _CANONICAL_FORM_BY_NAME:
                value = _canonical_value(found, value)
        _set(self, "field", found)
        _set(self, "match", match)
        _set(self, "value", value)

    @classmethod
    def _trusted(cls, field: Union[Field, uuid.UUID], match: Union[Match, int], value: Any) -> "Condition":
        """A condition from parts already in canonical form (what decoding produces)."""
        condition = object.__new__(cls)
        _set(condition, "field", field)
        _set(condition, "match", match)
        _set(condition, "value", value)
        return condition

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Condition is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Condition is immutable; cannot delete {name!r}")

    @property
    def field_key(self) -> uuid.UUID:
        """The field's GUID."""
        return self.field.value if isinstance(self.field, _FieldBase) else self.field

    def _key(self) -> tuple:
        return (self.field_key, int(self.match) if isinstance(self.match, int) else self.match,
                self.value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Condition):
            return NotImplemented
        mine, theirs = self._key(), other._key()
        return mine[0] == theirs[0] and mine[1] == theirs[1] and _values_equal(mine[2], theirs[2])

    def __hash__(self) -> int:
        return hash(self._key())

    def __bool__(self) -> bool:
        raise TypeError("a Condition has no truth value; compare fields with 'is', or build "
                        "conditions for a rule (Field.X == v creates a Condition)")

    def __repr__(self) -> str:
        field = f"Field.{self.field.name}" if isinstance(self.field, _FieldBase) else repr(self.field)
        match = f"Match.{self.match.name}" if isinstance(self.match, Match) else repr(self.match)
        return f"Condition({field}, {match}, {self.value!r})"

    def __reduce__(self):
        return (Condition, (self.field, self.match, self.value))


_set = object.__setattr__
_MATCH_BY_VALUE = {int(m): m for m in Match}
# Types that _canonical_value returns as they are, whatever the field.
_CANONICAL_TYPES = frozenset({int, ipaddress.IPv4Address, ipaddress.IPv6Address,
                              ipaddress.IPv4Network, ipaddress.IPv6Network, uuid.UUID})
_CANONICAL_FORM_BY_NAME = {field._name_: form for field, form in _CANONICAL_FORM.items()}


def _canonical_value(field: Field, value: Any) -> Any:
    """The canonical form of a value given as text or bytes, when the field alone decides it.

    Lets conditions built from strings (policy files, ``Field.X == "10.0.0.1"``) equal the
    ones read back.  A value that does not convert is kept as it is: encoding reports it.
    """
    form = _CANONICAL_FORM[field]
    try:
        if form == "address":
            if isinstance(value, str):
                text = value.strip()
                return ipaddress.ip_network(text) if "/" in text else ipaddress.ip_address(text)
            if isinstance(value, Range) and isinstance(value.low, str) and isinstance(value.high, str):
                return Range(ipaddress.ip_address(value.low.strip()),
                             ipaddress.ip_address(value.high.strip()))
        elif form == "sid":
            if isinstance(value, (str, bytes)):
                return security.sid_to_string(value)
        elif form == "token":
            if isinstance(value, bytes) or (isinstance(value, str)
                                            and not security.is_sid_string(value.strip())):
                return security.SecurityDescriptor(value)
        elif form == "guid":
            if isinstance(value, bytes) and len(value) == 16:
                return uuid.UUID(bytes_le=value)
        elif form == "blob":
            if isinstance(value, str) and "\0" not in value and not _bad_app_id_text(field.name, value):
                return value.encode("utf-16-le") + b"\0\0"
        elif form == "mac":
            if isinstance(value, str):
                return _mac_bytes(value) or value
    except (ValueError, ValidationError):
        return value
    return value


def _values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, _FieldBase) or isinstance(b, _FieldBase):
        return a is b
    return bool(a == b)


def _as_network(field: Any, network: Any) -> Any:
    if isinstance(network, str):
        return _parse_network(getattr(field, "name", str(field)), network)
    return network


def _parse_network(where: str, text: str) -> Union[ipaddress.IPv4Network, ipaddress.IPv6Network]:
    address_text, _, prefix_text = text.strip().partition("/")
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        raise ValidationError(FWP_E_TYPE_MISMATCH, field=where, value=text,
                              reason="not an IP network 'address/prefix'") from None
    network_type = ipaddress.IPv4Network if address.version == 4 else ipaddress.IPv6Network
    try:
        return network_type(f"{address}/{prefix_text}" if prefix_text else str(address))
    except ValueError as exc:  # NetmaskValueError, or host bits set under the mask
        raise ValidationError(FWP_E_INVALID_NET_MASK, field=where, value=text, reason=str(exc)) from None


# --------------------------------------------------------------------------------------------
# Encoding (Python -> wire), with validation
# --------------------------------------------------------------------------------------------

WireValue = Tuple[int, Any]
WireCondition = Tuple[uuid.UUID, int, WireValue]


class _Where:
    """Names the condition being encoded in error messages: "conditions[2] IP_REMOTE_PORT"
    (formatted only when there is an error to report)."""

    __slots__ = ("prefix", "index", "name", "layer")

    def __init__(self, prefix: str, index: Optional[int], name: str, layer: Layer) -> None:
        self.prefix = prefix
        self.index = index
        self.name = name
        self.layer = layer

    @property
    def label(self) -> str:
        where = self.prefix if self.index is None else f"{self.prefix}[{self.index}]"
        return f"{where} {self.name}"

    def fail(self, code: int, value: Any, reason: str) -> ValidationError:
        return ValidationError(code, field=self.label, value=value, reason=reason)


def _check_int(where: _Where, dt: DataType, value: Any) -> int:
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int):
        raise where.fail(FWP_E_TYPE_MISMATCH, value,
                         f"{type(value).__name__} given where the field holds an integer ({dt.name})")
    if dt in _UNSIGNED:
        bits = _UNSIGNED[dt]
        low, high = 0, (1 << bits) - 1
    else:
        bits = _SIGNED[dt]
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if not low <= value <= high:
        raise where.fail(FWP_E_OUT_OF_BOUNDS, value, f"{dt.name} holds {low}..{high}")
    return int(value)


def _parse_address(where: _Where, text: str) -> Any:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        pass
    if "/" in text:
        return _parse_network(where.label, text)
    raise where.fail(FWP_E_TYPE_MISMATCH, text, "not an IP address or network")


def _encode_address_scalar(where: _Where, dt: DataType, value: Any) -> WireValue:
    """An address (not a network) for an IP address field."""
    if isinstance(value, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        raise where.fail(FWP_E_TYPE_MISMATCH, value,
                         "an interface is ambiguous: pass its .ip or its .network")
    if dt == DataType.UINT32:
        if isinstance(value, ipaddress.IPv4Address):
            return (DataType.UINT32, int(value))
        if isinstance(value, (ipaddress.IPv6Address, ipaddress.IPv6Network)):
            hint = "; use the _V6 layer" if where.layer.name.endswith("_V4") else ""
            raise where.fail(FWP_E_TYPE_MISMATCH, value,
                             f"an IPv6 value for an IPv4 address field at layer {where.layer.name}{hint}")
    else:
        if isinstance(value, ipaddress.IPv6Address):
            return (DataType.BYTE_ARRAY16, value.packed)
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv4Network)):
            hint = ("; use the _V4 layer or an IPv4-mapped IPv6 address"
                    if where.layer.name.endswith("_V6") else "")
            raise where.fail(FWP_E_TYPE_MISMATCH, value,
                             f"an IPv4 value for an IPv6 address field at layer {where.layer.name}{hint}")
    raise where.fail(FWP_E_TYPE_MISMATCH, value,
                     f"{type(value).__name__} given where the field holds an IP address "
                     "(an ipaddress address or network, or a string)")


def _encode_scalar(where: _Where, field_name: str, dt: DataType, ft: FieldType, value: Any,
                   template: bool) -> WireValue:
    """One value of the field's own type (also used for both ends of a Range)."""
    if ft == FieldType.IP_ADDRESS and dt in (DataType.UINT32, DataType.BYTE_ARRAY16):
        if isinstance(value, str):
            value = _parse_address(where, value)
            if not isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
                raise where.fail(FWP_E_TYPE_MISMATCH, value, "a network is not a single address")
        return _encode_address_scalar(where, dt, value)
    if dt in _UNSIGNED or dt in _SIGNED:
        return (dt, _check_int(where, dt, value))
    if dt == DataType.BYTE_ARRAY16:
        if isinstance(value, uuid.UUID):
            return (dt, value.bytes_le)
        if isinstance(value, bytes) and len(value) == 16:
            return (dt, value)
        raise where.fail(FWP_E_TYPE_MISMATCH, value, "the field holds a GUID: a uuid.UUID or 16 bytes")
    if dt == DataType.BYTE_ARRAY6:
        if isinstance(value, str):
            value = _parse_mac(where, value)
        if isinstance(value, bytes) and len(value) == 6:
            return (dt, value)
        raise where.fail(FWP_E_TYPE_MISMATCH, value,
                         "the field holds a MAC address: 6 bytes or 'aa:bb:cc:dd:ee:ff'")
    if dt == DataType.BYTE_BLOB:
        if isinstance(value, bytes):
            return (dt, value)
        if isinstance(value, str):
            if _bad_app_id_text(field_name, value):
                raise where.fail(FWP_E_TYPE_MISMATCH, value,
                                 "an app id is the NT device path, never a Win32 path: "
                                 "use wfp.app_id(path)")
            return (dt, _utf16z(where, value))
        raise where.fail(FWP_E_TYPE_MISMATCH, value,
                         f"{type(value).__name__} given where the field holds a byte blob (bytes or str)")
    if dt == DataType.UNICODE_STRING:
        if isinstance(value, str):
            _check_engine_text(where, value)
            return (dt, value)
        raise where.fail(FWP_E_TYPE_MISMATCH, value, f"{type(value).__name__} given where the field holds a string")
    if dt == DataType.SID:
        if isinstance(value, (str, bytes)):
            try:
                return (dt, security.sid_to_bytes(value, field=where.label))
            except ValidationError as exc:
                raise where.fail(FWP_E_TYPE_MISMATCH, value, f"not a SID: {exc.reason}") from None
        raise where.fail(FWP_E_TYPE_MISMATCH, value, "the field holds a SID: 'S-1-...', an SDDL alias or bytes")
    if dt in _TOKEN_TYPES:
        return _encode_token_value(where, field_name, value, template)
    if dt in (DataType.FLOAT, DataType.DOUBLE):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (dt, float(value))
        raise where.fail(FWP_E_TYPE_MISMATCH, value, f"the field holds a {dt.name.lower()}")
    raise where.fail(FWP_E_TYPE_MISMATCH, value,
                     f"conditions on {dt.name} fields are not supported (internal Windows field)")


def _encode_token_value(where: _Where, field_name: str, value: Any, template: bool) -> WireValue:
    if isinstance(value, str) and security.is_sid_string(value.strip()):
        if template:
            return (DataType.SID, security.sid_to_bytes(value.strip(), field=where.label))
        raise where.fail(FWP_E_TYPE_MISMATCH, value,
                         f"{field_name} takes a security descriptor such as 'D:(A;;0x1;;;{value})' "
                         "(a SID alone is accepted only in enumeration templates)")
    if isinstance(value, (str, bytes)):
        try:
            return (DataType.SECURITY_DESCRIPTOR, bytes(security.SecurityDescriptor(value)))
        except ValidationError as exc:
            raise ValidationError(exc.code, field=where.label, value=value, reason=exc.reason) from None
    raise where.fail(FWP_E_TYPE_MISMATCH, value,
                     f"{field_name} takes a security descriptor: SDDL text, self-relative bytes or "
                     "wfp.SecurityDescriptor")


_MAC = re.compile(r"\s*([0-9A-Fa-f]{2})([:-]?)([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2"
                  r"([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\s*")


def _mac_bytes(text: str) -> Optional[bytes]:
    """6 bytes from 'aa:bb:cc:dd:ee:ff' (or '-' or no separator), None if it is not one."""
    digits = _MAC.fullmatch(text)
    return bytes(int(digits.group(i), 16) for i in (1, 3, 4, 5, 6, 7)) if digits else None


def _parse_mac(where: _Where, text: str) -> bytes:
    mac = _mac_bytes(text)
    if mac is None:
        raise where.fail(FWP_E_TYPE_MISMATCH, text, "not a MAC address 'aa:bb:cc:dd:ee:ff'")
    return mac


def _bad_app_id_text(field_name: str, text: str) -> bool:
    """True for a Win32 path given as an app id (which never matches: it must be the device
    path, from wfp.app_id())."""
    return field_name in _APP_ID_FIELDS and (not text.startswith("\\") or text.startswith("\\\\"))


def _utf16z(where: _Where, text: str) -> bytes:
    _check_engine_text(where, text)
    return text.encode("utf-16-le") + b"\0\0"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(text: str) -> Optional[re.Match]:
    """Where ``text`` holds a surrogate code point, or None.

    Text reaches the engine as UTF-16, where a surrogate code point is no character: alone it is
    malformed, and a high one followed by a low one reads back as the single code point they
    encode, so the text would not read back equal.  A Python str holds a character beyond
    U+FFFF as one code point ("\\U0001F600"), never as a pair.
    """
    return None if text.isascii() else _SURROGATE.search(text)


def _surrogate_reason(found: re.Match) -> str:
    return (f"contains the surrogate code point U+{ord(found.group()):04X} at index "
            f"{found.start()}, which UTF-16 cannot carry as a character (write a character "
            "beyond U+FFFF as one code point, e.g. '\\U0001F600')")


def _check_engine_text(where: _Where, text: str, shown: Any = None) -> None:
    """A str condition value the engine gets as UTF-16: no NUL, no surrogate code point.
    ``shown`` is the value the error names (the RawValue that holds text), text by default."""
    shown = text if shown is None else shown
    if "\0" in text:
        raise where.fail(FWP_E_INVALID_PARAMETER, shown, "a string cannot contain NUL")
    found = _lone_surrogate(text)
    if found is not None:
        raise where.fail(FWP_E_INVALID_PARAMETER, shown, _surrogate_reason(found))


def _sort_key(wire: WireValue) -> Any:
    dt, payload = wire
    if dt == DataType.UNICODE_STRING:
        return payload.encode("utf-16-be")  # UTF-16 code-unit order, as the engine compares
    return payload


def _encode_value(where: _Where, field_name: str, dt: DataType, ft: FieldType, value: Any,
                  template: bool) -> WireValue:
    if value is None:
        return (DataType.EMPTY, None)
    if isinstance(value, RawValue):
        return _check_raw(where, value)
    if isinstance(value, Range):
        if dt not in _SORTABLE:
            raise where.fail(FWP_E_MATCH_TYPE_MISMATCH, value,
                             f"a range needs a sortable field; {field_name} is {dt.name}")
        ends = []
        for end in (value.low, value.high):
            if isinstance(end, (Range, ipaddress.IPv4Network, ipaddress.IPv6Network, RawValue)) or end is None:
                raise where.fail(FWP_E_TYPE_MISMATCH, value,
                                 "both ends of a range are single values of the field's type")
            ends.append(_encode_scalar(where, field_name, dt, ft, end, template))
        low, high = ends
        if _sort_key(low) > _sort_key(high):
            raise where.fail(FWP_E_INVALID_RANGE, value, "low is greater than high")
        return (DataType.RANGE, (low, high))
    if ft == FieldType.IP_ADDRESS and dt in (DataType.UINT32, DataType.BYTE_ARRAY16):
        if isinstance(value, str):
            value = _parse_address(where, value)
        if isinstance(value, ipaddress.IPv4Network) and dt == DataType.UINT32:
            return (DataType.V4_ADDR_MASK, (int(value.network_address), int(value.netmask)))
        if isinstance(value, ipaddress.IPv6Network) and dt == DataType.BYTE_ARRAY16:
            return (DataType.V6_ADDR_MASK, (value.network_address.packed, value.prefixlen))
    elif isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        raise where.fail(FWP_E_TYPE_MISMATCH, value, f"{field_name} is not an IP address field")
    return _encode_scalar(where, field_name, dt, ft, value, template)


def _check_raw(where: _Where, raw: RawValue) -> WireValue:
    """The wire form of a RawValue, its payload checked against its data type as the binding
    will read it (int ranges, byte lengths, tuple shapes), so that nothing but a
    ValidationError can come of a bad one before the engine sees it."""
    dt = _raw_data_type(where, raw, raw.data_type)
    return (dt, _raw_payload(where, raw, dt, raw.payload, in_condition=True))


def _raw_data_type(where: _Where, raw: RawValue, data_type: Any) -> DataType:
    if isinstance(data_type, int):
        found = _DATA_TYPE_BY_VALUE.get(int(data_type))
        if found is not None:
            return found
    raise where.fail(FWP_E_TYPE_MISMATCH, raw, f"unknown data type {data_type!r}")


_FLOAT_MAX = 3.4028234663852886e38  # FLT_MAX: a C float holds nothing finite beyond it
# Data types no condition can carry: the binding has no wire form for them.
_UNSENDABLE_TYPES = frozenset({DataType.TOKEN_INFORMATION, DataType.BITMAP_INDEX,
                               DataType.BITMAP_ARRAY64})
_RAW_BLOB_TYPES = frozenset({DataType.BYTE_BLOB, DataType.SECURITY_DESCRIPTOR,
                             DataType.TOKEN_ACCESS_INFORMATION})
_RAW_FIXED_SIZES = {DataType.BYTE_ARRAY16: 16, DataType.BYTE_ARRAY6: 6}
_MAX_BLOB_SIZE = 0xFFFFFFFF


def _raw_bytes(where: _Where, raw: RawValue, dt: DataType, payload: Any) -> bytes:
    if isinstance(payload, (bytes, bytearray, memoryview)):
        try:
            return bytes(payload)
        except (TypeError, ValueError, BufferError):  # a memoryview of an odd shape
            pass
    raise where.fail(FWP_E_TYPE_MISMATCH, raw,
                     f"a {dt.name} payload is bytes, not {type(payload).__name__}")


def _raw_int(where: _Where, raw: RawValue, dt: DataType, payload: Any, low: int, high: int) -> int:
    if not isinstance(payload, int):
        raise where.fail(FWP_E_TYPE_MISMATCH, raw,
                         f"a {dt.name} payload is an int, not {type(payload).__name__}")
    if not low <= payload <= high:
        raise where.fail(FWP_E_OUT_OF_BOUNDS, raw, f"a {dt.name} payload is {low}..{high}")
    return int(payload)


def _raw_pair(where: _Where, raw: RawValue, dt: DataType, payload: Any, what: str) -> tuple:
    if not isinstance(payload, (tuple, list)) or len(payload) != 2:
        raise where.fail(FWP_E_TYPE_MISMATCH, raw, f"a {dt.name} payload is {what}")
    return tuple(payload)


def _raw_payload(where: _Where, raw: RawValue, dt: DataType, payload: Any, *,
                 in_condition: bool) -> Any:
    """A RawValue payload (or one end of a raw RANGE, in_condition False) in the form the
    binding composes; ValidationError naming the RawValue otherwise."""
    if dt == DataType.EMPTY:
        if payload is not None:
            raise where.fail(FWP_E_TYPE_MISMATCH, raw, "an EMPTY value's payload is None")
        return None
    if dt in _UNSIGNED:
        return _raw_int(where, raw, dt, payload, 0, (1 << _UNSIGNED[dt]) - 1)
    if dt in _SIGNED:
        bits = _SIGNED[dt]
        return _raw_int(where, raw, dt, payload, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    if dt in (DataType.FLOAT, DataType.DOUBLE):
        if isinstance(payload, bool) or not isinstance(payload, (int, float)):
            raise where.fail(FWP_E_TYPE_MISMATCH, raw,
                             f"a {dt.name} payload is a float, not {type(payload).__name__}")
        try:
            number = float(payload)
        except OverflowError:
            raise where.fail(FWP_E_OUT_OF_BOUNDS, raw, f"too large for a {dt.name}") from None
        if dt == DataType.FLOAT and math.isfinite(number) and abs(number) > _FLOAT_MAX:
            raise where.fail(FWP_E_OUT_OF_BOUNDS, raw, "too large for a FLOAT (32-bit)")
        return number
    if dt in _RAW_FIXED_SIZES:
        data = _raw_bytes(where, raw, dt, payload)
        if len(data) != _RAW_FIXED_SIZES[dt]:
            raise where.fail(FWP_E_TYPE_MISMATCH, raw,
                             f"a {dt.name} payload is {_RAW_FIXED_SIZES[dt]} bytes, not {len(data)}")
        return data
    if dt in _RAW_BLOB_TYPES:
        data = _raw_bytes(where, raw, dt, payload)
        if len(data) > _MAX_BLOB_SIZE:
            raise where.fail(FWP_E_OUT_OF_BOUNDS, raw, f"a {dt.name} payload is at most 4 GiB")
        return data
    if dt == DataType.SID:
        data = _raw_bytes(where, raw, dt, payload)
        if len(data) < 8 or len(data) != 8 + 4 * data[1]:
            raise where.fail(FWP_E_TYPE_MISMATCH, raw,
                             "a SID payload is 8 bytes plus 4 for each sub-authority it counts")
        return data
    if dt == DataType.UNICODE_STRING:
        if not isinstance(payload, str):
            raise where.fail(FWP_E_TYPE_MISMATCH, raw,
                             f"a UNICODE_STRING payload is a str, not {type(payload).__name__}")
        _check_engine_text(where, payload, raw)
        return payload
    if dt in _UNSENDABLE_TYPES or not in_condition:
        where_to = "a condition" if in_condition else "an end of a range"
        raise where.fail(FWP_E_TYPE_MISMATCH, raw, f"a {dt.name} value cannot be given in {where_to}")
    if dt == DataType.V4_ADDR_MASK:
        addr, mask = _raw_pair(where, raw, dt, payload, "(address, mask), two ints")
        addr = _raw_int(where, raw, dt, addr, 0, 0xFFFFFFFF)
        mask = _raw_int(where, raw, dt, mask, 0, 0xFFFFFFFF)
        inverted = ~mask & 0xFFFFFFFF
        if inverted & (inverted + 1):
            raise where.fail(FWP_E_INVALID_NET_MASK, raw, f"mask 0x{mask:08x} is not contiguous")
        return (addr, mask)
    if dt == DataType.V6_ADDR_MASK:
        addr, prefix = _raw_pair(where, raw, dt, payload, "(16 address bytes, prefix length)")
        addr = _raw_bytes(where, raw, dt, addr)
        if len(addr) != 16:
            raise where.fail(FWP_E_TYPE_MISMATCH, raw, "a V6_ADDR_MASK address is 16 bytes")
        if not isinstance(prefix, int):
            raise where.fail(FWP_E_TYPE_MISMATCH, raw, "a V6_ADDR_MASK prefix length is an int")
        if not 0 <= prefix <= 128:
            raise where.fail(FWP_E_INVALID_NET_MASK, raw, f"prefix length {prefix} "
                             + ("exceeds 128" if prefix > 128 else "is negative"))
        return (addr, int(prefix))
    # RANGE: two ends, each (data type, payload) of a type a plain value may have.
    ends = []
    for end in _raw_pair(where, raw, dt, payload, "(low, high), each (data type, payload)"):
        if isinstance(end, RawValue):
            end = (end.data_type, end.payload)
        end_type, end_payload = _raw_pair(where, raw, dt, end,
                                          "(low, high), each (data type, payload)")
        end_dt = _raw_data_type(where, raw, end_type)
        ends.append((int(end_dt), _raw_payload(where, raw, end_dt, end_payload,
                                               in_condition=False)))
    return tuple(ends)


def _match_is_legal(match: Match, dt: int) -> bool:
    """Whether a match type may test a value of wire data type dt (reference §3.6)."""
    if match == Match.EQUAL:
        return dt != DataType.RANGE
    if match == Match.RANGE:
        return dt == DataType.RANGE
    if match in (Match.GREATER, Match.LESS, Match.GREATER_OR_EQUAL, Match.LESS_OR_EQUAL,
                 Match.NOT_EQUAL):
        return dt in _SORTABLE
    if match in (Match.FLAGS_ALL_SET, Match.FLAGS_ANY_SET, Match.FLAGS_NONE_SET):
        return dt in _UNSIGNED
    if match == Match.EQUAL_CASE_INSENSITIVE:
        return dt == DataType.UNICODE_STRING
    return dt in (DataType.BYTE_BLOB, DataType.UNICODE_STRING)  # PREFIX, NOT_PREFIX


def _check_match(where: _Where, match: Any, wire: WireValue, value: Any) -> int:
    if not isinstance(match, Match):
        raise where.fail(FWP_E_INVALID_ENUMERATOR, value,
                         f"match type {match!r} is not an FWP_MATCH_TYPE (0..{len(Match) - 1})")
    dt = wire[0]
    if not _match_is_legal(match, dt):
        raise where.fail(FWP_E_MATCH_TYPE_MISMATCH, value,
                         f"match {match.name} is not allowed for a {DataType(dt).name} value")
    return int(match)


# ---- fast encoders ----
# Rules are built by the hundred thousand, nearly all with ints and ipaddress objects.  For each
# (layer, field) an encoder made once turns exactly those values into their wire form; anything
# else (and anything invalid) returns None and takes the validating path above, which gives the
# same wire form or the error.  Keyed by names: hashing an Enum member runs Python code.

# (match, value) -> the condition's wire form, or None for the validating path.
FastEncoder = Callable[[Any, Any], Optional[WireCondition]]


def _legal_matches(dt: DataType) -> Dict[Match, int]:
    """The match types legal for wire data type dt, each with its int."""
    return {m: int(m) for m in Match if _match_is_legal(m, dt)}


def _no_fast_path(match: Any, value: Any) -> None:
    return None


def _make_fast_encoder(layer: Layer, field: Any) -> FastEncoder:
    info = _FIELD_INFO.get((layer._name_, field._name_))
    if info is None:
        return _no_fast_path
    dt, ft = info
    key = field._value_
    if ft == FieldType.IP_ADDRESS and dt == DataType.UINT32:
        return _v4_address_encoder(key)
    if ft == FieldType.IP_ADDRESS and dt == DataType.BYTE_ARRAY16:
        return _v6_address_encoder(key)
    if dt in _UNSIGNED or dt in _SIGNED:
        return _int_encoder(key, dt)
    if dt == DataType.BYTE_ARRAY16:
        return _guid_encoder(key)
    return _no_fast_path


def _v4_address_encoder(key: uuid.UUID) -> FastEncoder:
    address_matches = _legal_matches(DataType.UINT32)
    network_matches = _legal_matches(DataType.V4_ADDR_MASK)
    address_type, network_type = ipaddress.IPv4Address, ipaddress.IPv4Network

    def encode(match: Any, value: Any) -> Optional[WireCondition]:
        kind = type(value)
        if kind is address_type:
            m = address_matches.get(match)
            if m is not None:
                return (key, m, (_DT_UINT32, int(value)))
        elif kind is network_type:
            m = network_matches.get(match)
            if m is not None:
                return (key, m, (_DT_V4_ADDR_MASK,
                                 (int(value.network_address), int(value.netmask))))
        return None
    return encode


def _v6_address_encoder(key: uuid.UUID) -> FastEncoder:
    address_matches = _legal_matches(DataType.BYTE_ARRAY16)
    network_matches = _legal_matches(DataType.V6_ADDR_MASK)
    address_type, network_type = ipaddress.IPv6Address, ipaddress.IPv6Network

    def encode(match: Any, value: Any) -> Optional[WireCondition]:
        kind = type(value)
        if kind is address_type:
            m = address_matches.get(match)
            if m is not None:
                return (key, m, (_DT_BYTE_ARRAY16, value.packed))
        elif kind is network_type:
            m = network_matches.get(match)
            if m is not None:
                return (key, m, (_DT_V6_ADDR_MASK,
                                 (value.network_address.packed, value.prefixlen)))
        return None
    return encode


def _int_encoder(key: uuid.UUID, dt: DataType) -> FastEncoder:
    matches = _legal_matches(dt)
    wire_type = int(dt)
    if dt in _UNSIGNED:
        low, high = 0, (1 << _UNSIGNED[dt]) - 1
    else:
        low, high = -(1 << (_SIGNED[dt] - 1)), (1 << (_SIGNED[dt] - 1)) - 1

    def encode(match: Any, value: Any) -> Optional[WireCondition]:
        if type(value) is int and low <= value <= high:
            m = matches.get(match)
            if m is not None:
                return (key, m, (wire_type, value))
        return None
    return encode


def _guid_encoder(key: uuid.UUID) -> FastEncoder:
    matches = _legal_matches(DataType.BYTE_ARRAY16)

    def encode(match: Any, value: Any) -> Optional[WireCondition]:
        if type(value) is uuid.UUID:
            m = matches.get(match)
            if m is not None:
                return (key, m, (_DT_BYTE_ARRAY16, value.bytes_le))
        return None
    return encode


_DT_UINT32 = int(DataType.UINT32)
_DT_BYTE_ARRAY16 = int(DataType.BYTE_ARRAY16)
_DT_V4_ADDR_MASK = int(DataType.V4_ADDR_MASK)
_DT_V6_ADDR_MASK = int(DataType.V6_ADDR_MASK)
# layer name -> {field name: fast encoder}, filled as (layer, field) pairs are first met.
_FAST_ENCODERS: Dict[str, Dict[str, FastEncoder]] = {layer._name_: {} for layer in Layer}


def _encode_rule_conditions(layer: Layer, conditions: tuple) -> Optional[tuple]:
    """The wire form of conditions (all Condition objects) at layer when every one takes a fast
    encoder; None otherwise (encode_conditions then validates them and names what is wrong)."""
    encoders = _FAST_ENCODERS[layer._name_]
    encoded = []
    for condition in conditions:
        if type(condition) is not Condition:
            return None
        field = condition.field
        match = condition.match
        if type(field) is not Field or type(match) is not Match:
            return None
        wire = (encoders.get(field._name_) or _fast_encoder(layer, field))(match, condition.value)
        if wire is None:
            return None
        encoded.append(wire)
    return tuple(encoded)


def _fast_encoder(layer: Layer, field: Any) -> FastEncoder:
    encoders = _FAST_ENCODERS[layer._name_]
    encoder = encoders.get(field._name_)
    if encoder is None:
        encoder = encoders[field._name_] = _make_fast_encoder(layer, field)
    return encoder


def encode_condition(layer: Any, condition: Any, *, label: str = "condition",
                     template: bool = False) -> WireCondition:
    """Validate and encode one condition for ``layer``; see :func:`encode_conditions`."""
    return _encode_condition(coerce_layer(layer), condition, label, None, template)


def _encode_condition(layer: Layer, condition: Any, prefix: str, index: Optional[int],
                      template: bool) -> WireCondition:
    if isinstance(condition, tuple) and len(condition) == 3:
        condition = Condition(*condition)
    if not isinstance(condition, Condition):
        label = prefix if index is None else f"{prefix}[{index}]"
        raise ValidationError(FWP_E_INVALID_PARAMETER, field=label, value=condition,
                              reason="expected a wfp.Condition (e.g. Field.IP_REMOTE_PORT == 53)")
    field = condition.field
    is_member = type(field) is Field
    name = field._name_ if is_member else str(field)
    where = _Where(prefix, index, name, layer)
    info = _FIELD_INFO.get((layer._name_, name)) if is_member else None
    if info is None:
        raise where.fail(FWP_E_CONDITION_NOT_FOUND, condition.value,
                         f"{name} is not a field of layer {layer.name}")
    dt, ft = info
    wire = _encode_value(where, name, dt, ft, condition.value, template)
    match = _check_match(where, condition.match, wire, condition.value)
    return (field._value_ if is_member else field, match, (int(wire[0]), _plain_payload(wire)))


def _plain_payload(wire: WireValue) -> Any:
    dt, payload = wire
    if dt == DataType.RANGE:
        return tuple((int(t), p) for t, p in payload)
    return payload


def encode_conditions(layer: Any, conditions: Iterable[Any], *,
                      template: bool = False) -> List[WireCondition]:
    """Validate every condition for ``layer`` and encode it as ``(field_key, match, (type, payload))``.

    Nothing is sent anywhere: a ValidationError is raised for the first bad condition, naming
    it as ``conditions[i] FIELD`` with its value and the FWP_E_* code that describes the
    problem (CONDITION_NOT_FOUND, TYPE_MISMATCH, OUT_OF_BOUNDS, MATCH_TYPE_MISMATCH,
    INVALID_RANGE, INVALID_NET_MASK, INVALID_ENUMERATOR).  ``template=True`` encodes for an
    enumeration template, where a token field may also be matched with a SID.
    """
    layer = coerce_layer(layer)
    if isinstance(conditions, (Condition, str, bytes)):
        raise ValidationError(FWP_E_INVALID_PARAMETER, field="conditions", value=conditions,
                              reason="expected a list of conditions")
    encoders = _FAST_ENCODERS[layer._name_]
    encoded = []
    for index, condition in enumerate(conditions):
        if type(condition) is Condition:
            field = condition.field
            if type(field) is Field and type(condition.match) is Match:
                encode = encoders.get(field._name_) or _fast_encoder(layer, field)
                wire = encode(condition.match, condition.value)
                if wire is not None:
                    encoded.append(wire)
                    continue
        encoded.append(_encode_condition(layer, condition, "conditions", index, template))
    return encoded


# --------------------------------------------------------------------------------------------
# Decoding (wire -> Python); never raises on odd input from the engine
# --------------------------------------------------------------------------------------------

def decode_value(layer: Any, field: Any, wire: WireValue) -> Any:
    """The canonical Python value of a wire value of ``field`` at ``layer`` (see the module
    docstring).  Tolerant: whatever cannot be mapped comes back as :class:`RawValue`."""
    layer_member = layer if type(layer) is Layer else _lookup_layer(layer)
    field_member = field if type(field) is Field else _lookup_field(field)
    return _decode_value(layer_member, field_member, wire)


def _decode_value(layer: Optional[Layer], field: Any, wire: WireValue) -> Any:
    dt_raw, payload = wire
    info = None
    if layer is not None and type(field) is Field:
        info = _FIELD_INFO.get((layer._name_, field._name_))
    field_dt, ft = info if info is not None else (None, FieldType.RAW_DATA)
    dt = _DATA_TYPE_BY_VALUE.get(dt_raw)
    if dt is None:
        return RawValue(dt_raw, payload)
    try:
        return _decode(dt, payload, field_dt, ft)
    except (ValueError, TypeError, IndexError, ValidationError):
        return RawValue(int(dt), payload)


_DATA_TYPE_BY_VALUE = {int(d): d for d in DataType}
_INTEGER_TYPES = frozenset(_UNSIGNED) | frozenset(_SIGNED)


def _decode(dt: DataType, payload: Any, field_dt: Optional[DataType], ft: FieldType) -> Any:
    is_address = ft == FieldType.IP_ADDRESS
    if dt in _INTEGER_TYPES:
        if is_address and dt == DataType.UINT32 and field_dt == DataType.UINT32:
            return ipaddress.IPv4Address(payload)
        return int(payload)
    if dt == DataType.EMPTY:
        return None
    if dt == DataType.RANGE:
        (low_t, low_p), (high_t, high_p) = payload
        low = _decode(DataType(low_t), low_p, field_dt, ft)
        high = _decode(DataType(high_t), high_p, field_dt, ft)
        if isinstance(low, RawValue) or isinstance(high, RawValue):
            return RawValue(int(dt), payload)
        return Range(low, high)
    if dt == DataType.V4_ADDR_MASK:
        addr, mask = payload
        return ipaddress.IPv4Network((addr & mask, str(ipaddress.IPv4Address(mask))))
    if dt == DataType.V6_ADDR_MASK:
        addr, prefix = payload
        address = int.from_bytes(bytes(addr), "big")
        if len(addr) != 16 or not 0 <= prefix <= 128:
            raise ValueError("bad V6_ADDR_MASK")
        keep = ((1 << 128) - 1) ^ ((1 << (128 - prefix)) - 1)
        return ipaddress.IPv6Network((address & keep, prefix))
    if dt == DataType.BYTE_ARRAY16:
        data = bytes(payload)
        if len(data) != 16:
            raise ValueError("BYTE_ARRAY16 is 16 bytes")
        if is_address:
            return ipaddress.IPv6Address(data)
        if field_dt == DataType.BYTE_ARRAY16:
            return uuid.UUID(bytes_le=data)
        return data
    if dt in (DataType.FLOAT, DataType.DOUBLE):
        return float(payload)
    if dt == DataType.BYTE_ARRAY6:
        data = bytes(payload)
        if len(data) != 6:
            raise ValueError("BYTE_ARRAY6 is 6 bytes")
        return data
    if dt == DataType.BYTE_BLOB:
        return bytes(payload)
    if dt == DataType.SID:
        return security.sid_to_string(bytes(payload))
    if dt == DataType.SECURITY_DESCRIPTOR:
        return security.SecurityDescriptor(bytes(payload))
    if dt == DataType.UNICODE_STRING:
        return str(payload)
    return RawValue(int(dt), payload)


def _lookup_layer(layer: Any) -> Optional[Layer]:
    try:
        return coerce_layer(layer)
    except ValidationError:
        return None


def decode_condition(layer: Any, wire: Tuple[Any, int, WireValue]) -> Condition:
    """A Condition from ``(field_key, match, (type, payload))`` as wfp._core returns it.

    The field becomes a Field member when known (a UUID otherwise), the match a Match member,
    and the value its canonical Python type, so that a condition read back equals the one that
    was added (see the module docstring).
    """
    field_key, match, value = wire
    layer_member = layer if type(layer) is Layer else _lookup_layer(layer)
    field = _FIELD_BY_UUID.get(field_key)
    if field is None:
        field = _lookup_field(field_key) or field_key
    return Condition._trusted(field, _MATCH_BY_VALUE.get(match, match),
                              _decode_value(layer_member, field, value))
