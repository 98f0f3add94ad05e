"""The ten worked examples of reference §1.6, one layer (ALE_AUTH_CONNECT_V4) each."""

from __future__ import annotations

import wfp
from wfp.classify import CalloutAction, CalloutVerdict, Effect, Outcome

from .conftest import CALLOUT, PORT, V4, Policy

PERMIT, BLOCK = wfp.Action.PERMIT, wfp.Action.BLOCK


def classify(session: wfp.Session, port: int) -> wfp.Decision:
    return session.classify(V4, {PORT: port})


def test_1_first_terminating_filter_in_weight_order_wins(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("F1", s, PERMIT, PORT == 80, weight=10)
    policy.rule("F2", s, BLOCK, weight=5)
    d80 = classify(session, 80)
    assert (d80.action, policy.name_of(d80)) == (PERMIT, "F1")
    # F2 matched too but was never evaluated.
    assert [(st.rule_id, st.outcome) for st in d80.trace[0].steps] == [
        (policy.ids["F1"], Outcome.PERMIT),
        (policy.ids["F2"], Outcome.NOT_EVALUATED),
    ]
    d443 = classify(session, 443)
    assert (d443.action, policy.name_of(d443)) == (BLOCK, "F2")


def test_1_swapped_weights_block_first(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("F1", s, PERMIT, PORT == 80, weight=5)
    policy.rule("F2", s, BLOCK, weight=10)
    d = classify(session, 80)
    assert (d.action, policy.name_of(d)) == (BLOCK, "F2")


def test_2_block_overrides_a_soft_permit(session, policy: Policy):
    policy.rule("A", policy.sublayer(0xFFFF), PERMIT)
    policy.rule("B", policy.sublayer(0x1000), BLOCK, PORT == 445)
    d = classify(session, 445)
    assert (d.action, policy.name_of(d), d.hard) == (BLOCK, "B", True)
    assert [t.effect for t in d.trace] == [Effect.DECIDED, Effect.DECIDED]
    d80 = classify(session, 80)
    assert (d80.action, policy.name_of(d80), d80.hard) == (PERMIT, "A", False)


def test_3_hard_permit_stands_against_a_static_block(session, policy: Policy):
    policy.rule("A", policy.sublayer(0xFFFF), PERMIT, hard=True)
    policy.rule("B", policy.sublayer(0x1000), BLOCK, PORT == 445)
    d = classify(session, 445)
    assert (d.action, policy.name_of(d), d.hard, d.vetoed) == (PERMIT, "A", True, False)
    assert [t.effect for t in d.trace] == [Effect.DECIDED, Effect.OVERRULED]
    assert d.trace[1].action == BLOCK  # the lower sublayer did decide Block, to no effect


def test_4_callout_block_vetoes_a_hard_permit(session, policy: Policy):
    policy.rule("A", policy.sublayer(0xFFFF), PERMIT, hard=True)
    policy.rule("B", policy.sublayer(0x1000), BLOCK, PORT == 445)
    policy.rule("C", policy.sublayer(0x0800), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)
    asked = []

    def model(call: wfp.CalloutCall):
        asked.append(call.may_write)
        return CalloutAction.BLOCK

    d = session.classify(V4, {PORT: 445}, callouts={CALLOUT: model})
    assert (d.action, policy.name_of(d), d.vetoed, d.hard) == (BLOCK, "C", True, True)
    assert asked == [False]  # called without the write right
    assert d.trace[2].effect == Effect.VETOED


def test_4_callout_permit_without_the_right_is_ignored(session, policy: Policy):
    policy.rule("A", policy.sublayer(0xFFFF), PERMIT, hard=True)
    policy.rule("C", policy.sublayer(0x0800), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)
    d = session.classify(V4, {PORT: 445}, callouts={CALLOUT: PERMIT})
    assert (d.action, policy.name_of(d), d.vetoed) == (PERMIT, "A", False)
    assert d.trace[1].steps[0].outcome == Outcome.IGNORED
    assert d.trace[1].effect == Effect.ABSTAINED


def test_5_hard_block_is_final(session, policy: Policy):
    policy.rule("block", policy.sublayer(0xFFFF), BLOCK, PORT == 445)
    policy.rule("hard permit", policy.sublayer(0x1000), PERMIT, PORT == 445, hard=True)
    d = classify(session, 445)
    assert (d.action, policy.name_of(d)) == (BLOCK, "block")
    assert d.trace[1].effect == Effect.OVERRULED


def test_6_soft_block_from_a_callout_can_be_permitted_lower(session, policy: Policy):
    policy.rule("callout", policy.sublayer(0xFFFF), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT)
    policy.rule("permit", policy.sublayer(0x1000), PERMIT)
    soft_block = CalloutVerdict(CalloutAction.BLOCK, hard=False)
    d = session.classify(V4, {PORT: 1}, callouts={CALLOUT: soft_block})
    assert (d.action, policy.name_of(d)) == (PERMIT, "permit")
    assert d.trace[0].action == BLOCK and not d.trace[0].hard
    # By default a callout's Block clears the right, as the WDK sample does: then it stands.
    d_default = session.classify(V4, {PORT: 1}, callouts={CALLOUT: BLOCK})
    assert (d_default.action, policy.name_of(d_default)) == (BLOCK, "callout")


def test_7_inspection_callout_continues_and_is_invoked(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("F1", s, wfp.Action.CALLOUT_INSPECTION, callout=CALLOUT, weight=20)
    policy.rule("F2", s, PERMIT, weight=10)
    calls = []
    d = session.classify(
        V4,
        {PORT: 1},
        callouts={CALLOUT: lambda call: calls.append(call.rule_id) or CalloutAction.CONTINUE},
    )
    assert (d.action, policy.name_of(d)) == (PERMIT, "F2")
    assert calls == [policy.ids["F1"]]
    assert d.trace[0].steps[0].outcome == Outcome.CONTINUE


def test_7_an_inspection_callout_cannot_terminate(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("F1", s, wfp.Action.CALLOUT_INSPECTION, callout=CALLOUT, weight=20)
    policy.rule("F2", s, PERMIT, weight=10)
    d = session.classify(V4, {PORT: 1}, callouts={CALLOUT: BLOCK})  # "treated as CONTINUE"
    assert (d.action, policy.name_of(d)) == (PERMIT, "F2")


def test_8_unregistered_callout_blocks(session, policy: Policy):
    policy.rule(
        "F1", policy.sublayer(0x100), wfp.Action.CALLOUT_TERMINATING, callout=CALLOUT, weight=20
    )
    d = classify(session, 1)
    assert (d.action, policy.name_of(d), d.hard) == (BLOCK, "F1", True)
    step = d.trace[0].steps[0]
    assert step.unregistered and step.callout and step.outcome == Outcome.BLOCK


def test_8_unregistered_callout_with_permit_if_missing_permits(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule(
        "F1",
        s,
        wfp.Action.CALLOUT_TERMINATING,
        callout=CALLOUT,
        weight=20,
        permit_if_callout_missing=True,
    )
    policy.rule("F2", s, BLOCK, weight=10)
    d = classify(session, 1)
    assert (d.action, policy.name_of(d), d.hard) == (PERMIT, "F1", False)


def test_9_any_weight_range_beats_automatic_weights(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule(
        "F1",
        s,
        BLOCK,
        PORT == 1,
        wfp.Field.IP_PROTOCOL == 6,
        wfp.Field.IP_REMOTE_ADDRESS == "10.0.0.1",
    )
    policy.rule("F2", s, PERMIT, weight=wfp.WeightRange(1))
    d = session.classify(
        V4, {PORT: 1, wfp.Field.IP_PROTOCOL: 6, wfp.Field.IP_REMOTE_ADDRESS: "10.0.0.1"}
    )
    assert (d.action, policy.name_of(d)) == (PERMIT, "F2")
    assert d.trace[0].steps[1].outcome == Outcome.NOT_EVALUATED


def test_10_no_match_is_permitted_by_default(session, policy: Policy):
    policy.rule("F1", policy.sublayer(0x100), BLOCK, PORT == 445)
    d = classify(session, 80)
    assert d.action == PERMIT and not d.decided and d.rule is None and d.rule_id is None
    assert d.trace[0].effect == Effect.ABSTAINED and d.trace[0].steps == ()
    assert "no rule decided" in str(d)
