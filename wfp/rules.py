"""The object model: immutable value types for providers, sublayers, rules (filters) and layers.

Every type is a frozen, keyword-only dataclass that validates itself at construction, so a bad
value is reported (as :class:`wfp.ValidationError`, naming the field, the value and the FWP_E_*
code that describes it) where it was written, long before anything reaches the engine.  A
missing ``key`` gets a random UUID.  Objects read back from the engine are the same types; rules
read back also carry ``id`` and ``effective_weight``, which take no part in equality, so a rule
read back equals the rule that was added, with what the engine fills in (see :class:`Rule`):
``sublayer=None`` reads back as the layer's default sublayer, FWPM_SUBLAYER_UNIVERSAL, and a
condition on a stand-in field reads back on the field it stands in for (``Field.canonical``).

Names, descriptions and other text reach the engine as UTF-16, so text holding NUL or a
surrogate code point (U+D800..U+DFFF) is a ValidationError: UTF-16 could not give it back as
it was.  Empty ``data`` (``b""``) is stored as None, as the engine gives an empty blob back.
"""

from __future__ import annotations

import enum
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple, Union

from wfp import _core, _ids
from wfp.errors import ValidationError
from wfp.fields import (
    Condition, Field, Layer, _encode_rule_conditions, _lone_surrogate, _surrogate_reason,
    coerce_layer, decode_condition, encode_conditions,
)

__all__ = [
    "Action", "WeightRange", "Weight", "Provider", "Sublayer", "Rule", "LayerInfo", "FieldInfo",
]

_CODE_BY_NAME = {name: code for code, (name, _message) in _ids.ERRORS.items()}


def error_code(name: str) -> int:
    """The numeric result code of an SDK or library error name ("FWP_E_INVALID_WEIGHT")."""
    return _CODE_BY_NAME[name]


def _invalid(name: str, field_name: str, value: Any, reason: str) -> ValidationError:
    return ValidationError(error_code(name), field=field_name, value=value, reason=reason)


class Action(enum.IntEnum):
    """What a rule does when its conditions match (FWP_ACTION_*)."""

    BLOCK = _core.ACTION_BLOCK
    PERMIT = _core.ACTION_PERMIT
    CALLOUT_TERMINATING = _core.ACTION_CALLOUT_TERMINATING
    CALLOUT_INSPECTION = _core.ACTION_CALLOUT_INSPECTION
    CALLOUT_UNKNOWN = _core.ACTION_CALLOUT_UNKNOWN

    @property
    def is_callout(self) -> bool:
        """True for the three actions that hand the packet to a callout."""
        return self in _CALLOUT_ACTIONS


_ACTION_BY_VALUE = {int(action): action for action in Action}
_CALLOUT_ACTIONS = frozenset(a for a in Action if a & _core.ACTION_FLAG_CALLOUT)
_MAX_UINT64 = (1 << 64) - 1


def _coerce_action(value: Any) -> Optional[Action]:
    """An Action from a member, its value or its name ("permit"); None if it is none of them."""
    if type(value) is Action or type(value) is int:
        return _ACTION_BY_VALUE.get(value)
    if isinstance(value, str):
        return Action.__members__.get(value.upper())
    return None
_MAX_WEIGHT_RANGE = 15
_MAX_SUBLAYER_WEIGHT = 0xFFFF
_WIRE_EMPTY, _WIRE_UINT8, _WIRE_UINT64 = 0, 1, 4


@dataclass(frozen=True, slots=True)
class WeightRange:
    """A weight range 0-15 (FWP_UINT8): the engine picks the low 60 bits, the range the top 4."""

    value: int

    def __post_init__(self) -> None:
        if (not isinstance(self.value, int) or isinstance(self.value, bool)
                or not 0 <= self.value <= _MAX_WEIGHT_RANGE):
            raise _invalid("FWP_E_INVALID_WEIGHT", "weight", self,
                           f"a weight range is an int from 0 to {_MAX_WEIGHT_RANGE}")

    def __repr__(self) -> str:
        return f"WeightRange({self.value})"


Weight = Union[None, int, WeightRange]


def _check_weight(weight: Any) -> Weight:
    if weight is None or isinstance(weight, WeightRange):
        return weight
    if isinstance(weight, int) and not isinstance(weight, bool) and 0 <= weight <= _MAX_UINT64:
        return weight
    raise _invalid("FWP_E_INVALID_WEIGHT", "weight", weight,
                   "expected None (automatic), an int from 0 to 2**64-1, or wfp.WeightRange(0..15)")


