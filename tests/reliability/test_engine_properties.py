"""Hypothesis properties of the engine through the public API.

* abort restores the exact prior state: objects, ids, effective weights, and the state file's
  bytes (nothing of an aborted transaction reaches the disk);
* a rule that was added is read back, by key, by id and in its layer's listing, equal to itself;
* arbitration: rules in sublayers below a hard permit never turn it into a block; rules that do
  not match the traffic never change the decision; the decision does not depend on the order
  the rules were added in.

Example counts stay small in the default run (WFP_PROPERTY_EXAMPLES raises them).
"""

from __future__ import annotations

import ipaddress
import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import wfp

EXAMPLES = int(os.environ.get("WFP_PROPERTY_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
UNIVERSAL = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")
F = wfp.Field
V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
V6 = wfp.Layer.ALE_AUTH_CONNECT_V6

ports = st.integers(0, 65535)
protocols = st.sampled_from([1, 6, 17, 58])
v4_addresses = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
v6_addresses = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


@st.composite
def v4_conditions(draw):
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return F.IP_REMOTE_PORT == draw(ports)
    if kind == 1:
        low = draw(ports)
        return F.IP_REMOTE_PORT.between(low, draw(st.integers(low, 65535)))
    if kind == 2:
        return F.IP_PROTOCOL == draw(protocols)
    if kind == 3:
        return F.IP_REMOTE_ADDRESS == draw(v4_addresses)
    if kind == 4:
        network = ipaddress.IPv4Network((int(draw(v4_addresses)), draw(st.integers(0, 32))),
                                        strict=False)
        return F.IP_REMOTE_ADDRESS.in_(network)
    if kind == 5:
        return F.IP_LOCAL_PORT != draw(ports)
    return F.IP_LOCAL_INTERFACE == draw(st.integers(0, 2**64 - 1))


@st.composite
def v6_conditions(draw):
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return F.IP_REMOTE_ADDRESS == draw(v6_addresses)
    if kind == 1:
        network = ipaddress.IPv6Network((int(draw(v6_addresses)), draw(st.integers(0, 128))),
                                        strict=False)
        return F.IP_REMOTE_ADDRESS.in_(network)
    return F.IP_REMOTE_PORT >= draw(ports)


weights = st.one_of(st.none(), st.integers(0, 2**64 - 1), st.integers(0, 15).map(wfp.WeightRange))


@st.composite
def rules(draw, sublayers=(None,), layers=(V4, V6)):
    layer = draw(st.sampled_from(layers))
    conditions = draw(st.lists(v4_conditions() if layer == V4 else v6_conditions(), max_size=3))
    return wfp.Rule(name=draw(st.text(min_size=1, max_size=20).filter(lambda s: "\0" not in s
                                                                      and not any(0xD800 <= ord(c) <= 0xDFFF for c in s))),
                    layer=layer, action=draw(st.sampled_from([wfp.Action.BLOCK, wfp.Action.PERMIT])),
                    weight=draw(weights), conditions=conditions,
                    sublayer=draw(st.sampled_from(sublayers)), hard=draw(st.booleans()))


def full_state(session: wfp.Session) -> tuple:
    """Everything a caller can observe, including ids and effective weights."""
    return (sorted((p.key, p) for p in session.providers()),
            sorted((s.key, s) for s in session.sublayers()),
            sorted((r.id, r.key, r.effective_weight, repr(r)) for r in session.rules()))


def as_read_back(rule: wfp.Rule) -> wfp.Rule:
    import dataclasses
    return dataclasses.replace(rule, sublayer=rule.sublayer or UNIVERSAL)


# --------------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------------

SUBLAYER_KEYS = [uuid.UUID(int=0x5B00 + i) for i in range(2)]


@st.composite
def changes(draw):
    """A list of ("add", rule) / ("delete", index of an existing rule) / sublayer changes."""
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 3))
        if kind <= 1:
            steps.append(("add", draw(rules(sublayers=(None, *SUBLAYER_KEYS)))))
        elif kind == 2:
            steps.append(("delete", draw(st.integers(0, 20))))
        else:
            steps.append(("sublayer", draw(st.integers(0, 1))))
    return steps


