"""Properties of classify over random policies (hypothesis), and a model-based check against a
plain-Python statement of reference §1.5 and §5.4."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfp
from wfp import Field as F

V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
PERMIT, BLOCK = wfp.Action.PERMIT, wfp.Action.BLOCK
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PORTS = st.integers(0, 5)
PROTOCOLS = st.sampled_from([6, 17])
ADDRESSES = st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.1.1", "192.168.0.1"])


@dataclass(frozen=True)
class Cond:
    """A condition with its meaning in plain Python."""

    field: Any
    kind: str
    value: Any

    def condition(self) -> wfp.Condition:
        if self.kind == "eq":
            return self.field == self.value
        if self.kind == "range":
            return self.field.between(*self.value)
        if self.kind == "net":
            return self.field.in_(self.value)
        return self.field != self.value

    def holds(self, values: dict) -> bool:
        v = values.get(self.field)
        if v is None:
            return False
        if self.field is F.IP_REMOTE_ADDRESS:
            v = ipaddress.ip_address(v)
            if self.kind == "net":
                return v in ipaddress.ip_network(self.value)
            if self.kind == "eq":
                return v == ipaddress.ip_address(self.value)
            return v != ipaddress.ip_address(self.value)
        if self.kind == "eq":
            return v == self.value
        if self.kind == "range":
            return self.value[0] <= v <= self.value[1]
        return v != self.value


conditions = st.one_of(
    st.builds(Cond, st.just(F.IP_REMOTE_PORT), st.just("eq"), PORTS),
    st.builds(
        Cond,
        st.just(F.IP_REMOTE_PORT),
        st.just("range"),
        st.tuples(PORTS, PORTS).map(lambda t: (min(t), max(t))),
    ),
    st.builds(Cond, st.just(F.IP_REMOTE_PORT), st.just("ne"), PORTS),
    st.builds(Cond, st.just(F.IP_PROTOCOL), st.just("eq"), PROTOCOLS),
    st.builds(Cond, st.just(F.IP_REMOTE_ADDRESS), st.just("eq"), ADDRESSES),
    st.builds(
        Cond,
        st.just(F.IP_REMOTE_ADDRESS),
        st.just("net"),
        st.sampled_from(["10.0.0.0/24", "10.0.0.0/16", "0.0.0.0/0"]),
    ),
)


@dataclass(frozen=True)
class RuleSpec:
    sublayer: int
    action: wfp.Action
    hard: bool
    weight: Optional[int]
    conds: tuple

    def matches(self, values: dict) -> bool:
        fields = {c.field for c in self.conds}
        return all(any(c.holds(values) for c in self.conds if c.field is f) for f in fields)


rules = st.builds(
    RuleSpec,
    st.integers(0, 2),
    st.sampled_from([PERMIT, BLOCK]),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 3)),
    st.lists(conditions, max_size=3).map(tuple),
)
policies = st.tuples(
    st.lists(st.sampled_from([0x100, 0x200, 0x300, 0x200]), min_size=3, max_size=3),
    st.lists(rules, max_size=12),
)
values_strategy = st.fixed_dictionaries(
    {F.IP_REMOTE_PORT: PORTS, F.IP_PROTOCOL: PROTOCOLS, F.IP_REMOTE_ADDRESS: ADDRESSES}
)


def install(session: wfp.Session, weights: list, specs: list) -> tuple[list, list]:
    sublayers = [
        session.add_sublayer(wfp.Sublayer(name=f"s{i}", weight=w)) for i, w in enumerate(weights)
    ]
    ids = []
    for i, spec in enumerate(specs):
        ids.append(
            session.add_rule(
                wfp.Rule(
                    name=f"r{i}",
                    layer=V4,
                    sublayer=sublayers[spec.sublayer],
                    action=spec.action,
                    hard=spec.hard,
                    weight=spec.weight,
                    conditions=[c.condition() for c in spec.conds],
                )
            )
        )
    return sublayers, ids


def reference(session: wfp.Session, weights: list, specs: list, ids: list, values: dict):
    """§1.5 with static rules only: (action, deciding rule id or None, hard)."""
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    effective = {rid: session.rule(rid).effective_weight for rid in ids}
    verdict, writable, decider = None, True, None
    for sl in order:
        matching = sorted(
            (rid for spec, rid in zip(specs, ids) if spec.sublayer == sl and spec.matches(values)),
            key=lambda rid: (-effective[rid], rid),
        )
        if not matching:
            continue
        rid = matching[0]
        spec = specs[ids.index(rid)]
        hard = spec.action == BLOCK or spec.hard
        if writable:
            verdict, writable, decider = spec.action, not hard, rid
    return (verdict or PERMIT, decider, decider is not None and not writable)


@SETTINGS
@given(policies, values_strategy)
def test_classify_agrees_with_the_reference_arbitration(policy, values):
    weights, specs = policy
    with wfp.Session(name="p", backend=wfp.SimEngine()) as session:
        _, ids = install(session, weights, specs)
        d = session.classify(V4, values)
        assert (d.action, d.rule_id, d.hard) == reference(session, weights, specs, ids, values)


@SETTINGS
@given(policies, values_strategy, rules, st.integers(0, 0x0FF))
def test_a_rule_below_a_hard_permit_never_blocks(policy, values, extra, lower_weight):
    weights, specs = policy
    with wfp.Session(name="p", backend=wfp.SimEngine()) as session:
        install(session, weights, specs)
        before = session.classify(V4, values)
        if not (before.action == PERMIT and before.hard):
            return
        lower = session.add_sublayer(wfp.Sublayer(name="lower", weight=lower_weight))
        session.add_rule(
            wfp.Rule(
                name="extra",
                layer=V4,
                sublayer=lower,
                action=extra.action,
                hard=extra.hard,
                conditions=[c.condition() for c in extra.conds],
            )
        )
        after = session.classify(V4, values)
        assert (after.action, after.rule_id, after.hard) == (before.action, before.rule_id, True)


@SETTINGS
@given(policies, values_strategy, rules, st.integers(0, 2))
def test_a_rule_that_does_not_match_changes_nothing(policy, values, extra, where):
    weights, specs = policy
    with wfp.Session(name="p", backend=wfp.SimEngine()) as session:
        sublayers, _ = install(session, weights, specs)
        before = session.classify(V4, values, trace=False)
        # ANDed with a field the values leave unknown, which only EQUAL-to-empty could match.
        miss = [c.condition() for c in extra.conds] + [F.IP_LOCAL_PORT == 7]
        session.add_rule(
            wfp.Rule(
                name="miss",
                layer=V4,
                sublayer=sublayers[where],
                action=extra.action,
                hard=extra.hard,
                weight=extra.weight,
                conditions=miss,
            )
        )
        after = session.classify(V4, values, trace=False)
        assert after == before


@SETTINGS
@given(policies, st.lists(values_strategy, min_size=1, max_size=5))
def test_classify_never_changes_the_engine(policy, rows):
    weights, specs = policy
    with wfp.Session(name="p", backend=wfp.SimEngine()) as session:
        install(session, weights, specs)
        before = session.export()
        for values in rows:
            session.classify(V4, values)
        session.classify_many(V4, rows)
        after = session.export()
        assert {k: v for k, v in after.items() if k != "created"} == {
            k: v for k, v in before.items() if k != "created"
        }


@SETTINGS
@given(policies, values_strategy, st.data())
def test_deleting_and_aborting_keep_the_index_exact(policy, values, data):
    weights, specs = policy
    with wfp.Session(name="p", backend=wfp.SimEngine()) as session:
        _, ids = install(session, weights, specs)
        doomed = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]))
        try:
            with session.transaction():
                session.delete_rules(doomed)
                raise KeyboardInterrupt  # abort: everything comes back
        except KeyboardInterrupt:
            pass
        d = session.classify(V4, values)
        assert (d.action, d.rule_id, d.hard) == reference(session, weights, specs, ids, values)
        session.delete_rules(doomed)
        kept = [(s, i) for s, i in zip(specs, ids) if i not in doomed]
        d = session.classify(V4, values)
        assert (d.action, d.rule_id, d.hard) == reference(
            session, weights, [s for s, _ in kept], [i for _, i in kept], values
        )
