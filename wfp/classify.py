"""What-if classification: would this traffic be permitted, and which rule decides?

The embedded engine runs the filter engine's arbitration on a set of field values at one layer
(:meth:`wfp.Session.classify`), on many rows at once (:meth:`wfp.Session.classify_many`), or on
every layer a TCP or UDP connection crosses (:meth:`wfp.Session.classify_connection`):

* within a sublayer, matching rules are taken by effective weight (highest first; ties by rule
  id) and the first Permit or Block decides the sublayer; callouts may Continue;
* across sublayers (highest weight first) a soft decision is replaced by the next sublayer that
  decides, a hard one (``Rule(hard=True)``, any static Block) stands, and only a callout's Block
  can veto a hard Permit;
* a callout with no model attached acts as a Block, or as a Permit with
  ``permit_if_callout_missing=True``; an inspection callout with no model is skipped;
* when nothing decides, the traffic is permitted (``Decision.rule is None``).

Values are given per field in the field's run-time form: ``int`` for integers (ports, protocol,
flags, interface LUIDs), an ``ipaddress`` address or string for addresses, ``bytes`` for app ids
(:func:`wfp.app_id`), ``str`` for strings, ``uuid.UUID`` for GUID fields, and for user fields
(ALE_USER_ID, ...) the user's SIDs (a SID string, a list of them, or a :class:`Token`), against
which security-descriptor conditions are decided.  A field left out is unknown (FWP_EMPTY):
only an EQUAL-to-empty condition matches it.

A callout model is attached per callout key (:meth:`wfp.Session.register_callout`, or the
``callouts=`` argument of one call): a fixed answer (:class:`CalloutAction`, ``wfp.Action.PERMIT``
/ ``BLOCK``, or a :class:`CalloutVerdict`) or a callable taking a :class:`CalloutCall` and
returning one of those.  A model runs without the engine's lock: it may read the engine; if it
changes rules (which only its own session's transaction can do meanwhile; other writers wait),
the classify starts over and asks again.
"""

from __future__ import annotations

import enum
import ipaddress
from collections import abc
import uuid
import weakref
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime, timedelta, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from wfp import _core
from wfp import security
from wfp.errors import FilterNotFound, ValidationError, WFPError, error_from_code
from wfp.fields import (
    DataType,
    Field,
    FieldType,
    Layer,
    _STAND_INS,
    _encode_scalar,
    coerce_field,
    coerce_layer,
)
from wfp.rules import Action, Rule

if TYPE_CHECKING:
    from wfp.session import Session

__all__ = [
    "Decision",
    "SublayerTrace",
    "Step",
    "Outcome",
    "Effect",
    "Token",
    "CalloutAction",
    "CalloutVerdict",
    "CalloutCall",
    "CalloutModel",
    "ConnectionDecision",
    "NetEvent",
    "classify",
    "classify_many",
    "classify_connection",
    "events",
    "register_callout",
    "unregister_callout",
    "encode_values",
]

FWP_E_CONDITION_NOT_FOUND = 0x80320002
FWP_E_TYPE_MISMATCH = 0x80320027
FWP_E_INVALID_PARAMETER = 0x80320035
WFPKIT_E_UNSUPPORTED = 0xE0320005
SE_GROUP_ENABLED = 0x4
SE_GROUP_USE_FOR_DENY_ONLY = 0x10
_NULL_UUID = uuid.UUID(int=0)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class Outcome(enum.IntEnum):
    """What one matching rule did in its sublayer."""

    PERMIT = 1  #: ended its sublayer with Permit
    BLOCK = 2  #: ended its sublayer with Block
    CONTINUE = 3  #: a callout answered Continue
    SKIPPED = 4  #: an inspection callout without a model
    IGNORED = 5  #: a callout answered Permit without the right to write an action
    NOT_EVALUATED = 6  #: matched, but a heavier rule of its sublayer had already decided


class Effect(enum.IntEnum):
    """What a sublayer's result did to the decision."""

    ABSTAINED = 0  #: nothing in it decided
    DECIDED = 1  #: its result became the decision (a lower sublayer may still replace a soft one)
    OVERRULED = 2  #: a heavier sublayer's hard decision stood
    VETOED = 3  #: a callout blocked a hard permit


_STEP_CALLOUT, _STEP_UNREGISTERED, _STEP_HARD, _STEP_TIE = 0x1, 0x2, 0x4, 0x8