def _weight_to_wire(weight: Weight) -> Tuple[int, Optional[int]]:
    if weight is None:
        return (_WIRE_EMPTY, None)
    if isinstance(weight, WeightRange):
        return (_WIRE_UINT8, weight.value)
    return (_WIRE_UINT64, weight)


def _weight_from_wire(wire: Tuple[int, Any]) -> Weight:
    data_type, payload = wire
    if data_type == _WIRE_UINT8 and payload is not None and 0 <= payload <= _MAX_WEIGHT_RANGE:
        return WeightRange(payload)
    if data_type == _WIRE_UINT64:
        return payload
    return None


def _check_text(field_name: str, value: Any, *, required: bool) -> Optional[str]:
    """A name or description for the engine: a str without NUL or surrogate code points (the
    engine holds UTF-16, in which neither would read back as written)."""
    if value is None:
        if required:
            raise _invalid("FWP_E_NULL_DISPLAY_NAME", field_name, value, "a name is required")
        return None
    if not isinstance(value, str):
        raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "expected a str")
    if "\0" in value:
        raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value,
                       "contains an embedded NUL character")
    found = _lone_surrogate(value)
    if found is not None:
        raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, _surrogate_reason(found))
    return value


def _check_key(field_name: str, value: Any, *, optional: bool) -> Optional[uuid.UUID]:
    """A UUID from a UUID, a UUID string or an object with a ``key`` (Provider, Sublayer)."""
    if value is None:
        if optional:
            return None
        raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "a key is required")
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, (Provider, Sublayer, Rule)):
        return value.key
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "expected a UUID")


def _check_bool(field_name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "expected True or False")
    return value


def _check_data(field_name: str, value: Any) -> Optional[bytes]:
    """Provider data as bytes; empty data is None, which is how the engine gives it back (an
    empty FWP_BYTE_BLOB has no data pointer), so an object read back equals the one added."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if len(data) > 0xFFFFFFFF:
            raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "larger than 4 GiB")
        return data or None
    raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "expected bytes")


# Sets a field of a frozen value type (the types below validate before they set).
_set = object.__setattr__


def _trusted(cls: type, **fields: Any) -> Any:
    """An object read back from the engine, made without validation: what the engine holds is
    shown as it is (a name another program wrote may hold what this library would refuse)."""
    made = object.__new__(cls)
    for name, value in fields.items():
        _set(made, name, value)
    return made


@dataclass(frozen=True, slots=True, kw_only=True)
class Provider:
    """A provider (FWPM_PROVIDER0): a management grouping of sublayers and rules."""

    key: uuid.UUID = field(default_factory=uuid.uuid4)
    name: str = ""
    description: Optional[str] = None
    persistent: bool = False
    data: Optional[bytes] = None
    service_name: Optional[str] = None
    disabled: bool = False  # read-only: set by the engine for a provider whose service is gone

    def __post_init__(self) -> None:
        _set(self, "key", _check_key("key", self.key, optional=False))
        _check_text("name", self.name, required=True)
        _check_text("description", self.description, required=False)
        _check_bool("persistent", self.persistent)
        _set(self, "data", _check_data("data", self.data))
        _check_text("service_name", self.service_name, required=False)
        _check_bool("disabled", self.disabled)

    def _to_wire(self) -> tuple:
        if self.disabled:
            raise _invalid("FWP_E_INVALID_FLAGS", "disabled", True,
                           "DISABLED is set by the engine and cannot be added")
        flags = _core.PROVIDER_FLAG_PERSISTENT if self.persistent else 0
        return (self.key, self.name, self.description, flags, self.data, self.service_name)

    @classmethod
    def _from_wire(cls, wire: tuple) -> "Provider":
        key, name, description, flags, data, service_name = wire
        return _trusted(cls, key=key, name=name or "", description=description,
                        persistent=bool(flags & _core.PROVIDER_FLAG_PERSISTENT), data=data or None,
                        service_name=service_name,
                        disabled=bool(flags & _core.PROVIDER_FLAG_DISABLED))


@dataclass(frozen=True, slots=True, kw_only=True)
class Sublayer:
    """A sublayer (FWPM_SUBLAYER0): rules in it are arbitrated together; higher weight first."""

    key: uuid.UUID = field(default_factory=uuid.uuid4)
    name: str = ""
    description: Optional[str] = None
    weight: int = 0
    provider: Optional[uuid.UUID] = None
    persistent: bool = False
    data: Optional[bytes] = None

    def __post_init__(self) -> None:
        _set(self, "key", _check_key("key", self.key, optional=False))
        _check_text("name", self.name, required=True)
        _check_text("description", self.description, required=False)
        if (not isinstance(self.weight, int) or isinstance(self.weight, bool)
                or not 0 <= self.weight <= _MAX_SUBLAYER_WEIGHT):
            raise _invalid("FWP_E_INVALID_WEIGHT", "weight", self.weight,
                           "a sublayer weight is an int from 0 to 65535")
        _set(self, "provider", _check_key("provider", self.provider, optional=True))
        _check_bool("persistent", self.persistent)
        _set(self, "data", _check_data("data", self.data))

    def _to_wire(self) -> tuple:
        flags = _core.SUBLAYER_FLAG_PERSISTENT if self.persistent else 0
        return (self.key, self.name, self.description, flags, self.provider, self.data, self.weight)

    @classmethod
    def _from_wire(cls, wire: tuple) -> "Sublayer":
        key, name, description, flags, provider, data, weight = wire
        return _trusted(cls, key=key, name=name or "", description=description, weight=weight,
                        provider=provider,
                        persistent=bool(flags & _core.SUBLAYER_FLAG_PERSISTENT), data=data or None)


_CALLOUT_MISSING_ACTIONS = (Action.CALLOUT_TERMINATING, Action.CALLOUT_UNKNOWN)


class _NewKey:
    """The default of ``Rule(key=...)``: a new random UUID (version 4) for each rule."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<random uuid4>"


