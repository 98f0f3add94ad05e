"""Transactions: commit, abort restoring the exact prior state, no nesting, read-only."""

from __future__ import annotations

import pytest

import wfp

from .helpers import V4, V6, add_base, port_rule, snapshot


class Boom(Exception):
    pass


@pytest.fixture
def populated(static_session):
    """A static session holding a provider, a sublayer and a few rules."""
    provider, sublayer = add_base(static_session)
    static_session.add_rules([port_rule(p, sublayer=sublayer, provider=provider) for p in (1, 2, 3)])
    return static_session, provider, sublayer


def test_commit_applies_everything(populated):
    s, provider, sublayer = populated
    with s.transaction():
        ids = s.add_rules([port_rule(p, sublayer=sublayer) for p in (10, 11)])
        s.add_rule(port_rule(12, sublayer=sublayer, layer=V6))
    assert not s.in_transaction
    assert {r.id for r in s.rules(sublayer=sublayer)} >= set(ids)
    assert len(s.rules(sublayer=sublayer)) == 6


def test_abort_restores_the_exact_prior_state(populated):
    s, provider, sublayer = populated
    before = snapshot(s)
    victim = s.rules(sublayer=sublayer)[0]
    with pytest.raises(Boom):
        with s.transaction():
            new_provider = s.add_provider(wfp.Provider(name="added in txn"))
            new_sublayer = s.add_sublayer(wfp.Sublayer(name="added in txn", provider=new_provider))
            s.add_rules([port_rule(p, sublayer=new_sublayer, provider=new_provider)
                         for p in range(100, 150)])
            s.delete_rule(victim.id)
            s.add_rule(wfp.Rule(key=victim.key, layer=V4, action=wfp.Action.PERMIT,
                                sublayer=sublayer, weight=wfp.WeightRange(9)))
            assert len(s.rules(provider=new_provider)) == 50
            raise Boom()
    assert not s.in_transaction
    assert snapshot(s) == before


def test_failed_commit_or_exception_inside_leaves_no_transaction_open(populated):
    s, _provider, sublayer = populated
    with pytest.raises(wfp.AlreadyExists):
        with s.transaction():
            rule = port_rule(7, sublayer=sublayer)
            s.add_rule(rule)
            s.add_rule(rule)
    # A new transaction can start: the failed one was aborted.
    with s.transaction():
        s.add_rule(port_rule(8, sublayer=sublayer))
    assert [r.name for r in s.rules(sublayer=sublayer) if r.name in ("port 7", "port 8")] == ["port 8"]


def test_nested_transaction_is_rejected_before_the_engine(populated):
    s, _provider, sublayer = populated
    before = snapshot(s)
    with pytest.raises(wfp.TransactionError) as caught:
        with s.transaction():
            s.add_rule(port_rule(20, sublayer=sublayer))
            with s.transaction():
                pytest.fail("a nested transaction must not start")
    assert caught.value.name == "FWP_E_TXN_IN_PROGRESS"
    assert caught.value.call == "FwpmTransactionBegin0"
    # The outer transaction was aborted by the error leaving it.
    assert snapshot(s) == before


def test_read_only_transaction_refuses_writes(populated):
    s, _provider, sublayer = populated
    before = snapshot(s)
    with s.transaction(read_only=True):
        assert snapshot(s) == before
        with pytest.raises(wfp.TransactionError) as caught:
            s.add_rule(port_rule(30, sublayer=sublayer))
        assert caught.value.name == "FWP_E_INCOMPATIBLE_TXN"
    assert snapshot(s) == before


def test_closing_the_session_inside_a_transaction_aborts_it(engine):
    with wfp.Session(dynamic=False, backend=engine) as observer:
        before = snapshot(observer)
        s = wfp.Session(dynamic=False, backend=engine)
        with pytest.raises(wfp.SessionClosed):
            with s.transaction():
                add_base(s)
                s.close()
                s.providers()
        assert snapshot(observer) == before


def test_transaction_yields_the_session(session):
    with session.transaction() as txn:
        assert txn is session
        assert session.in_transaction