class _Names:
    """Rule and sublayer lookups for one decision, made when first needed and kept."""

    __slots__ = ("session", "rules", "sublayers")

    def __init__(self, session: Optional["Session"]) -> None:
        self.session = session
        self.rules: Dict[uuid.UUID, Optional[Rule]] = {}
        self.sublayers: Dict[uuid.UUID, Optional[str]] = {}

    def rule(self, key: uuid.UUID) -> Optional[Rule]:
        if key not in self.rules:
            found: Optional[Rule] = None
            if self.session is not None and not self.session.closed:
                try:
                    found = self.session.rule(key)
                except FilterNotFound:
                    found = None  # deleted since the classify
            self.rules[key] = found
        return self.rules[key]

    def sublayer_name(self, key: uuid.UUID) -> Optional[str]:
        if key not in self.sublayers:
            name = None
            if self.session is not None and not self.session.closed:
                try:
                    name = self.session.sublayer(key).name
                except WFPError:
                    name = None
            self.sublayers[key] = name
        return self.sublayers[key]


@dataclass(frozen=True)
class Step:
    """One matching rule in a sublayer's trace, in the order arbitration took them."""

    rule_key: uuid.UUID
    rule_id: int
    effective_weight: int
    outcome: Outcome
    callout: bool = False
    unregistered: bool = False  #: a callout without a model (treated as §1.3 says)
    hard: bool = False  #: its Permit/Block clears the write right
    tie: bool = False  #: same weight as the rule before it; this engine orders them by id
    _names: Optional[_Names] = dataclass_field(default=None, compare=False, repr=False)

    @property
    def rule(self) -> Optional[Rule]:
        """The rule, read from the engine when first asked (None if deleted since)."""
        return self._names.rule(self.rule_key) if self._names is not None else None


@dataclass(frozen=True)
class SublayerTrace:
    """One sublayer's part in a decision."""

    sublayer: uuid.UUID
    weight: int
    action: Optional[Action]  #: PERMIT, BLOCK, or None when nothing in it decided
    hard: bool
    effect: Effect
    rule_id: Optional[int]  #: the rule that ended the sublayer
    steps: Tuple[Step, ...]

    @property
    def decided_by(self) -> Optional[Step]:
        """The step that ended this sublayer, if any."""
        for step in self.steps:
            if step.outcome in (Outcome.PERMIT, Outcome.BLOCK):
                return step
        return None


_ACTIONS = {int(Action.PERMIT): Action.PERMIT, int(Action.BLOCK): Action.BLOCK}


def _uuid_of(raw: bytes) -> uuid.UUID:
    return uuid.UUID(bytes=raw)

_EFFECTS = {int(e): e for e in Effect}
_OUTCOMES = {int(o): o for o in Outcome}


