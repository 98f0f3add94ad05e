"""Weights: automatic, ranges and exact values, and the effective weights the engine reports."""

from __future__ import annotations

import pytest

import wfp

from .helpers import V4, add_base, port_rule

TOP_FOUR_BITS = 60


@pytest.fixture
def sublayer(static_session):
    return add_base(static_session)[1]


def effective(session, rule):
    session.add_rule(rule)
    return session.rule(rule.key).effective_weight


def test_auto_below_every_range_and_ranges_in_order(static_session, sublayer):
    s = static_session
    auto = effective(s, port_rule(1, sublayer=sublayer))
    by_range = [effective(s, port_rule(2, sublayer=sublayer, weight=wfp.WeightRange(r)))
                for r in range(16)]
    assert auto >> TOP_FOUR_BITS == 0
    assert [w >> TOP_FOUR_BITS for w in by_range] == list(range(16))
    assert auto < by_range[1]
    assert all(low < high for low, high in zip(by_range[1:], by_range[2:]))


@pytest.mark.parametrize("weight", [0, 1, 1000, 2**60 - 1, 2**60, 2**63 + 12345, 2**64 - 1])
def test_exact_weight_is_returned_as_is(static_session, sublayer, weight):
    s = static_session
    rule = port_rule(3, sublayer=sublayer, weight=weight)
    s.add_rule(rule)
    back = s.rule(rule.key)
    assert back.effective_weight == weight
    assert back.weight == weight
    assert type(back.weight) is int


def test_weight_form_is_kept_on_read_back(static_session, sublayer):
    s = static_session
    ranged = port_rule(4, sublayer=sublayer, weight=wfp.WeightRange(9))
    auto = port_rule(5, sublayer=sublayer)
    s.add_rules([ranged, auto])
    assert s.rule(ranged.key).weight == wfp.WeightRange(9)
    assert s.rule(auto.key).weight is None


def test_more_specific_auto_weight_is_higher(static_session, sublayer):
    s = static_session
    broad = wfp.Rule(layer=V4, action=wfp.Action.BLOCK, sublayer=sublayer)
    narrow = wfp.Rule(layer=V4, action=wfp.Action.BLOCK, sublayer=sublayer,
                      conditions=[wfp.Field.IP_REMOTE_PORT == 53, wfp.Field.IP_PROTOCOL == 17])
    assert effective(s, broad) < effective(s, narrow)


def test_sublayer_weight_reads_back(static_session):
    s = static_session
    for weight in (0, 1, 0x8000, 0xFFFF):
        sub = wfp.Sublayer(name=f"w{weight}", weight=weight)
        s.add_sublayer(sub)
        assert s.sublayer(sub.key).weight == weight