_NEW_KEY: Any = _NewKey()
_SAFE_UNKNOWN = uuid.SafeUUID.unknown
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (4 << 76) | (0x8000 << 48)


def _random_key() -> uuid.UUID:
    """uuid.uuid4() without the argument handling of UUID.__init__, which cost as much as the
    rest of building a rule."""
    key = object.__new__(uuid.UUID)
    _set(key, "int", int.from_bytes(os.urandom(16), "big") & _UUID4_CLEAR | _UUID4_SET)
    _set(key, "is_safe", _SAFE_UNKNOWN)
    return key


_F_PERSISTENT = _core.FILTER_FLAG_PERSISTENT
_F_BOOTTIME = _core.FILTER_FLAG_BOOTTIME
_F_HARD = _core.FILTER_FLAG_CLEAR_ACTION_RIGHT
_F_PERMIT_IF_CALLOUT_MISSING = _core.FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED
_F_DISABLED = _core.FILTER_FLAG_DISABLED


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A rule (FWPM_FILTER0) at one layer.

    ``conditions`` are ANDed across fields and ORed within one field.  ``weight`` is None
    (automatic), an exact int, or a :class:`WeightRange`.  ``hard`` clears the action right, so
    a lower sublayer cannot override the decision.  ``disabled``, ``id`` and
    ``effective_weight`` are filled in by the engine on rules read back.

    ``sublayer=None`` means the layer's default sublayer, FWPM_SUBLAYER_UNIVERSAL
    (eebecc03-ced4-4380-819a-2734397b2b74): the engine puts the rule there and reports that
    sublayer back, so the rule read back has ``sublayer=UUID("eebecc03-...")`` and equals
    ``dataclasses.replace(rule, sublayer=UUID("eebecc03-..."))``, not ``rule`` itself.  A
    condition on a stand-in field reads back on ``condition.field.canonical``.  ``data=b""`` is
    stored as ``data=None`` (an empty blob reads back as None).  ``name`` and ``description``
    may not hold NUL or surrogate code points.
    """

    layer: Layer
    action: Action
    key: uuid.UUID = field(default_factory=uuid.uuid4)
    name: str = ""
    description: Optional[str] = None
    sublayer: Optional[uuid.UUID] = None
    weight: Weight = None
    conditions: Tuple[Condition, ...] = ()
    provider: Optional[uuid.UUID] = None
    persistent: bool = False
    boot_time: bool = False
    hard: bool = False
    permit_if_callout_missing: bool = False
    disabled: bool = False
    callout: Optional[uuid.UUID] = None
    data: Optional[bytes] = None
    id: Optional[int] = field(default=None, compare=False)
    effective_weight: Optional[int] = field(default=None, compare=False)
    # The filter tuple of a rule read back whose fields do not say all of it (set by the
    # binding); None for every other rule, whose filter the binding composes from its fields
    # (``_filter_tuple()`` gives it as a tuple).
    _wire: Optional[tuple] = field(default=None, init=False, repr=False, compare=False)
    # The conditions in wire form: tuples, or bytes packed by the binding (None when ``_wire``
    # is set).  A rule read back decodes ``conditions`` from them when first read.
    _conditions_wire: Any = field(default=None, init=False, repr=False, compare=False)

    # Written out rather than generated: rules are made by the hundred thousand, so the common
    # cases are tested first and each field is set once.  Validation order and errors are those
    # of the field list above.
    def __init__(self, *, layer: Any, action: Any, key: Any = _NEW_KEY, name: str = "",
                 description: Optional[str] = None, sublayer: Any = None, weight: Weight = None,
                 conditions: Any = (), provider: Any = None, persistent: bool = False,
                 boot_time: bool = False, hard: bool = False,
                 permit_if_callout_missing: bool = False, disabled: bool = False,
                 callout: Any = None, data: Optional[bytes] = None, id: Optional[int] = None,
                 effective_weight: Optional[int] = None) -> None:
        if type(key) is not uuid.UUID:
            key = _random_key() if key is _NEW_KEY else _check_key("key", key, optional=False)
        # Non-ASCII text takes _check_text's look for surrogates; str.isascii is a flag test.
        if type(name) is not str or "\0" in name or not name.isascii():
            _check_text("name", name, required=True)
        if description is not None and (type(description) is not str or "\0" in description
                                        or not description.isascii()):
            _check_text("description", description, required=False)
        if type(layer) is not Layer:
            layer = coerce_layer(layer)
        if sublayer is not None and type(sublayer) is not uuid.UUID:
            sublayer = _check_key("sublayer", sublayer, optional=True)
        if provider is not None and type(provider) is not uuid.UUID:
            provider = _check_key("provider", provider, optional=True)
        if weight is not None:
            weight = _check_weight(weight)
        if type(action) is not Action:
            coerced = _coerce_action(action)
            if coerced is None:
                raise _invalid("FWP_E_INVALID_ACTION_TYPE", "action", action,
                               "expected a wfp.Action")
            action = coerced
        if type(conditions) is list:
            conditions = tuple(conditions)
        elif type(conditions) is not tuple:
            if isinstance(conditions, (Condition, str, bytes)) or not isinstance(conditions,
                                                                              Iterable):
                raise _invalid("FWP_E_INVALID_PARAMETER", "conditions", conditions,
                               "expected a list of conditions")
            conditions = tuple(conditions)
        if not conditions:
            encoded = ()
        else:
            encoded = _encode_rule_conditions(layer, conditions)
            if encoded is None:
                encoded = tuple(encode_conditions(layer, conditions))
                if not all(type(c) is Condition for c in conditions):
                    conditions = tuple(c if isinstance(c, Condition) else Condition(*c)
                                       for c in conditions)
        if (type(persistent) is not bool or type(boot_time) is not bool or type(hard) is not bool
                or type(permit_if_callout_missing) is not bool or type(disabled) is not bool):
            _check_rule_bools(persistent=persistent, boot_time=boot_time, hard=hard,
                              permit_if_callout_missing=permit_if_callout_missing,
                              disabled=disabled)
        flags = ((_F_PERSISTENT if persistent else 0) | (_F_BOOTTIME if boot_time else 0)
                 | (_F_HARD if hard else 0)
                 | (_F_PERMIT_IF_CALLOUT_MISSING if permit_if_callout_missing else 0))
        if flags:
            _check_rule_flags(persistent, boot_time, permit_if_callout_missing, action)
        if callout is not None and type(callout) is not uuid.UUID:
            callout = _check_key("callout", callout, optional=True)
        if action in _CALLOUT_ACTIONS:
            if callout is None:
                raise _invalid("FWP_E_CALLOUT_NOT_FOUND", "callout", None,
                               f"action {action.name} needs a callout key")
        elif callout is not None:
            raise _invalid("FWP_E_INVALID_PARAMETER", "callout", callout,
                           f"action {action.name} takes no callout")
        if data is not None and (type(data) is not bytes or not data):
            data = _check_data("data", data)
        if id is not None and type(id) is not int:
            raise _invalid("FWP_E_INVALID_PARAMETER", "id", id, "expected an int")
        # No filter tuple is kept: the binding composes the filter from the fields.  The
        # encoded conditions are kept packed, one bytes object, when all are of fixed size.
        _RULE_FACTORY.fill(self, (
            layer, action, key, name, description, sublayer, weight, provider, persistent,
            boot_time, hard, permit_if_callout_missing, disabled, callout, data, id,
            effective_weight, None, _core.pack_wire_conditions(encoded), conditions))

    def __getattr__(self, name: str) -> Any:
        # Only reached for an empty slot.  A rule the binding reads back from the engine leaves
        # ``conditions`` empty until first read.
        if name == "conditions":
            wires = self._conditions_wire
            if wires is None:
                wires = self._wire[8]
            if type(wires) is bytes:  # packed by the binding as it read the filter
                wires = _core.unpack_conditions(wires)
            conditions = _decode_conditions(self.layer, wires)
            _set(self, "conditions", conditions)
            return conditions
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _filter_tuple(self) -> tuple:
        """The rule as the binding's filter tuple (built from the fields unless the binding
        set ``_wire``), its conditions in the wire form the rule keeps."""
        wire = self._wire
        if wire is not None:
            return wire
        flags = ((_F_PERSISTENT if self.persistent else 0) | (_F_BOOTTIME if self.boot_time else 0)
                 | (_F_HARD if self.hard else 0)
                 | (_F_PERMIT_IF_CALLOUT_MISSING if self.permit_if_callout_missing else 0)
                 | (_F_DISABLED if self.disabled else 0))
        layer = self.layer
        return (self.key, self.name, self.description, flags, self.provider,
                layer._value_ if type(layer) is Layer else layer, self.sublayer,
                _weight_to_wire(self.weight), self._conditions_wire, int(self.action),
                self.callout, 0, None, self.data)

    def _to_wire(self) -> tuple:
        if self.disabled:
            raise _invalid("FWP_E_INVALID_FLAGS", "disabled", True,
                           "DISABLED is set by the engine and cannot be added")
        return self._filter_tuple()

    @classmethod
    def _from_wire(cls, wire: tuple) -> "Rule":
        """A rule from a filter tuple read back from the engine, trusted as valid."""
        return RuleDecoder().decode(wire)


def _check_rule_bools(**flags: Any) -> None:
    for flag_name, value in flags.items():
        if type(value) is not bool:
            raise _invalid("FWP_E_INVALID_PARAMETER", flag_name, value, "expected True or False")


def _check_rule_flags(persistent: bool, boot_time: bool, permit_if_callout_missing: bool,
                      action: Any) -> None:
    if persistent and boot_time:
        raise _invalid("FWP_E_INVALID_FLAGS", "boot_time", True,
                       "a rule cannot be both persistent and boot-time")
    if permit_if_callout_missing and action not in _CALLOUT_MISSING_ACTIONS:
        raise _invalid("FWP_E_INVALID_FLAGS", "permit_if_callout_missing", True,
                       "only with CALLOUT_TERMINATING or CALLOUT_UNKNOWN")


def _decode_conditions(layer: Any, wires: tuple) -> Tuple[Condition, ...]:
    return tuple([decode_condition(layer, wire) for wire in wires])


def _layer_or_key(key: uuid.UUID) -> Any:
    """The Layer member of a layer key, or the key itself for a layer newer than our tables."""
    try:
        return coerce_layer(key)
    except ValidationError:
        return key


# What the binding needs to build Rules straight from the engine's structs (Session.rules()).
_RULE_FACTORY = _core.RuleFactory(Rule, _layer_or_key, dict(_ACTION_BY_VALUE),
                                  tuple(WeightRange(n) for n in range(_MAX_WEIGHT_RANGE + 1)))


class RuleDecoder:
    """Turns filter tuples read back from the engine into Rules, trusted as valid.

    One decoder serves one enumeration: layers that repeat across its rules are converted once
    (the binding already hands out one UUID object per GUID).  Conditions are decoded when a
    rule's ``conditions`` are first read.
    """

    __slots__ = ("_layers",)

    def __init__(self) -> None:
        self._layers: dict = {}

    def _layer(self, key: uuid.UUID) -> Any:
        # By identity: the binding hands out one UUID object per GUID in an enumeration, and
        # hashing a UUID runs Python code.  The key is kept with the entry so its id stays unique.
        entry = self._layers.get(id(key))
        if entry is None:
            entry = self._layers[id(key)] = (_layer_or_key(key), key)
        return entry[0]

    def decode(self, wire: tuple) -> Rule:
        (key, name, description, flags, provider, layer_key, sublayer, weight, _conditions,
         action_type, action_key, _raw_context, _context_key, data, filter_id,
         effective_weight) = wire
        layer = self._layer(layer_key)
        action: Any = _ACTION_BY_VALUE.get(action_type, action_type)
        rule = object.__new__(Rule)
        setattr_ = object.__setattr__
        setattr_(rule, "layer", layer)
        setattr_(rule, "action", action)
        setattr_(rule, "key", key)
        setattr_(rule, "name", name or "")
        setattr_(rule, "description", description)
        setattr_(rule, "sublayer", None if sublayer.int == 0 else sublayer)
        setattr_(rule, "weight", _weight_from_wire(weight))
        setattr_(rule, "provider", provider)
        setattr_(rule, "persistent", bool(flags & _core.FILTER_FLAG_PERSISTENT))
        setattr_(rule, "boot_time", bool(flags & _core.FILTER_FLAG_BOOTTIME))
        setattr_(rule, "hard", bool(flags & _core.FILTER_FLAG_CLEAR_ACTION_RIGHT))
        setattr_(rule, "permit_if_callout_missing",
                 bool(flags & _core.FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED))
        setattr_(rule, "disabled", bool(flags & _core.FILTER_FLAG_DISABLED))
        setattr_(rule, "callout", action_key if action_type & _core.ACTION_FLAG_CALLOUT else None)
        setattr_(rule, "data", data)
        setattr_(rule, "id", filter_id)
        setattr_(rule, "effective_weight", effective_weight)
        if _fields_say_all(wire):  # composed from the fields, as a Rule made by hand is
            setattr_(rule, "_wire", None)
            setattr_(rule, "_conditions_wire", _conditions)
        else:
            setattr_(rule, "_wire", wire[:14])
            setattr_(rule, "_conditions_wire", None)
        return rule


_RULE_FLAGS = _F_PERSISTENT | _F_BOOTTIME | _F_HARD | _F_PERMIT_IF_CALLOUT_MISSING | _F_DISABLED


def _fields_say_all(wire: tuple) -> bool:
    """Whether a filter tuple is what its Rule's fields give back (Rule._filter_tuple): the
    binding's wire_follows_from_fields, for a tuple made in Python."""
    (_key, name, _description, flags, _provider, _layer, sublayer, weight, _conditions,
     action_type, action_key, raw_context, context_key, _data) = wire[:14]
    if (flags & ~_RULE_FLAGS or name is None or sublayer is None or sublayer.int == 0
            or raw_context != 0 or context_key is not None):
        return False
    if action_key is not None and not action_type & _core.ACTION_FLAG_CALLOUT:
        return False
    return _weight_to_wire(_weight_from_wire(weight)) == weight


