"""Validation: every bad input is refused with the FWP_E_* code that names the problem, and
leaves the engine exactly as it was.

Python-side failures (ValidationError) are raised before anything reaches the engine: not even
a filter id is consumed.  Engine-side failures come back from the engine as WFPError subclasses.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import pytest

import wfp

from .helpers import V4, V6, port_rule, snapshot

F = wfp.Field
A = wfp.Action
UNIVERSAL = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")


@dataclass
class Context:
    engine: wfp.SimEngine
    static: wfp.Session
    dynamic: wfp.Session
    other_dynamic: wfp.Session
    provider: uuid.UUID
    sublayer: uuid.UUID
    dynamic_provider: uuid.UUID
    rule: wfp.Rule
    dynamic_rule: wfp.Rule


@pytest.fixture
def ctx(engine):
    static = wfp.Session(name="static", dynamic=False, backend=engine)
    dynamic = wfp.Session(name="dynamic", backend=engine)
    other_dynamic = wfp.Session(name="other dynamic", backend=engine)
    provider = static.add_provider(wfp.Provider(name="static provider"))
    sublayer = static.add_sublayer(wfp.Sublayer(name="static sublayer", provider=provider))
    dynamic_provider = dynamic.add_provider(wfp.Provider(name="dynamic provider"))
    rule = port_rule(80, sublayer=sublayer, provider=provider)
    static.add_rule(rule)
    dynamic_rule = port_rule(81, sublayer=sublayer)
    dynamic.add_rule(dynamic_rule)
    yield Context(engine, static, dynamic, other_dynamic, provider, sublayer, dynamic_provider,
                  rule, dynamic_rule)
    for s in (static, dynamic, other_dynamic):
        s.close()


def rule_at(ctx, *conditions, layer=V4, action=A.BLOCK, name="bad", **extra):
    return wfp.Rule(name=name, layer=layer, action=action, sublayer=ctx.sublayer,
                    conditions=list(conditions), **extra)


def add(ctx, *conditions, layer=V4, **extra):
    return ctx.static.add_rule(rule_at(ctx, *conditions, layer=layer, **extra))


def field_missing_at(layer):
    return next(f for f in wfp.Field if f not in layer.fields)


def nested_transaction(session):
    with session.transaction():
        session.add_provider(wfp.Provider(name="in the outer transaction"))
        with session.transaction():
            pass


DUPLICATE = uuid.UUID(int=7)


# (action, expected class, expected FWP_E_* name); Python-side cases are ValidationError.
PYTHON_SIDE: dict[str, tuple[Callable[[Context], Any], type, str]] = {
    "string where a port is expected": (
        lambda c: add(c, F.IP_REMOTE_PORT == "http"), wfp.ValidationError, "FWP_E_TYPE_MISMATCH"),
    "port 70000": (
        lambda c: add(c, F.IP_REMOTE_PORT == 70000), wfp.ValidationError, "FWP_E_OUT_OF_BOUNDS"),
    "negative protocol": (
        lambda c: add(c, F.IP_PROTOCOL == -1), wfp.ValidationError, "FWP_E_OUT_OF_BOUNDS"),
    "negative interface index": (
        lambda c: add(c, F.IP_LOCAL_INTERFACE == -5), wfp.ValidationError, "FWP_E_OUT_OF_BOUNDS"),
    "weight range 16": (
        lambda c: add(c, weight=wfp.WeightRange(16)), wfp.ValidationError, "FWP_E_INVALID_WEIGHT"),
    "negative weight": (
        lambda c: add(c, weight=-1), wfp.ValidationError, "FWP_E_INVALID_WEIGHT"),
    "weight 2**64": (
        lambda c: add(c, weight=2**64), wfp.ValidationError, "FWP_E_INVALID_WEIGHT"),
    "weight as a string": (
        lambda c: add(c, weight="high"), wfp.ValidationError, "FWP_E_INVALID_WEIGHT"),
    "unknown field name": (
        lambda c: add(c, wfp.Condition("NO_SUCH_FIELD", wfp.Match.EQUAL, 1)),
        wfp.ValidationError, "FWP_E_CONDITION_NOT_FOUND"),
    "unknown layer name": (
        lambda c: add(c, layer="ALE_AUTH_CONNECT_V5"), wfp.ValidationError, "FWP_E_LAYER_NOT_FOUND"),
    "unknown layer in rules()": (
        lambda c: c.static.rules(layer="NOPE"), wfp.ValidationError, "FWP_E_LAYER_NOT_FOUND"),
    "field not at the layer": (
        lambda c: add(c, wfp.Condition(field_missing_at(V4), wfp.Match.EQUAL, 1)),
        wfp.ValidationError, "FWP_E_CONDITION_NOT_FOUND"),
    "IPv6 address at a V4 layer": (
        lambda c: add(c, F.IP_REMOTE_ADDRESS == ipaddress.IPv6Address("2001:db8::1")),
        wfp.ValidationError, "FWP_E_TYPE_MISMATCH"),
    "IPv4 network at a V6 layer": (
        lambda c: add(c, F.IP_REMOTE_ADDRESS.in_("10.0.0.0/8"), layer=V6),
        wfp.ValidationError, "FWP_E_TYPE_MISMATCH"),
    "range low above high": (
        lambda c: add(c, F.IP_REMOTE_PORT.between(2000, 1000)),
        wfp.ValidationError, "FWP_E_INVALID_RANGE"),
    "non-contiguous mask": (
        lambda c: add(c, wfp.Condition(F.IP_REMOTE_ADDRESS, wfp.Match.EQUAL,
                                       wfp.RawValue(wfp.DataType.V4_ADDR_MASK,
                                                    (0x0A000000, 0xFF00FF00)))),
        wfp.ValidationError, "FWP_E_INVALID_NET_MASK"),
    "prefix match on an integer": (
        lambda c: add(c, wfp.Condition(F.IP_PROTOCOL, wfp.Match.PREFIX, 6)),
        wfp.ValidationError, "FWP_E_MATCH_TYPE_MISMATCH"),
    "match type out of range": (
        lambda c: add(c, wfp.Condition(F.IP_PROTOCOL, 99, 6)),
        wfp.ValidationError, "FWP_E_INVALID_ENUMERATOR"),
    "embedded NUL in a rule name": (
        lambda c: add(c, name="a\0b"), wfp.ValidationError, "FWP_E_INVALID_PARAMETER"),
    "embedded NUL in a provider description": (
        lambda c: c.static.add_provider(wfp.Provider(name="p", description="x\0")),
        wfp.ValidationError, "FWP_E_INVALID_PARAMETER"),
    "missing name": (
        lambda c: c.static.add_sublayer(wfp.Sublayer(name=None)),
        wfp.ValidationError, "FWP_E_NULL_DISPLAY_NAME"),
    "key that is not a UUID": (
        lambda c: add(c, key="not-a-uuid"), wfp.ValidationError, "FWP_E_INVALID_PARAMETER"),
    "unknown action": (
        lambda c: add(c, action=0x1234),
        wfp.ValidationError, "FWP_E_INVALID_ACTION_TYPE"),
    "persistent and boot-time": (
        lambda c: add(c, persistent=True, boot_time=True),
        wfp.ValidationError, "FWP_E_INVALID_FLAGS"),
    "permit-if-callout-missing without a callout action": (
        lambda c: add(c, permit_if_callout_missing=True),
        wfp.ValidationError, "FWP_E_INVALID_FLAGS"),
    "disabled set on add": (
        lambda c: c.static.add_rule(wfp.Rule(layer=V4, action=A.BLOCK, disabled=True)),
        wfp.ValidationError, "FWP_E_INVALID_FLAGS"),
    "callout action without a callout": (
        lambda c: wfp.Rule(layer=V4, action=A.CALLOUT_TERMINATING),
        wfp.ValidationError, "FWP_E_CALLOUT_NOT_FOUND"),
    "sublayer weight 70000": (
        lambda c: wfp.Sublayer(name="s", weight=70000), wfp.ValidationError, "FWP_E_INVALID_WEIGHT"),
    "not a Rule": (
        lambda c: c.static.add_rules([c.rule, "rule"]), wfp.ValidationError,
        "FWP_E_INVALID_PARAMETER"),
    "duplicate key inside one add_rules": (
        lambda c: c.static.add_rules([port_rule(p, sublayer=c.sublayer, key=DUPLICATE)
                                      for p in (1, 2)]),
        wfp.ValidationError, "FWP_E_ALREADY_EXISTS"),
    "negative transaction timeout": (
        lambda c: wfp.Session(backend=c.engine, txn_timeout_ms=-1),
        wfp.ValidationError, "FWP_E_OUT_OF_BOUNDS"),
    "nested transaction": (
        lambda c: nested_transaction(c.static),
        wfp.TransactionError, "FWP_E_TXN_IN_PROGRESS"),
}

ENGINE_SIDE: dict[str, tuple[Callable[[Context], Any], type, str]] = {
    "rule in a missing sublayer": (
        lambda c: c.static.add_rule(port_rule(1, sublayer=uuid.uuid4())),
        wfp.SublayerNotFound, "FWP_E_SUBLAYER_NOT_FOUND"),
    "rule of a missing provider": (
        lambda c: c.static.add_rule(port_rule(1, sublayer=c.sublayer, provider=uuid.uuid4())),
        wfp.ProviderNotFound, "FWP_E_PROVIDER_NOT_FOUND"),
    "sublayer of a missing provider": (
        lambda c: c.static.add_sublayer(wfp.Sublayer(name="s", provider=uuid.uuid4())),
        wfp.ProviderNotFound, "FWP_E_PROVIDER_NOT_FOUND"),
    "persistent rule under a dynamic provider": (
        lambda c: c.static.add_rule(wfp.Rule(layer=V4, action=A.BLOCK, persistent=True,
                                             provider=c.dynamic_provider)),
        wfp.LifetimeMismatch, "FWP_E_LIFETIME_MISMATCH"),
    "persistent rule under a static provider": (
        lambda c: c.static.add_rule(wfp.Rule(layer=V4, action=A.BLOCK, persistent=True,
                                             provider=c.provider)),
        wfp.LifetimeMismatch, "FWP_E_LIFETIME_MISMATCH"),
    "persistent rule from a dynamic session": (
        lambda c: c.dynamic.add_rule(wfp.Rule(layer=V4, action=A.BLOCK, persistent=True)),
        wfp.WrongSession, "FWP_E_DYNAMIC_SESSION_IN_PROGRESS"),
    "static rule in a dynamic session's provider": (
        lambda c: c.static.add_rule(wfp.Rule(layer=V4, action=A.BLOCK, provider=c.dynamic_provider)),
        wfp.LifetimeMismatch, "FWP_E_LIFETIME_MISMATCH"),
    "existing rule key": (
        lambda c: c.static.add_rule(c.rule), wfp.AlreadyExists, "FWP_E_ALREADY_EXISTS"),
    "existing provider key": (
        lambda c: c.static.add_provider(wfp.Provider(key=c.provider, name="again")),
        wfp.AlreadyExists, "FWP_E_ALREADY_EXISTS"),
    "deleting a rule that does not exist (key)": (
        lambda c: c.static.delete_rule(uuid.uuid4()), wfp.FilterNotFound, "FWP_E_FILTER_NOT_FOUND"),
    "deleting a rule that does not exist (id)": (
        lambda c: c.static.delete_rule(2**63), wfp.FilterNotFound, "FWP_E_FILTER_NOT_FOUND"),
    "deleting a provider that does not exist": (
        lambda c: c.static.delete_provider(uuid.uuid4()),
        wfp.ProviderNotFound, "FWP_E_PROVIDER_NOT_FOUND"),
    "deleting a sublayer that does not exist": (
        lambda c: c.static.delete_sublayer(uuid.uuid4()),
        wfp.SublayerNotFound, "FWP_E_SUBLAYER_NOT_FOUND"),
    "deleting a provider in use": (
        lambda c: c.static.delete_provider(c.provider), wfp.InUse, "FWP_E_IN_USE"),
    "deleting a built-in sublayer": (
        lambda c: c.static.delete_sublayer(UNIVERSAL), wfp.BuiltinObject, "FWP_E_BUILTIN_OBJECT"),
    "deleting another dynamic session's rule": (
        lambda c: c.other_dynamic.delete_rule(c.dynamic_rule.key),
        wfp.WrongSession, "FWP_E_WRONG_SESSION"),
    "wrong data type for the field (raw value)": (
        lambda c: add(c, wfp.Condition(F.IP_REMOTE_PORT, wfp.Match.EQUAL,
                                       wfp.RawValue(wfp.DataType.UINT8, 5))),
        wfp.InvalidCondition, "FWP_E_TYPE_MISMATCH"),
    "call on a closed session": (
        lambda c: (c.other_dynamic.close(), c.other_dynamic.rules()),
        wfp.SessionClosed, "WFPKIT_E_SESSION_CLOSED"),
}


@pytest.mark.parametrize("label", sorted(PYTHON_SIDE))
def test_python_side_validation(ctx, label):
    action, expected, name = PYTHON_SIDE[label]
    before, stats = snapshot(ctx.static), ctx.engine.stats()
    with pytest.raises(expected) as caught:
        action(ctx)
    assert caught.value.name == name, str(caught.value)
    assert isinstance(caught.value, wfp.WFPError)
    if isinstance(caught.value, wfp.ValidationError):
        assert isinstance(caught.value, ValueError)
        assert caught.value.field
        # Nothing reached the engine: not a filter id, not a session.
        assert ctx.engine.stats() == stats
    assert snapshot(ctx.static) == before


@pytest.mark.parametrize("label", sorted(ENGINE_SIDE))
def test_engine_side_validation(ctx, label):
    action, expected, name = ENGINE_SIDE[label]
    before = snapshot(ctx.static)
    with pytest.raises(expected) as caught:
        action(ctx)
    assert caught.value.name == name, str(caught.value)
    assert caught.value.code == wfp.rules.error_code(name)
    assert snapshot(ctx.static) == before


def test_validation_errors_name_field_and_value():
    with pytest.raises(wfp.ValidationError) as caught:
        wfp.Rule(layer=V4, action=A.BLOCK, conditions=[F.IP_PROTOCOL == 6, F.IP_REMOTE_PORT == 70000])
    assert caught.value.field == "conditions[1] IP_REMOTE_PORT"
    assert caught.value.value == 70000
    assert "IP_REMOTE_PORT" in str(caught.value)


def test_there_are_at_least_25_distinct_failures():
    assert len(PYTHON_SIDE) + len(ENGINE_SIDE) >= 25
    assert len({name for *_, name in (*PYTHON_SIDE.values(), *ENGINE_SIDE.values())}) >= 15
