"""Session lifetime on the real engine: dynamic objects vanish, static ones stay, closed is closed."""
import uuid

import pytest

import wfp

from winhelpers import Objects


def one_rule(objects, port=7):
    return wfp.Rule(name="lifetime", layer=wfp.Layer.ALE_AUTH_CONNECT_V4, action=wfp.Action.BLOCK,
                    sublayer=objects.sublayer, provider=objects.provider,
                    conditions=[wfp.Field.IP_REMOTE_PORT == port])


def test_dynamic_objects_are_gone_after_close():
    with wfp.Session(name="dynamic", backend="fwpuclnt") as first:
        objects = Objects(first)
        rule = one_rule(objects)
        rule_id = first.add_rule(rule)
    with wfp.Session(name="observer", backend="fwpuclnt") as observer:
        with pytest.raises(wfp.FilterNotFound):
            observer.rule(rule_id)
        with pytest.raises(wfp.SublayerNotFound):
            observer.sublayer(objects.sublayer)
        with pytest.raises(wfp.ProviderNotFound):
            observer.provider(objects.provider)


def test_static_objects_outlive_their_session():
    key = uuid.uuid4()
    with wfp.Session(name="static", dynamic=False, backend="fwpuclnt") as first:
        first.add_provider(wfp.Provider(key=key, name="wfpkit static test"))
    try:
        with wfp.Session(name="observer", backend="fwpuclnt") as observer:
            assert observer.provider(key).name == "wfpkit static test"
    finally:
        with wfp.Session(name="cleanup", dynamic=False, backend="fwpuclnt") as cleanup:
            cleanup.delete_provider(key)


def test_a_dynamic_session_cannot_own_persistent_objects(real):
    with pytest.raises(wfp.WFPError) as caught:
        real.add_provider(wfp.Provider(name="persistent from dynamic", persistent=True))
    assert caught.value.name in ("FWP_E_DYNAMIC_SESSION_IN_PROGRESS", "FWP_E_LIFETIME_MISMATCH")


def test_a_closed_session_raises_instead_of_crashing():
    session = wfp.Session(name="closed", backend="fwpuclnt")
    session.close()
    session.close()  # idempotent
    with pytest.raises(wfp.SessionClosed):
        session.rules()
    with pytest.raises(wfp.SessionClosed):
        session.add_provider(wfp.Provider(name="too late"))
