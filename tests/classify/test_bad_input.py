"""Bad input to classify: clear errors that name the layer, field or value, raised before the
engine is asked where Python can tell, and by the engine (same codes) where it cannot."""

from __future__ import annotations

import uuid

import pytest

import wfp
from wfp import _core
from wfp import Field as F

from .conftest import V4, Policy

TYPE_MISMATCH, CONDITION_NOT_FOUND, LAYER_NOT_FOUND = 0x80320027, 0x80320002, 0x80320004
OUT_OF_BOUNDS, DUPLICATE_CONDITION = 0x80320028, 0x8032002A


def test_unknown_layers(session):
    for layer in ("NOT_A_LAYER", uuid.uuid4(), 42):
        with pytest.raises(wfp.ValidationError) as info:
            session.classify(layer, {})
        assert (info.value.code, info.value.field, info.value.value) == (
            LAYER_NOT_FOUND,
            "layer",
            layer,
        )


def test_fields_the_layer_does_not_have(session):
    with pytest.raises(wfp.ValidationError) as info:
        session.classify(wfp.Layer.ALE_RESOURCE_ASSIGNMENT_V4, {F.IP_REMOTE_PORT: 80})
    assert info.value.code == CONDITION_NOT_FOUND
    assert info.value.field == "values[IP_REMOTE_PORT]"
    assert "ALE_RESOURCE_ASSIGNMENT_V4" in info.value.reason
    with pytest.raises(wfp.ValidationError) as info:
        session.classify(V4, {"NO_SUCH_FIELD": 1})
    assert info.value.code == CONDITION_NOT_FOUND and "NO_SUCH_FIELD" in info.value.field


@pytest.mark.parametrize(
    "field,value,code",
    [
        (F.IP_REMOTE_PORT, "eighty", TYPE_MISMATCH),
        (F.IP_REMOTE_PORT, 70000, OUT_OF_BOUNDS),
        (F.IP_REMOTE_PORT, -1, OUT_OF_BOUNDS),
        (F.IP_PROTOCOL, 2.5, TYPE_MISMATCH),
        (F.IP_REMOTE_ADDRESS, "2001:db8::1", TYPE_MISMATCH),  # IPv6 at a V4 layer
        (F.IP_REMOTE_ADDRESS, "10.0.0.0/8", TYPE_MISMATCH),  # a network is not one address
        (F.IP_REMOTE_ADDRESS, "not an address", TYPE_MISMATCH),
        (F.ALE_APP_ID, 12, TYPE_MISMATCH),
        (F.ALE_USER_ID, 12, TYPE_MISMATCH),
        (F.ALE_USER_ID, ["not a SID"], TYPE_MISMATCH),
        (F.IP_LOCAL_INTERFACE, 2**64, OUT_OF_BOUNDS),
    ],
)
def test_values_of_the_wrong_type(session, field, value, code):
    with pytest.raises(wfp.ValidationError) as info:
        session.classify(V4, {field: value})
    assert (info.value.code, info.value.field) == (code, f"values[{field.name}]")


def test_a_field_given_twice_through_an_alias(session):
    with pytest.raises(wfp.ValidationError) as info:
        session.classify(V4, {F.IP_LOCAL_PORT: 1, "ICMP_TYPE": 2})
    assert info.value.field == "values[IP_LOCAL_PORT]"


def test_options(session):
    with pytest.raises(wfp.ValidationError):
        session.classify(V4, {}, record="sometimes")
    with pytest.raises(wfp.ValidationError):
        session.classify(V4, [(F.IP_REMOTE_PORT, 1)])
    with pytest.raises(wfp.ValidationError):
        session.register_callout("not a uuid", wfp.Action.BLOCK)
    with pytest.raises(wfp.ValidationError):
        session.register_callout(uuid.uuid4(), "perhaps")


def test_a_bad_row_is_named_by_its_index(session):
    with pytest.raises(wfp.ValidationError) as info:
        session.classify_many(V4, [{F.IP_REMOTE_PORT: 1}, {F.IP_REMOTE_PORT: "x"}])
    assert info.value.field == "rows[1] values[IP_REMOTE_PORT]"


def test_the_engine_checks_too(session):
    # Straight to the binding, past Python's checks: the engine's own codes come back.
    with pytest.raises(_core.CoreError) as info:
        _core.classify_rows(session._core, V4.value, [[(F.IP_REMOTE_PORT.value, (3, 80))]], 0)
    assert info.value.code == TYPE_MISMATCH and info.value.value_index == 0
    with pytest.raises(_core.CoreError) as info:
        _core.classify_rows(
            session._core,
            V4.value,
            [[(F.IP_REMOTE_PORT.value, (2, 80)), (F.IP_REMOTE_PORT.value, (2, 81))]],
            0,
        )
    assert (info.value.code, info.value.value_index) == (DUPLICATE_CONDITION, 1)
    with pytest.raises(_core.CoreError) as info:
        _core.classify_rows(session._core, uuid.uuid4(), [[]], 0)
    assert info.value.code == LAYER_NOT_FOUND


def test_closed_sessions_and_other_backends(engine):
    session = wfp.Session(name="s", backend=engine)
    session.close()
    with pytest.raises(wfp.SessionClosed):
        session.classify(V4, {})
    with pytest.raises(wfp.SessionClosed):
        session.events()


def test_classify_changes_nothing(session, policy: Policy):
    policy.rule("r", policy.sublayer(0x100), wfp.Action.BLOCK, F.IP_REMOTE_PORT == 1)
    before = session.export()
    with pytest.raises(wfp.ValidationError):
        session.classify(V4, {F.IP_REMOTE_PORT: "x"})
    session.classify(V4, {F.IP_REMOTE_PORT: 1})
    after = session.export()
    assert after["filters"] == before["filters"] and after["sublayers"] == before["sublayers"]
