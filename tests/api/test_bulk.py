"""Bulk add and delete: one call, one transaction, all or nothing."""

from __future__ import annotations

import uuid

import pytest

import wfp

from .helpers import V4, add_base, port_rule, snapshot

BULK = 10_000
FAILING_INDEX = 7_000


@pytest.fixture
def base(static_session):
    provider, sublayer = add_base(static_session)
    existing = port_rule(1, sublayer=sublayer, provider=provider)
    existing_id = static_session.add_rule(existing)
    return static_session, provider, sublayer, existing, existing_id


def bulk_with_clash(sublayer, provider, existing_key):
    rules = [port_rule(1 + i % 60000, sublayer=sublayer, provider=provider) for i in range(BULK)]
    rules[FAILING_INDEX] = wfp.Rule(key=existing_key, name="clash", layer=V4, sublayer=sublayer,
                                    action=wfp.Action.PERMIT)
    return rules


def test_add_rules_returns_ids_in_order(base):
    s, provider, sublayer, _existing, existing_id = base
    rules = [port_rule(p, sublayer=sublayer, provider=provider) for p in range(100, 110)]
    ids = s.add_rules(rules)
    assert len(set(ids)) == 10 and existing_id not in ids
    for rule, rule_id in zip(rules, ids):
        back = s.rule(rule_id)
        assert back == rule and back.id == rule_id


def test_add_rules_accepts_any_iterable_and_empty(base):
    s, _provider, sublayer, *_ = base
    assert s.add_rules([]) == []
    ids = s.add_rules(port_rule(p, sublayer=sublayer) for p in (5, 6))
    assert len(ids) == 2


def test_failure_at_rule_7000_applies_nothing(base):
    s, provider, sublayer, existing, _ = base
    before = snapshot(s)
    rules = bulk_with_clash(sublayer, provider, existing.key)
    with pytest.raises(wfp.BulkError) as caught:
        s.add_rules(rules)
    error = caught.value
    assert error.index == FAILING_INDEX
    assert error.rule is rules[FAILING_INDEX]
    assert isinstance(error.cause, wfp.AlreadyExists)
    assert error.name == "FWP_E_ALREADY_EXISTS"
    assert snapshot(s) == before


def test_failure_inside_an_outer_transaction_leaves_the_transaction_as_it_was(base):
    s, provider, sublayer, existing, _ = base
    before = snapshot(s)
    kept = port_rule(2, sublayer=sublayer, provider=provider)
    rules = bulk_with_clash(sublayer, provider, existing.key)
    with s.transaction():
        kept_id = s.add_rule(kept)
        with pytest.raises(wfp.BulkError) as caught:
            s.add_rules(rules)
        assert caught.value.index == FAILING_INDEX
        # Still inside the transaction: more work can follow and be committed.
        assert s.in_transaction
    after = snapshot(s)
    assert [r for r, *_ in after[2] if r.key == kept.key] == [kept]
    assert s.rule(kept.key).id == kept_id
    expected_rules = sorted(before[2] + [(kept, kept_id, s.rule(kept_id).effective_weight)],
                            key=lambda item: item[0].key)
    assert after == (before[0], before[1], expected_rules)


def test_engine_failure_injected_midway_rolls_back(base, engine):
    s, provider, sublayer, *_ = base
    before = snapshot(s)
    rules = [port_rule(p, sublayer=sublayer, provider=provider) for p in range(1000, 1100)]
    engine.inject_failure(0, 42, 0x80320035)  # the 42nd add fails with FWP_E_INVALID_PARAMETER
    with pytest.raises(wfp.BulkError) as caught:
        s.add_rules(rules)
    assert caught.value.index == 41
    assert caught.value.rule is rules[41]
    assert caught.value.name == "FWP_E_INVALID_PARAMETER"
    assert snapshot(s) == before
    # The injection fired once: the same batch now goes in.
    assert len(s.add_rules(rules)) == 100


def test_duplicate_key_inside_one_call_is_rejected_before_the_engine(base, engine):
    s, _provider, sublayer, *_ = base
    before, stats = snapshot(s), engine.stats()
    key = uuid.uuid4()
    rules = [port_rule(p, sublayer=sublayer) for p in range(10)]
    rules[3] = wfp.Rule(key=key, layer=V4, action=wfp.Action.BLOCK, sublayer=sublayer)
    rules[8] = wfp.Rule(key=key, layer=V4, action=wfp.Action.PERMIT, sublayer=sublayer)
    with pytest.raises(wfp.ValidationError) as caught:
        s.add_rules(rules)
    assert caught.value.field == "rules[8].key"
    assert caught.value.name == "FWP_E_ALREADY_EXISTS"
    assert engine.stats() == stats  # not even a filter id was consumed
    assert snapshot(s) == before


def test_delete_rules_is_all_or_nothing(base):
    s, provider, sublayer, *_ = base
    ids = s.add_rules([port_rule(p, sublayer=sublayer, provider=provider) for p in range(40, 50)])
    before = snapshot(s)
    missing = uuid.uuid4()
    with pytest.raises(wfp.BulkError) as caught:
        s.delete_rules(ids[:5] + [missing] + ids[5:])
    assert caught.value.index == 5
    assert caught.value.rule == missing
    assert isinstance(caught.value.cause, wfp.FilterNotFound)
    assert snapshot(s) == before
    s.delete_rules(ids[:5] + [s.rule(ids[5]).key] + ids[6:])
    assert not set(ids) & {r.id for r in s.rules()}


def test_bulk_error_inside_with_block_aborts_everything(base):
    s, provider, sublayer, existing, _ = base
    before = snapshot(s)
    with pytest.raises(wfp.BulkError):
        with s.transaction():
            s.delete_rule(existing.key)
            s.add_rules(bulk_with_clash(sublayer, provider, uuid.uuid4())[:10]
                        + [port_rule(9, sublayer=uuid.uuid4())])
    assert snapshot(s) == before