_FIELD_BY_KEY = {member.value: member for member in Field}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldInfo:
    """A condition field available at a layer, with its run-time data type there."""

    field: Union[Field, uuid.UUID]
    data_type: int
    field_type: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerInfo:
    """A filtering layer as the engine reports it (FWPM_LAYER0)."""

    layer: Union[Layer, uuid.UUID]
    name: str
    id: int
    flags: int
    default_sublayer: uuid.UUID
    fields: Tuple[FieldInfo, ...]

    @property
    def key(self) -> uuid.UUID:
        """The layer's GUID."""
        return self.layer.value if isinstance(self.layer, Layer) else self.layer

    @classmethod
    def _from_wire(cls, wire: tuple) -> "LayerInfo":
        key, display_name, _description, flags, layer_id, default_sublayer, fields = wire
        try:
            layer: Any = coerce_layer(key)
            name = layer.name
        except ValidationError:
            layer, name = key, display_name or str(key)
        by_key = _FIELD_BY_KEY
        return cls(layer=layer, name=name, id=layer_id, flags=flags,
                   default_sublayer=default_sublayer,
                   fields=tuple(FieldInfo(field=by_key.get(field_key, field_key),
                                          data_type=data_type, field_type=field_type)
                                for field_key, field_type, data_type in fields))