class Decision:
    """The outcome of classifying values at one layer.

    ``action`` is :attr:`wfp.Action.PERMIT` or :attr:`wfp.Action.BLOCK`; ``rule`` the deciding
    rule (None when nothing decided: permitted by default); ``sublayer`` the key of its sublayer;
    ``hard`` whether the decision was final for lower sublayers; ``vetoed`` whether a callout
    blocked a hard permit; ``trace`` the sublayers that have rules at the layer, in arbitration
    order, with the rules that matched in each.  ``str(decision)`` explains it.
    """

    __slots__ = ("layer", "action", "decided", "rule_id", "hard", "vetoed", "trace_truncated",
                 "_rule_key", "_sublayer", "_names", "_trace_wire", "_trace")

    def __init__(self, layer: Layer, wire: tuple, names: _Names) -> None:
        (action, decided, rule_id, rule_key, sublayer, hard, vetoed, truncated, sublayers) = wire
        self.layer = layer
        self.action = _ACTIONS[action]
        self.decided = decided
        self.rule_id: Optional[int] = rule_id
        self._rule_key = rule_key  # 16 bytes until asked for
        self._sublayer = sublayer
        self.hard = hard
        self.vetoed = vetoed
        self.trace_truncated = truncated
        self._names = names
        self._trace_wire = sublayers
        self._trace: Optional[Tuple[SublayerTrace, ...]] = None

    @property
    def rule_key(self) -> Optional[uuid.UUID]:
        """The deciding rule's key, None when no rule decided."""
        raw = self._rule_key
        return _uuid_of(raw) if raw is not None else None

    @property
    def sublayer(self) -> Optional[uuid.UUID]:
        """The key of the deciding rule's sublayer, None when no rule decided."""
        raw = self._sublayer
        return _uuid_of(raw) if raw is not None else None

    @property
    def trace(self) -> Tuple[SublayerTrace, ...]:
        """The sublayers in arbitration order, each with the rules that matched in it (empty
        when classify was asked for no trace).  Built when first read."""
        if self._trace is None:
            names = self._names
            self._trace = tuple(
                SublayerTrace(
                    sublayer=_uuid_of(key),
                    weight=weight,
                    action=_ACTIONS.get(s_action),
                    hard=s_hard,
                    effect=_EFFECTS[effect],
                    rule_id=s_rule or None,
                    steps=tuple(
                        Step(
                            rule_key=_uuid_of(f_key),
                            rule_id=f_id,
                            effective_weight=weight_value,
                            outcome=_OUTCOMES[outcome],
                            callout=bool(flags & _STEP_CALLOUT),
                            unregistered=bool(flags & _STEP_UNREGISTERED),
                            hard=bool(flags & _STEP_HARD),
                            tie=bool(flags & _STEP_TIE),
                            _names=names,
                        )
                        for f_key, f_id, weight_value, outcome, flags in steps
                    ),
                )
                for key, weight, s_action, s_hard, effect, s_rule, steps in self._trace_wire
            )
        return self._trace

    @property
    def permitted(self) -> bool:
        """Whether the traffic is permitted."""
        return self.action == Action.PERMIT

    @property
    def rule(self) -> Optional[Rule]:
        """The deciding rule, read from the engine when first asked; None when no rule decided
        (or it was deleted since)."""
        return self._names.rule(self.rule_key) if self.rule_key is not None else None

    def _key(self) -> tuple:
        return (
            self.layer,
            self.action,
            self.decided,
            self.rule_id,
            self._rule_key,
            self._sublayer,
            self.hard,
            self.vetoed,
            self._trace_wire,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key()[:8])

    def __repr__(self) -> str:
        return (
            f"<Decision {self.action.name} layer={self.layer.name} rule_id={self.rule_id} "
            f"hard={self.hard} vetoed={self.vetoed}>"
        )

    def _rule_label(self, key: Optional[uuid.UUID], rule_id: Optional[int]) -> str:
        rule = self._names.rule(key) if key is not None else None
        name = f"{rule.name!r}" if rule is not None else "a deleted rule"
        return f"rule {name} (id {rule_id})"

    def _sublayer_label(self, key: uuid.UUID) -> str:
        name = self._names.sublayer_name(key)
        return f"sublayer {name!r}" if name else f"sublayer {key}"

    def __str__(self) -> str:
        if not self.decided:
            head = f"PERMIT at {self.layer.name}: no rule decided (traffic is permitted by default)"
        else:
            strength = "hard" if self.hard else "soft"
            head = (
                f"{self.action.name} at {self.layer.name} by "
                f"{self._rule_label(self.rule_key, self.rule_id)} in "
                f"{self._sublayer_label(self.sublayer)} ({strength}"
                f"{', vetoed by a callout' if self.vetoed else ''})"
            )
        lines = [head]
        effects = {
            Effect.ABSTAINED: "nothing decided",
            Effect.DECIDED: "decided",
            Effect.OVERRULED: "overruled by a heavier hard decision",
            Effect.VETOED: "vetoed the hard permit",
        }
        for s in self.trace:
            result = s.action.name if s.action is not None else "-"
            lines.append(
                f"  {self._sublayer_label(s.sublayer)} (weight 0x{s.weight:04x}): "
                f"{result}, {effects[s.effect]}"
            )
            for step in s.steps:
                marks = [
                    m
                    for m, on in (
                        ("callout", step.callout),
                        ("no model", step.unregistered),
                        ("hard", step.hard),
                        ("tie on weight", step.tie),
                    )
                    if on
                ]
                extra = f" [{', '.join(marks)}]" if marks else ""
                lines.append(
                    f"    {step.outcome.name:<13} {self._rule_label(step.rule_key, step.rule_id)}"
                    f" weight 0x{step.effective_weight:016x}{extra}"
                )
        if self.trace_truncated:
            lines.append("  (trace truncated)")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A user's token for user fields (ALE_USER_ID, ...): the SIDs a security-descriptor
    condition is checked against.  ``deny_only`` SIDs count only for deny entries;
    ``restricted`` SIDs make a restricted token (both checks must grant)."""

    sids: Tuple[str, ...] = ()
    deny_only: Tuple[str, ...] = ()
    restricted: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("sids", "deny_only", "restricted"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)):
                value = (value,)
            object.__setattr__(self, name, tuple(security.sid_to_string(s) for s in value))

    def _wire(self) -> tuple:
        sids = tuple((security.sid_to_bytes(s), SE_GROUP_ENABLED) for s in self.sids)
        sids += tuple(
            (security.sid_to_bytes(s), SE_GROUP_USE_FOR_DENY_ONLY) for s in self.deny_only
        )
        restricted = tuple((security.sid_to_bytes(s), SE_GROUP_ENABLED) for s in self.restricted)
        return (int(DataType.TOKEN_INFORMATION), (sids, restricted))


class _Where:
    """Names a classify value in errors ("values[IP_REMOTE_PORT]"); shaped like the location
    object wfp.fields' encoders report through."""

    __slots__ = ("prefix", "index", "name", "layer")

    def __init__(self, name: str, layer: Layer) -> None:
        self.prefix = "values"
        self.index = None
        self.name = name
        self.layer = layer

    @property
    def label(self) -> str:
        return f"values[{self.name}]"

    def fail(self, code: int, value: Any, reason: str) -> ValidationError:
        return ValidationError(code, field=self.label, value=value, reason=reason)


