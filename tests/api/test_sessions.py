"""Sessions: backends, lifetime of dynamic and static objects, closing, locking between sessions."""

from __future__ import annotations

import os
import time
import uuid

import pytest

import wfp

from .helpers import V4, add_base, port_rule, snapshot


def test_backend_names():
    with wfp.Session(backend="sim") as s:
        assert s.backend == "sim"
        assert s.engine is None
    engine = wfp.SimEngine()
    with wfp.Session(backend=engine) as s:
        assert s.backend == "sim"
        assert s.engine is engine


@pytest.mark.skipif(os.name == "nt", reason="auto means fwpuclnt on Windows")
def test_auto_backend_is_the_embedded_engine_off_windows():
    with wfp.Session() as s:
        assert s.backend == "sim"


@pytest.mark.skipif(os.name == "nt", reason="fwpuclnt exists on Windows")
def test_fwpuclnt_backend_is_unsupported_off_windows():
    with pytest.raises(wfp.Unsupported) as caught:
        wfp.Session(backend="fwpuclnt")
    assert caught.value.name == "WFPKIT_E_UNSUPPORTED"


@pytest.mark.parametrize("backend", ["windows", "", None, 3])
def test_unknown_backend_is_rejected(backend):
    with pytest.raises(wfp.ValidationError) as caught:
        wfp.Session(backend=backend)
    assert caught.value.field == "backend"


def test_close_is_idempotent_and_context_manager_closes(engine):
    s = wfp.Session(backend=engine)
    assert not s.closed
    s.close()
    s.close()
    assert s.closed
    with wfp.Session(backend=engine) as t:
        pass
    assert t.closed


CLOSED_CALLS = {
    "layers": lambda s: s.layers(),
    "providers": lambda s: s.providers(),
    "add_provider": lambda s: s.add_provider(wfp.Provider(name="p")),
    "delete_provider": lambda s: s.delete_provider(uuid.uuid4()),
    "sublayers": lambda s: s.sublayers(),
    "add_sublayer": lambda s: s.add_sublayer(wfp.Sublayer(name="s")),
    "delete_sublayer": lambda s: s.delete_sublayer(uuid.uuid4()),
    "rules": lambda s: s.rules(),
    "rule": lambda s: s.rule(1),
    "add_rule": lambda s: s.add_rule(wfp.Rule(layer=V4, action=wfp.Action.BLOCK)),
    "add_rules": lambda s: s.add_rules([wfp.Rule(layer=V4, action=wfp.Action.BLOCK)]),
    "delete_rule": lambda s: s.delete_rule(1),
    "delete_rules": lambda s: s.delete_rules([1]),
    "transaction": lambda s: s.transaction().__enter__(),
}


@pytest.mark.parametrize("call", sorted(CLOSED_CALLS))
def test_every_call_on_a_closed_session_raises_session_closed(engine, call):
    with wfp.Session(backend=engine, dynamic=False) as observer:
        before = snapshot(observer)
        s = wfp.Session(backend=engine)
        s.close()
        with pytest.raises(wfp.SessionClosed) as caught:
            CLOSED_CALLS[call](s)
        assert caught.value.name == "WFPKIT_E_SESSION_CLOSED"
        assert snapshot(observer) == before


def test_dynamic_objects_go_when_their_session_closes(engine):
    with wfp.Session(name="observer", dynamic=False, backend=engine) as observer:
        before = snapshot(observer)
        dynamic = wfp.Session(name="dynamic", backend=engine)
        provider, sublayer = add_base(dynamic)
        rule_id = dynamic.add_rule(port_rule(80, sublayer=sublayer, provider=provider))
        assert observer.rule(rule_id).provider == provider
        assert provider in {p.key for p in observer.providers()}
        dynamic.close()
        assert snapshot(observer) == before
        with pytest.raises(wfp.FilterNotFound):
            observer.rule(rule_id)


def test_static_objects_stay_for_another_session(engine):
    with wfp.Session(name="writer", dynamic=False, backend=engine) as writer:
        provider, sublayer = add_base(writer)
        rule = port_rule(443, sublayer=sublayer, provider=provider, weight=7)
        rule_id = writer.add_rule(rule)
    with wfp.Session(name="reader", backend=engine) as reader:
        back = reader.rule(rule.key)
        assert back == rule
        assert back.id == rule_id
        assert reader.sublayer(sublayer).provider == provider
        assert reader.provider(provider).name == "test provider"


def test_sessions_on_different_engines_are_isolated():
    with wfp.Session(backend=wfp.SimEngine(), dynamic=False) as one, \
            wfp.Session(backend=wfp.SimEngine(), dynamic=False) as other:
        before = snapshot(other)
        add_base(one)
        assert snapshot(other) == before


def test_a_session_times_out_against_another_sessions_transaction(engine):
    with wfp.Session(name="holder", backend=engine) as holder, \
            wfp.Session(name="waiter", backend=engine, txn_timeout_ms=100) as waiter:
        before = snapshot(waiter)
        with holder.transaction():
            holder.add_provider(wfp.Provider(name="held"))
            started = time.monotonic()
            with pytest.raises(wfp.Timeout) as caught:
                waiter.add_provider(wfp.Provider(name="blocked"))
            waited = time.monotonic() - started
        assert caught.value.name == "FWP_E_TIMEOUT"
        assert isinstance(caught.value, TimeoutError)
        assert 0.09 <= waited < 5
        # Once the holder committed, the waiter gets through and sees the committed provider.
        waiter.add_provider(wfp.Provider(name="after"))
        names = {p.name for p in waiter.providers()} - {p.name for p in before[0]}
        assert names == {"held", "after"}


def test_session_key_and_repr(engine):
    with wfp.Session(name="named", backend=engine) as s:
        assert isinstance(s.key, uuid.UUID)
        assert "open" in repr(s)
    assert "closed" in repr(s)


def test_session_name_with_nul_is_rejected_before_the_engine(engine):
    before = engine.stats()
    with pytest.raises(wfp.ValidationError) as caught:
        wfp.Session(name="a\0b", backend=engine)
    assert caught.value.field == "name"
    assert engine.stats() == before