def apply_changes(session: wfp.Session, steps) -> None:
    for kind, arg in steps:
        try:
            if kind == "add":
                session.add_rule(arg)
            elif kind == "delete":
                existing = session.rules()
                if existing:
                    session.delete_rule(existing[arg % len(existing)].id)
            else:
                key = SUBLAYER_KEYS[arg]
                if any(s.key == key for s in session.sublayers()):
                    session.delete_sublayer(key)
                else:
                    session.add_sublayer(wfp.Sublayer(key=key, name="s", weight=arg + 1))
        except wfp.WFPError:
            pass  # a failing call inside a transaction leaves the transaction usable


@pytest.mark.parametrize("with_file", [False, True], ids=["memory", "state-file"])
def test_abort_restores_the_exact_prior_state(with_file: bool, tmp_path_factory) -> None:
    @SETTINGS
    @given(before=changes(), inside=changes())
    def check(before, inside) -> None:
        path = tmp_path_factory.mktemp("abort") / "state.wfp" if with_file else None
        engine = wfp.SimEngine(path)
        with wfp.Session(name="abort", dynamic=False, backend=engine) as session:
            apply_changes(session, before)
            state = full_state(session)
            file_bytes = Path(path).read_bytes() if path and Path(path).exists() else None
            with pytest.raises(RuntimeError):
                with session.transaction():
                    apply_changes(session, inside)
                    raise RuntimeError("abort")
            assert full_state(session) == state
            if path is not None:
                now = Path(path).read_bytes() if Path(path).exists() else None
                assert now == file_bytes
            # The engine is usable and consistent after the abort: a fresh rule goes in.
            probe = wfp.Rule(name="probe", layer=V4, action=wfp.Action.BLOCK)
            probe_id = session.add_rule(probe)
            assert all(r.id < probe_id for r in session.rules() if r.key != probe.key)
    check()


# --------------------------------------------------------------------------------------------
# Read-back
# --------------------------------------------------------------------------------------------

@SETTINGS
@given(rule=rules())
def test_added_rule_reads_back_equal(rule: wfp.Rule) -> None:
    with wfp.Session(name="readback", backend=wfp.SimEngine()) as session:
        rule_id = session.add_rule(rule)
        expected = as_read_back(rule)
        assert session.rule(rule.key) == expected
        assert session.rule(rule_id) == expected
        listed = [r for r in session.rules(layer=rule.layer) if r.key == rule.key]
        assert listed == [expected] and listed[0].id == rule_id
        assert expected in session.rules(action=rule.action)


@SETTINGS
@given(batch=st.lists(rules(), min_size=1, max_size=12, unique_by=lambda r: r.key))
def test_bulk_added_rules_read_back_equal(batch) -> None:
    with wfp.Session(name="readback", backend=wfp.SimEngine()) as session:
        ids = session.add_rules(batch)
        assert len(set(ids)) == len(batch)
        by_key = {r.key: r for r in session.rules()}
        assert [by_key[r.key] for r in batch] == [as_read_back(r) for r in batch]
        assert [by_key[r.key].id for r in batch] == ids


# --------------------------------------------------------------------------------------------
# Arbitration
# --------------------------------------------------------------------------------------------

HIGH = uuid.UUID(int=0xA1)
LOW_KEYS = [uuid.UUID(int=0xA2 + i) for i in range(3)]


def traffic_values(port: int, address: ipaddress.IPv4Address, protocol: int) -> dict:
    return {F.IP_REMOTE_PORT: port, F.IP_REMOTE_ADDRESS: address, F.IP_PROTOCOL: protocol,
            F.IP_LOCAL_PORT: 50000}


traffic = st.tuples(ports, v4_addresses, protocols)


