"""Arbitration beyond the worked examples: callout models, ties, boot time, the trace and str()."""

from __future__ import annotations

import threading

import pytest

import wfp
from wfp.classify import CalloutAction, CalloutVerdict, Effect, Outcome

from .conftest import CALLOUT, OTHER_CALLOUT, PORT, V4, V6, Policy

PERMIT, BLOCK = wfp.Action.PERMIT, wfp.Action.BLOCK


def test_soft_and_hard_across_two_sublayers(session, policy: Policy):
    top, bottom = policy.sublayer(0x9000), policy.sublayer(0x1000)
    policy.rule("soft permit", top, PERMIT, PORT == 22)
    policy.rule("hard permit", top, PERMIT, PORT == 3389, hard=True)
    policy.rule("block all", bottom, BLOCK)
    soft = session.classify(V4, {PORT: 22})
    hard = session.classify(V4, {PORT: 3389})
    assert (soft.action, policy.name_of(soft)) == (BLOCK, "block all")
    assert (hard.action, policy.name_of(hard), hard.hard) == (PERMIT, "hard permit", True)


def test_a_lower_soft_decision_replaces_a_higher_soft_one(session, policy: Policy):
    policy.rule("top", policy.sublayer(0x9000), PERMIT)
    policy.rule("bottom", policy.sublayer(0x1000), PERMIT)
    d = session.classify(V4, {PORT: 1})
    assert policy.name_of(d) == "bottom"
    assert [t.effect for t in d.trace] == [Effect.DECIDED, Effect.DECIDED]


def test_equal_sublayer_weights_go_in_insertion_order(session, policy: Policy):
    first, second = policy.sublayer(0x5000, "first"), policy.sublayer(0x5000, "second")
    policy.rule("second block", second, BLOCK)
    policy.rule("first hard permit", first, PERMIT, hard=True)
    d = session.classify(V4, {PORT: 1})
    assert [t.sublayer for t in d.trace] == [first, second]
    assert policy.name_of(d) == "first hard permit"