_PROTOCOLS = {
    "icmp": 1,
    "igmp": 2,
    "tcp": 6,
    "udp": 17,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "icmpv6": 58,
    "sctp": 132,
}
_DIRECTIONS = {"outbound": 0, "out": 0, "inbound": 1, "in": 1}
# User fields: a token at run time (some layers list the condition type, a security descriptor).
_TOKEN_TYPES = (
    DataType.TOKEN_INFORMATION,
    DataType.TOKEN_ACCESS_INFORMATION,
    DataType.SECURITY_DESCRIPTOR,
)


def _encode_token(where: _Where, value: Any) -> tuple:
    if isinstance(value, Token):
        return value._wire()
    if isinstance(value, (bytes, bytearray)):
        # An opaque TOKEN_ACCESS_INFORMATION: passed on, but no SD condition can be decided on it.
        return (int(DataType.TOKEN_ACCESS_INFORMATION), bytes(value))
    if isinstance(value, str):
        value = (value,)
    try:
        return Token(sids=tuple(value))._wire()
    except (TypeError, ValidationError) as exc:
        raise where.fail(
            FWP_E_TYPE_MISMATCH,
            value,
            "a user field takes the user's SIDs: a SID string, a list of them, or "
            f"a wfp.classify.Token ({exc})",
        ) from None


# (layer name, field name) -> (position in the engine's field table, data type, field type);
# names, because hashing enum members runs Python code and this is on every classify's path.
_FIELD_AT: Dict[Tuple[str, str], Optional[Tuple[int, int, int]]] = {}
_UNSIGNED_LIMIT = {
    int(DataType.UINT8): 1 << 8,
    int(DataType.UINT16): 1 << 16,
    int(DataType.UINT32): 1 << 32,
    int(DataType.UINT64): 1 << 64,
}
_UINT32, _BYTE_ARRAY16, _IP_ADDRESS = (
    int(DataType.UINT32),
    int(DataType.BYTE_ARRAY16),
    int(FieldType.IP_ADDRESS),
)
_EMPTY_WIRE = (int(DataType.EMPTY), None)


def _field_at(layer: Layer, field: Field) -> Optional[Tuple[int, int, int]]:
    """Where the engine keeps ``field`` at ``layer`` and its types, or None if it lacks it."""
    names = (layer._name_, field._name_)
    try:
        return _FIELD_AT[names]
    except KeyError:
        pass
    info = layer.field_info(field)
    found = None
    if info is not None:
        key = field.value if field in layer.fields else _STAND_INS[field].value
        index = _core.classify_field_index(layer.value, key)
        if index is not None:
            found = (index, int(info[0]), int(info[1]))
    _FIELD_AT[names] = found
    return found


def _encode_one(layer: Layer, field: Field, value: Any) -> Tuple[int, tuple]:
    info = _field_at(layer, field)
    if info is None:
        raise ValidationError(
            FWP_E_CONDITION_NOT_FOUND,
            field=f"values[{field._name_}]",
            value=value,
            reason=f"{field._name_} is not a field of layer {layer._name_}",
        )
    index, dt, ft = info
    # The common cases first, without the general encoder.
    kind = type(value)
    if kind is int:
        limit = _UNSIGNED_LIMIT.get(dt)
        if limit is not None and ft != _IP_ADDRESS and 0 <= value < limit:
            return (index, (dt, value))
    elif kind is ipaddress.IPv4Address and dt == _UINT32 and ft == _IP_ADDRESS:
        return (index, (dt, int(value)))
    elif kind is ipaddress.IPv6Address and dt == _BYTE_ARRAY16 and ft == _IP_ADDRESS:
        return (index, (dt, value.packed))
    elif value is None:
        return (index, _EMPTY_WIRE)
    where = _Where(field._name_, layer)
    if dt in _TOKEN_TYPES:
        return (index, _encode_token(where, value))
    if isinstance(value, str) and field is Field.IP_PROTOCOL and value.lower() in _PROTOCOLS:
        value = _PROTOCOLS[value.lower()]
    elif isinstance(value, str) and field is Field.DIRECTION and value.lower() in _DIRECTIONS:
        value = _DIRECTIONS[value.lower()]
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        raise where.fail(
            FWP_E_TYPE_MISMATCH, value, "a classify value is one address, not a network"
        )
    wire = _encode_scalar(where, field._name_, DataType(dt), FieldType(ft), value, False)
    return (index, (int(wire[0]), wire[1]))


def _field_of(raw_field: Any) -> Field:
    if type(raw_field) is Field:
        return raw_field
    return coerce_field(raw_field, name=f"values[{raw_field!r}]")