@SETTINGS
@given(packet=traffic, low_weights=st.lists(st.integers(0, 0xEFFF), min_size=3, max_size=3),
       below=st.lists(rules(sublayers=LOW_KEYS, layers=(V4,)), max_size=10))
def test_rules_below_a_hard_permit_never_block(packet, low_weights, below) -> None:
    with wfp.Session(name="arbitration", backend=wfp.SimEngine()) as session:
        session.add_sublayer(wfp.Sublayer(key=HIGH, name="high", weight=0xF000))
        for key, weight in zip(LOW_KEYS, low_weights):
            session.add_sublayer(wfp.Sublayer(key=key, name="low", weight=weight))
        permit = wfp.Rule(name="hard permit", layer=V4, sublayer=HIGH, action=wfp.Action.PERMIT,
                          hard=True, conditions=[F.IP_REMOTE_PORT == packet[0]])
        session.add_rule(permit)
        values = traffic_values(*packet)
        assert session.classify(V4, values).rule == as_read_back(permit)
        for rule in below:
            session.add_rule(rule)
            decision = session.classify(V4, values)
            assert decision.permitted, (rule, decision)
            assert decision.rule.key == permit.key


@SETTINGS
@given(packet=traffic, existing=st.lists(rules(sublayers=(None, *LOW_KEYS), layers=(V4,)),
                                         max_size=8),
       other_port=ports)
def test_rules_that_do_not_match_never_change_the_decision(packet, existing, other_port) -> None:
    if other_port == packet[0]:
        other_port = (other_port + 1) % 65536
    with wfp.Session(name="arbitration", backend=wfp.SimEngine()) as session:
        for i, key in enumerate(LOW_KEYS):
            session.add_sublayer(wfp.Sublayer(key=key, name="s", weight=100 * i))
        for rule in existing:
            session.add_rule(rule)
        values = traffic_values(*packet)
        before = session.classify(V4, values)
        for sublayer in (None, *LOW_KEYS):
            for action in (wfp.Action.BLOCK, wfp.Action.PERMIT):
                session.add_rule(wfp.Rule(name="elsewhere", layer=V4, sublayer=sublayer,
                                          action=action, hard=True, weight=2**64 - 1,
                                          conditions=[F.IP_REMOTE_PORT == other_port]))
        after = session.classify(V4, values)
        assert (after.action, after.rule) == (before.action, before.rule)


@SETTINGS
@given(packet=traffic, batch=st.lists(rules(sublayers=(None, *LOW_KEYS), layers=(V4,)),
                                      max_size=10, unique_by=lambda r: r.key),
       order=st.randoms(use_true_random=False))
def test_decision_does_not_depend_on_insertion_order(packet, batch, order) -> None:
    # Exact, distinct weights: with automatic or equal weights ties fall to the rule id, which
    # follows insertion order by design.
    batch = [wfp.Rule(**{**{f: getattr(r, f) for f in ("name", "layer", "action", "conditions",
                                                         "sublayer", "hard", "key")},
                         "weight": 1000 + i}) for i, r in enumerate(batch)]
    shuffled = list(batch)
    order.shuffle(shuffled)
    decisions = []
    for sequence in (batch, shuffled):
        with wfp.Session(name="order", backend=wfp.SimEngine()) as session:
            for i, key in enumerate(LOW_KEYS):
                session.add_sublayer(wfp.Sublayer(key=key, name="s", weight=10 + i))
            for rule in sequence:
                session.add_rule(rule)
            decision = session.classify(V4, traffic_values(*packet))
            decisions.append((decision.action, decision.rule.key if decision.rule else None))
    assert decisions[0] == decisions[1]


def test_no_matching_rule_permits() -> None:
    with wfp.Session(name="empty", backend=wfp.SimEngine()) as session:
        session.add_rule(wfp.Rule(name="other port", layer=V4, action=wfp.Action.BLOCK,
                                  conditions=[F.IP_REMOTE_PORT == 1]))
        decision = session.classify(V4, traffic_values(2, ipaddress.IPv4Address("192.0.2.1"), 6))
        assert decision.permitted and decision.rule is None