def test_equal_filter_weights_are_ordered_by_id_and_flagged(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("older", s, PERMIT, weight=7)
    policy.rule("newer", s, BLOCK, weight=7)
    d = session.classify(V4, {PORT: 1})
    assert policy.name_of(d) == "older"
    assert [st.tie for st in d.trace[0].steps] == [False, True]
    assert "tie on weight" in str(d)


def test_callout_answers_are_normalised_by_action_type(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("terminating", s, wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT, weight=20)
    policy.rule("fallback", s, PERMIT, weight=10)
    # A terminating callout that answers Continue is treated as Block [D: FWPS_ACTION0].
    d = session.classify(V4, {PORT: 1}, callouts={CALLOUT: CalloutAction.CONTINUE})
    assert (d.action, policy.name_of(d)) == (BLOCK, "terminating")


def test_unknown_callout_may_continue(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("unknown", s, wfp.Action.CALLOUT_UNKNOWN, callout=CALLOUT, weight=20)
    policy.rule("fallback", s, BLOCK, weight=10)
    for answer, expected in (
        (CalloutAction.CONTINUE, "fallback"),
        (CalloutAction.PERMIT, "unknown"),
    ):
        d = session.classify(V4, {PORT: 1}, callouts={CALLOUT: answer})
        assert policy.name_of(d) == expected


def test_unregistered_inspection_callout_is_skipped(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("inspect", s, wfp.Action.CALLOUT_INSPECTION, callout=CALLOUT, weight=20)
    policy.rule("block", s, BLOCK, weight=10)
    d = session.classify(V4, {PORT: 1})
    assert policy.name_of(d) == "block"
    assert (d.trace[0].steps[0].outcome, d.trace[0].steps[0].unregistered) == (
        Outcome.SKIPPED,
        True,
    )


def test_callout_permit_hardness_follows_the_rule_flag(session, policy: Policy):
    policy.rule(
        "callout",
        policy.sublayer(0x9000),
        wfp.Action.CALLOUT_TERMINATING,
        callout=CALLOUT,
        hard=True,
    )
    policy.rule("block", policy.sublayer(0x1000), BLOCK)
    d = session.classify(V4, {PORT: 1}, callouts={CALLOUT: PERMIT})
    assert (d.action, policy.name_of(d), d.hard) == (PERMIT, "callout", True)
    explicit_soft = session.classify(
        V4, {PORT: 1}, callouts={CALLOUT: CalloutVerdict(PERMIT, hard=False)}
    )
    assert (explicit_soft.action, policy.name_of(explicit_soft)) == (BLOCK, "block")


def test_registered_models_and_per_call_overrides(session, policy: Policy):
    policy.rule("c1", policy.sublayer(0x100), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)
    session.register_callout(CALLOUT, PERMIT)
    assert session.classify(V4, {PORT: 1}).action == PERMIT
    assert session.classify(V4, {PORT: 1}, callouts={CALLOUT: BLOCK}).action == BLOCK
    session.unregister_callout(CALLOUT)
    d = session.classify(V4, {PORT: 1})
    assert d.action == BLOCK and d.trace[0].steps[0].unregistered
    # A model for another callout does not register this one.
    d = session.classify(V4, {PORT: 1}, callouts={OTHER_CALLOUT: PERMIT})
    assert d.trace[0].steps[0].unregistered


def test_callable_model_sees_the_call(session, policy: Policy):
    rule_id = policy.rule(
        "c1", policy.sublayer(0x100), wfp.Action.CALLOUT_TERMINATING, PORT == 53, callout=CALLOUT
    )
    seen = []

    def model(call: wfp.CalloutCall):
        seen.append(call)
        return BLOCK if call.values[PORT] == 53 else PERMIT

    session.classify(V4, {PORT: 53, wfp.Field.IP_PROTOCOL: "udp"}, callouts={CALLOUT: model})
    (call,) = seen
    assert (call.callout, call.rule_id, call.layer, call.action, call.may_write, call.hard) == (
        CALLOUT,
        rule_id,
        V4,
        wfp.Action.CALLOUT_TERMINATING,
        True,
        False,
    )
    assert call.values == {PORT: 53, wfp.Field.IP_PROTOCOL: "udp"}


def test_model_exception_propagates_and_nothing_breaks(session, policy: Policy):
    policy.rule("c1", policy.sublayer(0x100), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)

    def broken(call):
        raise RuntimeError("driver model failed")

    with pytest.raises(RuntimeError, match="driver model failed"):
        session.classify(V4, {PORT: 1}, callouts={CALLOUT: broken})
    with pytest.raises(wfp.ValidationError):
        session.classify(V4, {PORT: 1}, callouts={CALLOUT: lambda call: "maybe"})
    assert session.classify(V4, {PORT: 1}, callouts={CALLOUT: PERMIT}).action == PERMIT


def test_a_model_may_read_the_engine_during_classify(session, policy: Policy):
    policy.rule("c1", policy.sublayer(0x100), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)
    names = []

    def model(call):
        names.append(session.rule(call.rule_id).name)  # re-enters the engine: no deadlock
        return PERMIT

    assert session.classify(V4, {PORT: 1}, callouts={CALLOUT: model}).action == PERMIT
    assert names == ["c1"]


def test_a_model_that_changes_rules_makes_classify_start_over(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("c1", s, wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT, weight=10)
    added = []

    def model(call):
        if not added:
            added.append(policy.rule("late permit", s, PERMIT, weight=20))
        return BLOCK

    # Writes wait behind a classify, except the classifying session's own transaction's.
    with session.transaction():
        d = session.classify(V4, {PORT: 1}, callouts={CALLOUT: model})
    assert (d.action, policy.name_of(d)) == (PERMIT, "late permit")


def test_models_run_while_other_threads_use_the_engine(engine, session, policy: Policy):
    policy.rule("c1", policy.sublayer(0x100), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)
    errors = []

    def reader():
        try:
            with wfp.Session(name="reader", backend=engine) as other:
                for _ in range(50):
                    other.classify(V4, {PORT: 2}, callouts={CALLOUT: PERMIT})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    for _ in range(50):
        assert (
            session.classify(V4, {PORT: 1}, callouts={CALLOUT: lambda call: BLOCK}).action == BLOCK
        )
    thread.join()
    assert errors == []


def test_boot_time_rules_apply_only_in_boot_mode(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("boot block", s, BLOCK, boot_time=True)
    policy.rule("runtime permit", s, PERMIT, weight=1)
    assert policy.name_of(session.classify(V4, {PORT: 1})) == "runtime permit"
    assert policy.name_of(session.classify(V4, {PORT: 1}, boot_time=True)) == "boot block"


def test_layers_are_independent(session, policy: Policy):
    policy.rule("v6 block", policy.sublayer(0x100), BLOCK, layer=V6)
    assert not session.classify(V4, {PORT: 1}).decided
    assert session.classify(V6, {PORT: 1}).action == BLOCK


def test_trace_off_keeps_the_decision(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("F1", s, PERMIT, PORT == 80, weight=10)
    policy.rule("F2", s, BLOCK, weight=5)
    with_trace = session.classify(V4, {PORT: 80})
    without = session.classify(V4, {PORT: 80}, trace=False)
    assert without.trace == ()
    assert (without.action, without.rule_id, without.sublayer, without.hard) == (
        with_trace.action,
        with_trace.rule_id,
        with_trace.sublayer,
        with_trace.hard,
    )


def test_decision_names_its_rule_and_reads_well(session, policy: Policy):
    s = policy.sublayer(0x100, "corp firewall")
    policy.rule("block telnet", s, BLOCK, PORT == 23)
    d = session.classify(V4, {PORT: 23})
    assert d.rule.name == "block telnet" and d.rule.key == policy.keys["block telnet"]
    assert d.sublayer == s and d.trace[0].steps[0].rule.name == "block telnet"
    text = str(d)
    assert text.splitlines()[0] == (
        f"BLOCK at ALE_AUTH_CONNECT_V4 by rule 'block telnet' "
        f"(id {policy.ids['block telnet']}) in sublayer 'corp firewall' (hard)"
    )
    assert "sublayer 'corp firewall' (weight 0x0100): BLOCK, decided" in text


def test_decision_rule_is_none_once_deleted(session, policy: Policy):
    policy.rule("gone", policy.sublayer(0x100), BLOCK)
    d = session.classify(V4, {PORT: 1})
    session.delete_rule(policy.ids["gone"])
    assert d.rule is None and d.rule_id == policy.ids["gone"]


def test_classify_inside_a_transaction_sees_its_own_changes(session, policy: Policy):
    s = policy.sublayer(0x100)
    with pytest.raises(RuntimeError):
        with session.transaction():
            policy.rule("pending", s, BLOCK)
            assert session.classify(V4, {PORT: 1}).action == BLOCK
            raise RuntimeError("abort")
    assert not session.classify(V4, {PORT: 1}).decided


def test_classify_many_matches_single_classifies(session, policy: Policy):
    s = policy.sublayer(0x100)
    for port in range(0, 40, 3):
        policy.rule(f"p{port}", s, BLOCK if port % 2 else PERMIT, PORT == port)
    rows = [{PORT: port} for port in range(40)]
    many = session.classify_many(V4, rows, trace=True)
    assert many == [session.classify(V4, row) for row in rows]


def test_classify_many_calls_python_models_with_the_gil_released(session, policy: Policy):
    policy.rule("c1", policy.sublayer(0x100), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)
    rows = [{PORT: port} for port in range(10)]
    decisions = session.classify_many(
        V4, rows, callouts={CALLOUT: lambda call: PERMIT if call.values[PORT] % 2 else BLOCK}
    )
    assert [d.action for d in decisions] == [PERMIT if p % 2 else BLOCK for p in range(10)]
    assert session.classify_many(V4, []) == []


def test_the_engine_runs_without_the_gil(session, policy: Policy):
    """With a huge switch interval, another thread gets the GIL only if the batch gives it up."""
    import sys
    import time

    from wfp import _core, classify

    s = policy.sublayer(0x100)
    for port in range(64):
        policy.rule(f"p{port}", s, BLOCK if port % 2 else PERMIT, PORT == port)
    rows = [classify.encode_values(V4, {PORT: i % 64}) for i in range(300_000)]
    go = threading.Event()
    finished = []

    def spin():
        go.wait()
        for _ in range(20_000):
            pass
        finished.append(time.perf_counter())

    old = sys.getswitchinterval()
    sys.setswitchinterval(30)
    try:
        thread = threading.Thread(target=spin)
        thread.start()
        go.set()
        _core.classify_rows(session._core, V4.value, rows, 0)
        returned = time.perf_counter()
        thread.join()
    finally:
        sys.setswitchinterval(old)
    assert finished and finished[0] < returned