def encode_values(layer: Any, values: Mapping[Any, Any]) -> List[Tuple[int, tuple]]:
    """Validate and encode classify values for ``layer``: ``[(field, (data_type, payload))]`` with
    the field as its position in the engine's table for the layer.

    Raises :class:`wfp.ValidationError` naming the field: CONDITION_NOT_FOUND for a field the
    layer does not have (or an unknown name), TYPE_MISMATCH / OUT_OF_BOUNDS for a bad value.
    """
    layer = coerce_layer(layer)
    if type(values) is not dict and not isinstance(values, abc.Mapping):
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field="values",
            value=values,
            reason="expected a mapping of fields to values",
        )
    out = []
    seen = set()
    for raw_field, value in values.items():
        field = _field_of(raw_field)
        name = field._name_
        if name in seen:
            raise ValidationError(
                FWP_E_INVALID_PARAMETER,
                field=f"values[{name}]",
                value=value,
                reason="the field is given twice (an alias names the same field)",
            )
        seen.add(name)
        out.append(_encode_one(layer, field, value))
    return out


def _normalized_values(layer: Layer, values: Mapping[Any, Any]) -> Dict[Field, Any]:
    return {coerce_field(k): v for k, v in values.items()}


# --------------------------------------------------------------------------------------------
# Callout models
# --------------------------------------------------------------------------------------------


class CalloutAction(enum.IntEnum):
    """What a callout model answers."""

    PERMIT = _core.ACTION_PERMIT
    BLOCK = _core.ACTION_BLOCK
    CONTINUE = _core.ACTION_CONTINUE


@dataclass(frozen=True)
class CalloutVerdict:
    """A callout's answer with its rights: ``hard=None`` does what the WDK sample does (a Block
    clears the write right; a Permit only when the rule is ``hard``), True clears it, False
    leaves it (a soft Block that a lower sublayer may turn into a Permit)."""

    action: CalloutAction
    hard: Optional[bool] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", _callout_action(self.action))
        if self.hard is not None and not isinstance(self.hard, bool):
            raise ValidationError(
                FWP_E_INVALID_PARAMETER,
                field="hard",
                value=self.hard,
                reason="expected None, True or False",
            )


@dataclass(frozen=True)
class CalloutCall:
    """What a callable callout model is asked about."""

    callout: uuid.UUID
    rule_id: int
    layer: Layer
    action: Action  #: the rule's callout action (TERMINATING, INSPECTION or UNKNOWN)
    hard: bool  #: the rule has ``hard=True`` (CLEAR_ACTION_RIGHT)
    may_write: (
        bool  #: False when a heavier sublayer's hard decision stands (only a Block, a veto, counts)
    )
    values: Mapping[Field, Any]
    row: int = 0


CalloutModel = Union[CalloutAction, Action, CalloutVerdict, Callable[[CalloutCall], Any]]


def _callout_action(value: Any) -> CalloutAction:
    if isinstance(value, str):
        try:
            return CalloutAction[value.upper()]
        except KeyError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            return CalloutAction(int(value))
        except ValueError:
            pass
    raise ValidationError(
        FWP_E_INVALID_PARAMETER,
        field="callout answer",
        value=value,
        reason="expected CalloutAction.PERMIT/BLOCK/CONTINUE, wfp.Action.PERMIT/BLOCK "
        "or a CalloutVerdict",
    )


def _verdict_wire(answer: Any) -> Tuple[int, int]:
    verdict = (
        answer if isinstance(answer, CalloutVerdict) else CalloutVerdict(_callout_action(answer))
    )
    if verdict.hard is None:
        rights = _core.CALLOUT_RIGHTS_DEFAULT
    else:
        rights = 0 if verdict.hard else _core.RIGHT_ACTION_WRITE
    return (int(verdict.action), rights)


_registries: "weakref.WeakKeyDictionary[Any, Dict[uuid.UUID, CalloutModel]]" = (
    weakref.WeakKeyDictionary()
)


def _callout_key(callout: Any) -> uuid.UUID:
    if isinstance(callout, uuid.UUID):
        return callout
    if isinstance(callout, str):
        try:
            return uuid.UUID(callout)
        except ValueError:
            pass
    raise ValidationError(
        FWP_E_INVALID_PARAMETER, field="callout", value=callout, reason="a callout key is a UUID"
    )


def _check_model(model: Any) -> CalloutModel:
    if callable(model) and not isinstance(model, (enum.Enum, CalloutVerdict)):
        return model
    _verdict_wire(model)
    return model


def register_callout(session: "Session", callout: Any, model: CalloutModel) -> None:
    """Attach a callout model to ``callout`` for classifies through ``session``."""
    _registries.setdefault(session, {})[_callout_key(callout)] = _check_model(model)


def unregister_callout(session: "Session", callout: Any) -> None:
    """Detach the model: the callout acts as unregistered again."""
    _registries.get(session, {}).pop(_callout_key(callout), None)


