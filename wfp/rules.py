"""The object model: immutable value types for providers, sublayers, rules (filters) and layers.

Every type is a frozen, keyword-only dataclass that validates itself at construction, so a bad
value is reported (as :class:`wfp.ValidationError`, naming the field, the value and the FWP_E_*
code that describes it) where it was written, long before anything reaches the engine.  A
missing ``key`` gets a random UUID.  Objects read back from the engine are the same types; rules
read back also carry ``id`` and ``effective_weight``, which take no part in equality, so a rule
read back equals the rule that was added.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple, Union

from wfp import _core, _ids
from wfp.errors import ValidationError
from wfp.fields import Condition, Field, Layer, coerce_layer, decode_condition, encode_conditions

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
    if value is None:
        if required:
            raise _invalid("FWP_E_NULL_DISPLAY_NAME", field_name, value, "a name is required")
        return None
    if not isinstance(value, str):
        raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "expected a str")
    if "\0" in value:
        raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value,
                       "contains an embedded NUL character")
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
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if len(data) > 0xFFFFFFFF:
            raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "larger than 4 GiB")
        return data
    raise _invalid("FWP_E_INVALID_PARAMETER", field_name, value, "expected bytes")


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


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
        return cls(key=key, name=name or "", description=description,
                   persistent=bool(flags & _core.PROVIDER_FLAG_PERSISTENT), data=data,
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
        return cls(key=key, name=name or "", description=description, weight=weight,
                   provider=provider, persistent=bool(flags & _core.SUBLAYER_FLAG_PERSISTENT),
                   data=data)


_CALLOUT_MISSING_ACTIONS = (Action.CALLOUT_TERMINATING, Action.CALLOUT_UNKNOWN)
_FLAG_OF = (
    ("persistent", _core.FILTER_FLAG_PERSISTENT),
    ("boot_time", _core.FILTER_FLAG_BOOTTIME),
    ("hard", _core.FILTER_FLAG_CLEAR_ACTION_RIGHT),
    ("permit_if_callout_missing", _core.FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A rule (FWPM_FILTER0) at one layer.

    ``conditions`` are ANDed across fields and ORed within one field.  ``weight`` is None
    (automatic), an exact int, or a :class:`WeightRange`.  ``hard`` clears the action right, so
    a lower sublayer cannot override the decision.  ``disabled``, ``id`` and
    ``effective_weight`` are filled in by the engine on rules read back.
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
    # The filter tuple for wfp._core, built once when the rule is made.
    _wire: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Rules are made by the hundred thousand: common cases take the fast path first.
        setattr_ = object.__setattr__
        key = self.key if type(self.key) is uuid.UUID else _check_key("key", self.key, optional=False)
        setattr_(self, "key", key)
        _check_text("name", self.name, required=True)
        _check_text("description", self.description, required=False)
        layer = coerce_layer(self.layer)
        setattr_(self, "layer", layer)
        sublayer = self.sublayer
        if sublayer is not None and type(sublayer) is not uuid.UUID:
            sublayer = _check_key("sublayer", sublayer, optional=True)
            setattr_(self, "sublayer", sublayer)
        provider = self.provider
        if provider is not None and type(provider) is not uuid.UUID:
            provider = _check_key("provider", provider, optional=True)
            setattr_(self, "provider", provider)
        weight = _check_weight(self.weight)
        action = _coerce_action(self.action)
        if action is None:
            raise _invalid("FWP_E_INVALID_ACTION_TYPE", "action", self.action,
                           "expected a wfp.Action")
        setattr_(self, "action", action)
        conditions = self.conditions
        if type(conditions) is not tuple:
            if isinstance(conditions, (Condition, str, bytes)) or not isinstance(conditions,
                                                                              Iterable):
                raise _invalid("FWP_E_INVALID_PARAMETER", "conditions", conditions,
                               "expected a list of conditions")
            conditions = tuple(conditions)
        encoded = tuple(encode_conditions(layer, conditions)) if conditions else ()
        if not all(type(c) is Condition for c in conditions):
            conditions = tuple(c if isinstance(c, Condition) else Condition(*c) for c in conditions)
        setattr_(self, "conditions", conditions)
        flags = 0
        for name, flag in _FLAG_OF:
            value = getattr(self, name)
            if type(value) is not bool:
                raise _invalid("FWP_E_INVALID_PARAMETER", name, value, "expected True or False")
            if value:
                flags |= flag
        if type(self.disabled) is not bool:
            raise _invalid("FWP_E_INVALID_PARAMETER", "disabled", self.disabled,
                           "expected True or False")
        if flags:
            self._check_flags(action)
        callout = _check_key("callout", self.callout, optional=True)
        if action.is_callout and callout is None:
            raise _invalid("FWP_E_CALLOUT_NOT_FOUND", "callout", None,
                           f"action {action.name} needs a callout key")
        if not action.is_callout and callout is not None:
            raise _invalid("FWP_E_INVALID_PARAMETER", "callout", callout,
                           f"action {action.name} takes no callout")
        setattr_(self, "callout", callout)
        data = self.data
        if data is not None and type(data) is not bytes:
            setattr_(self, "data", _check_data("data", data))
        if self.id is not None and (type(self.id) is not int):
            raise _invalid("FWP_E_INVALID_PARAMETER", "id", self.id, "expected an int")
        setattr_(self, "_wire", (
            key, self.name, self.description, flags, provider, layer.value, sublayer,
            _weight_to_wire(weight), encoded, int(action), callout, 0, None, self.data,
        ))

    def __getattr__(self, name: str) -> Any:
        # Only reached for an empty slot: a rule read back from the engine leaves ``conditions``
        # empty until it is first read, and decodes them then from its wire form.
        if name == "conditions":
            conditions = _decode_conditions(self.layer, self._wire[8])
            object.__setattr__(self, "conditions", conditions)
            return conditions
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_flags(self, action: Action) -> None:
        if self.persistent and self.boot_time:
            raise _invalid("FWP_E_INVALID_FLAGS", "boot_time", True,
                           "a rule cannot be both persistent and boot-time")
        if self.permit_if_callout_missing and action not in _CALLOUT_MISSING_ACTIONS:
            raise _invalid("FWP_E_INVALID_FLAGS", "permit_if_callout_missing", True,
                           "only with CALLOUT_TERMINATING or CALLOUT_UNKNOWN")

    def _to_wire(self) -> tuple:
        if self.disabled:
            raise _invalid("FWP_E_INVALID_FLAGS", "disabled", True,
                           "DISABLED is set by the engine and cannot be added")
        return self._wire

    @classmethod
    def _from_wire(cls, wire: tuple) -> "Rule":
        """A rule from a filter tuple read back from the engine, trusted as valid."""
        return RuleDecoder().decode(wire)


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
        setattr_(rule, "_wire", wire[:14])
        return rule


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