def _bridge(
    session: "Session",
    layer: Layer,
    callouts: Optional[Mapping[Any, CalloutModel]],
    rows: Sequence[Mapping[Any, Any]],
) -> Optional[Any]:
    if not callouts and (not _registries or session not in _registries):
        return None
    models: Dict[uuid.UUID, CalloutModel] = dict(_registries.get(session, {}))
    for key, model in (callouts or {}).items():
        models[_callout_key(key)] = _check_model(model)
    if not models:
        return None
    table = []
    callables: List[Callable[[CalloutCall], Any]] = []
    for key, model in models.items():
        if callable(model) and not isinstance(model, (enum.Enum, CalloutVerdict)):
            table.append((key, None))
        else:
            table.append((key, _verdict_wire(model)))
        callables.append(model)  # type: ignore[arg-type]
    normalized: Dict[int, Mapping[Field, Any]] = {}

    def dispatch(
        index: int,
        key: uuid.UUID,
        rule_id: int,
        action_type: int,
        flags: int,
        rights: int,
        row: int,
    ) -> Tuple[int, int]:
        if row not in normalized:
            normalized[row] = _normalized_values(layer, rows[row])
        call = CalloutCall(
            callout=key,
            rule_id=rule_id,
            layer=layer,
            action=Action(action_type),
            hard=bool(flags & _core.FILTER_FLAG_CLEAR_ACTION_RIGHT),
            may_write=bool(rights & _core.RIGHT_ACTION_WRITE),
            values=normalized[row],
            row=row,
        )
        return _verdict_wire(callables[index](call))

    return _core.CalloutBridge(table, dispatch)


# --------------------------------------------------------------------------------------------
# classify
# --------------------------------------------------------------------------------------------

_RECORD = {
    "drops": _core.CLASSIFY_RECORD_DROPS,
    "all": _core.CLASSIFY_RECORD_DROPS | _core.CLASSIFY_RECORD_ALLOWS,
    "none": 0,
}


def _flags(trace: bool, record: str, boot_time: bool) -> int:
    if record not in _RECORD:
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field="record",
            value=record,
            reason="expected 'drops', 'all' or 'none'",
        )
    flags = _RECORD[record]
    if trace:
        flags |= _core.CLASSIFY_TRACE
    if boot_time:
        flags |= _core.CLASSIFY_BOOT_TIME
    return flags


def _run(
    session: "Session",
    layer: Layer,
    rows: List[Mapping[Any, Any]],
    encoded: list,
    flags: int,
    callouts: Optional[Mapping[Any, CalloutModel]],
) -> List[tuple]:
    session._check_open("WfpSimClassify")
    if session.backend != "sim":
        raise error_from_code(
            WFPKIT_E_UNSUPPORTED,
            "WfpSimClassify",
            "classify needs the embedded engine: export() this session and "
            "load the snapshot into a wfp.SimEngine",
        )
    bridge = _bridge(session, layer, callouts, rows)
    try:
        return _core.classify_rows(session._core, layer.value, encoded, flags, bridge)
    except _core.CoreError as error:
        detail = None
        value_index = getattr(error, "value_index", None)
        row = error.index or 0
        if value_index is not None and row < len(rows) and value_index < len(encoded[row]):
            detail = f"values[{_field_of(list(rows[row])[value_index])._name_}]"
        raise error_from_code(error.code, error.call, detail) from None


def classify(
    session: "Session",
    layer: Any,
    values: Mapping[Any, Any],
    *,
    trace: bool = True,
    callouts: Optional[Mapping[Any, CalloutModel]] = None,
    record: str = "drops",
    boot_time: bool = False,
) -> Decision:
    """See :meth:`wfp.Session.classify`."""
    layer = coerce_layer(layer)
    encoded = encode_values(layer, values)
    wire = _run(session, layer, [values], [encoded], _flags(trace, record, boot_time), callouts)[0]
    return Decision(layer, wire, _Names(session))


def classify_many(
    session: "Session",
    layer: Any,
    rows: Iterable[Mapping[Any, Any]],
    *,
    trace: bool = False,
    callouts: Optional[Mapping[Any, CalloutModel]] = None,
    record: str = "drops",
    boot_time: bool = False,
) -> List[Decision]:
    """See :meth:`wfp.Session.classify_many`."""
    layer = coerce_layer(layer)
    rows = list(rows)
    encoded = []
    for i, row in enumerate(rows):
        try:
            encoded.append(encode_values(layer, row))
        except ValidationError as exc:
            raise ValidationError(
                exc.code, field=f"rows[{i}] {exc.field}", value=exc.value, reason=exc.reason
            ) from None
    if not rows:
        return []
    wires = _run(session, layer, rows, encoded, _flags(trace, record, boot_time), callouts)
    names = _Names(session)
    return [Decision(layer, wire, names) for wire in wires]


# --------------------------------------------------------------------------------------------
# A whole connection (reference §1.8)
# --------------------------------------------------------------------------------------------

_TCP, _UDP = 6, 17
_WALKS = {
    ("outbound", _TCP): (
        "ALE_BIND_REDIRECT",
        "ALE_RESOURCE_ASSIGNMENT",
        "ALE_CONNECT_REDIRECT",
        "ALE_AUTH_CONNECT",
        "OUTBOUND_TRANSPORT",
        "OUTBOUND_IPPACKET",
        "INBOUND_IPPACKET",
        "INBOUND_TRANSPORT",
        "ALE_FLOW_ESTABLISHED",
    ),
    ("inbound", _TCP): (
        "ALE_BIND_REDIRECT",
        "ALE_RESOURCE_ASSIGNMENT",
        "ALE_AUTH_LISTEN",
        "INBOUND_IPPACKET",
        "INBOUND_TRANSPORT",
        "ALE_AUTH_RECV_ACCEPT",
        "ALE_FLOW_ESTABLISHED",
    ),
    ("outbound", _UDP): (
        "ALE_BIND_REDIRECT",
        "ALE_RESOURCE_ASSIGNMENT",
        "ALE_CONNECT_REDIRECT",
        "ALE_AUTH_CONNECT",
        "ALE_FLOW_ESTABLISHED",
        "DATAGRAM_DATA",
        "OUTBOUND_TRANSPORT",
        "OUTBOUND_IPPACKET",
    ),
    ("inbound", _UDP): (
        "INBOUND_IPPACKET",
        "INBOUND_TRANSPORT",
        "ALE_AUTH_RECV_ACCEPT",
        "ALE_FLOW_ESTABLISHED",
        "DATAGRAM_DATA",
    ),
}
_REMOTE_FIELDS = {Field.IP_REMOTE_ADDRESS, Field.IP_REMOTE_PORT}


@dataclass(frozen=True)
class ConnectionDecision:
    """The decisions of every layer a connection crosses, in the order it crosses them.

    ``action`` is BLOCK when any layer blocks; ``layer`` and ``decision`` then name the first
    that does (else they are None and the connection is permitted).
    """

    action: Action
    layer: Optional[Layer]
    decision: Optional[Decision]
    decisions: Tuple[Tuple[Layer, Decision], ...]

    @property
    def permitted(self) -> bool:
        """Whether every layer permits the connection."""
        return self.action == Action.PERMIT

    def __str__(self) -> str:
        if self.decision is None:
            head = f"PERMIT: all {len(self.decisions)} layers permit the connection"
        else:
            head = f"BLOCK at {self.layer.name}:\n" + "\n".join(
                "  " + line for line in str(self.decision).splitlines()
            )
        walk = ", ".join(f"{layer.name} {d.action.name}" for layer, d in self.decisions)
        return f"{head}\n  layers: {walk}"


def _endpoint(label: str, endpoint: Any) -> Tuple[Any, Optional[int]]:
    if isinstance(endpoint, tuple) and len(endpoint) == 2:
        address, port = endpoint
    else:
        address, port = endpoint, None
    try:
        address = ipaddress.ip_address(address.strip() if isinstance(address, str) else address)
    except ValueError:
        raise ValidationError(
            FWP_E_TYPE_MISMATCH,
            field=label,
            value=endpoint,
            reason="expected an IP address or (address, port)",
        ) from None
    if port is not None and (
        not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 0xFFFF
    ):
        raise ValidationError(
            FWP_E_TYPE_MISMATCH,
            field=f"{label} port",
            value=port,
            reason="a port is an int from 0 to 65535",
        )
    return address, port


def classify_connection(
    session: "Session",
    direction: str,
    protocol: Any,
    local: Any,
    remote: Any,
    app: Any = None,
    *,
    user: Any = None,
    interface: Optional[int] = None,
    flags: int = 0,
    values: Optional[Mapping[Any, Any]] = None,
    trace: bool = True,
    callouts: Optional[Mapping[Any, CalloutModel]] = None,
    record: str = "drops",
) -> ConnectionDecision:
    """See :meth:`wfp.Session.classify_connection`."""
    direction_key = str(direction).lower() if isinstance(direction, str) else direction
    direction_key = {"out": "outbound", "in": "inbound"}.get(direction_key, direction_key)
    if direction_key not in ("outbound", "inbound"):
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field="direction",
            value=direction,
            reason="expected 'outbound' or 'inbound'",
        )
    proto = _PROTOCOLS.get(protocol.lower()) if isinstance(protocol, str) else protocol
    if proto not in (_TCP, _UDP):
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field="protocol",
            value=protocol,
            reason="a connection walk is for 'tcp' (6) or 'udp' (17)",
        )
    local_address, local_port = _endpoint("local", local)
    remote_address, remote_port = _endpoint("remote", remote)
    if local_address.version != remote_address.version:
        raise ValidationError(
            FWP_E_TYPE_MISMATCH,
            field="remote",
            value=remote,
            reason="local and remote addresses are of different IP versions",
        )
    suffix = "_V6" if remote_address.version == 6 else "_V4"
    if isinstance(app, str):
        from wfp.appid import app_id

        app = app_id(app, backend=session)
    loopback_flag = 0x1 if remote_address.is_loopback else 0
    common: Dict[Field, Any] = {
        Field.IP_PROTOCOL: proto,
        Field.IP_LOCAL_ADDRESS: local_address,
        Field.IP_REMOTE_ADDRESS: remote_address,
        Field.IP_LOCAL_PORT: local_port,
        Field.IP_REMOTE_PORT: remote_port,
        Field.ALE_APP_ID: app,
        Field.ALE_USER_ID: user,
        Field.IP_LOCAL_INTERFACE: interface,
        Field.FLAGS: flags | loopback_flag,
        Field.DIRECTION: _DIRECTIONS[direction_key],
    }
    for key, value in (values or {}).items():
        common[coerce_field(key, name="values")] = value
    decisions = []
    for name in _WALKS[(direction_key, proto)]:
        layer = Layer[name + suffix]
        layer_values = {f: v for f, v in common.items() if v is not None and f in layer.fields}
        decisions.append(
            (
                layer,
                classify(
                    session, layer, layer_values, trace=trace, callouts=callouts, record=record
                ),
            )
        )
    blocking = next(((layer, d) for layer, d in decisions if d.action == Action.BLOCK), None)
    if blocking is None:
        return ConnectionDecision(Action.PERMIT, None, None, tuple(decisions))
    return ConnectionDecision(Action.BLOCK, blocking[0], blocking[1], tuple(decisions))


# --------------------------------------------------------------------------------------------
# Net events
# --------------------------------------------------------------------------------------------

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_LAYER_BY_ID = {layer.layer_id: layer for layer in Layer}
_EVENT_DROP, _EVENT_ALLOW = 3, 6


def _to_filetime(moment: Optional[datetime]) -> int:
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.astimezone()
    delta = moment - _FILETIME_EPOCH
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


@dataclass(frozen=True)
class NetEvent:
    """A recorded classify outcome (FWPM_NET_EVENT0): a drop, or an allow when asked for."""

    time: datetime
    action: Action  #: BLOCK for a drop, PERMIT for an allow
    rule_id: Optional[int]
    layer: Union[Layer, int, None]  #: a Layer, or the raw layer id when unknown here
    protocol: Optional[int]
    local_address: Union[ipaddress.IPv4Address, ipaddress.IPv6Address, None]
    remote_address: Union[ipaddress.IPv4Address, ipaddress.IPv6Address, None]
    local_port: Optional[int]
    remote_port: Optional[int]
    app_id: Optional[bytes]
    user: Optional[str]  #: SID string

    def __str__(self) -> str:
        layer = self.layer.name if isinstance(self.layer, Layer) else self.layer
        local = f"{self.local_address}:{self.local_port}" if self.local_address else "?"
        remote = f"{self.remote_address}:{self.remote_port}" if self.remote_address else "?"
        return (
            f"{self.time.isoformat()} {'DROP' if self.action == Action.BLOCK else 'ALLOW'} "
            f"{layer} rule {self.rule_id} proto {self.protocol} {local} -> {remote}"
        )


def _event(wire: tuple) -> NetEvent:
    (
        stamp,
        kind,
        rule_id,
        layer_id,
        flags,
        ip_version,
        protocol,
        local,
        remote,
        local_port,
        remote_port,
        app_id,
        user,
    ) = wire
    v6 = ip_version == 1

    def address(raw: Any, flag: int) -> Any:
        if not flags & flag:
            return None
        return ipaddress.IPv6Address(raw) if v6 else ipaddress.IPv4Address(raw)

    return NetEvent(
        time=_FILETIME_EPOCH + timedelta(microseconds=stamp // 10),
        action=Action.BLOCK if kind == _EVENT_DROP else Action.PERMIT,
        rule_id=rule_id,
        layer=_LAYER_BY_ID.get(layer_id, layer_id),
        protocol=protocol if flags & 0x1 else None,
        local_address=address(local, 0x2),
        remote_address=address(remote, 0x4),
        local_port=local_port if flags & 0x8 else None,
        remote_port=remote_port if flags & 0x10 else None,
        app_id=app_id if flags & 0x20 else None,
        user=security.sid_to_string(user) if user and flags & 0x40 else None,
    )


def events(
    session: "Session", *, since: Optional[datetime] = None, until: Optional[datetime] = None
) -> List[NetEvent]:
    """See :meth:`wfp.Session.events`."""
    session._check_open("FwpmNetEventEnum0")
    try:
        wires = _core.net_events(session._core, _to_filetime(since), _to_filetime(until))
    except _core.CoreError as error:
        raise error_from_code(error.code, error.call) from None
    return [_event(w) for w in wires if w[1] in (_EVENT_DROP, _EVENT_ALLOW)]
