"""The compiled binding (wfp._core) on its own: GUID byte order, interning, strings, errors."""

from __future__ import annotations

import uuid

import pytest

from wfp import _core, _ids

V4_KEY = uuid.UUID(_ids.LAYERS["ALE_AUTH_CONNECT_V4"][0])
V6_KEY = uuid.UUID(_ids.LAYERS["ALE_AUTH_CONNECT_V6"][0])
PORT_KEY = uuid.UUID(_ids.CONDITIONS["IP_REMOTE_PORT"])
# Every byte different, so any byte-order mistake in Data1..Data4 shows.
ODD_KEY = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")


@pytest.fixture
def core():
    handle = _core.SimEngineHandle()
    session = _core.CoreSession("sim", handle, uuid.uuid4(), "binding test", None, False, 0)
    yield session
    session.close()


def filter_tuple(key, name="f", conditions=(), weight=(0, None), layer=V4_KEY):
    return (key, name, None, 0, None, layer, None, weight, conditions,
            _core.ACTION_BLOCK, None, 0, None, None)


def test_layer_guids_come_back_in_uuid_byte_order(core):
    layers = {key: (name, layer_id) for key, name, _d, _f, layer_id, _s, _fields in core.layers()}
    assert layers[V4_KEY][1] == _ids.LAYERS["ALE_AUTH_CONNECT_V4"][1]
    assert layers[V6_KEY][1] == _ids.LAYERS["ALE_AUTH_CONNECT_V6"][1]


def test_a_key_round_trips_through_the_engine(core):
    (filter_id,) = core.add_filters([filter_tuple(ODD_KEY)], False)
    by_key = core.get_filter_by_key(ODD_KEY)
    by_id = core.get_filter_by_id(filter_id)
    assert by_key == by_id
    assert by_key[0] == ODD_KEY and str(by_key[0]) == "00112233-4455-6677-8899-aabbccddeeff"
    assert by_key[14] == filter_id


def test_equal_guids_are_one_object_within_an_enumeration(core):
    layers = core.layers()
    default_sublayers = [layer[5] for layer in layers]
    assert len({id(key) for key in default_sublayers}) == 1
    field_keys = [field[0] for layer in layers for field in layer[6]]
    assert len({id(k) for k in field_keys}) == len(set(field_keys))


def test_condition_values_keep_their_wire_form(core):
    conditions = (
        (PORT_KEY, 0, (2, 443)),
        (PORT_KEY, 5, (0x102, ((2, 1000), (2, 2000)))),
    )
    weight = (4, 2**64 - 1)
    core.add_filters([filter_tuple(ODD_KEY, conditions=conditions, weight=weight)], False)
    got = core.get_filter_by_key(ODD_KEY)
    assert got[8] == conditions
    assert got[7] == weight
    assert got[15] == 2**64 - 1


def test_strings_are_utf16_and_reject_nul(core):
    name = "r\u00e8gle \U0001f525 \u6f22\u5b57"
    core.add_filters([filter_tuple(ODD_KEY, name=name)], False)
    assert core.get_filter_by_key(ODD_KEY)[1] == name
    before = core.filters()
    with pytest.raises(ValueError, match="NUL"):
        core.add_filters([filter_tuple(uuid.uuid4(), name="a\0b")], False)
    with pytest.raises(ValueError, match="NUL"):
        core.add_provider((uuid.uuid4(), "p", "x\0", 0, None, None))
    assert core.filters() == before


def test_core_error_carries_code_call_and_index(core):
    with pytest.raises(_core.CoreError) as caught:
        core.delete_filter_by_key(uuid.uuid4())
    assert caught.value.code == 0x80320003
    assert caught.value.call == "FwpmFilterDeleteByKey0"
    assert caught.value.index is None
    assert "FWP_E_FILTER_NOT_FOUND" in str(caught.value)
    batch = [filter_tuple(uuid.uuid4()) for _ in range(5)]
    batch[3] = filter_tuple(batch[1][0])
    with pytest.raises(_core.CoreError) as caught:
        core.add_filters(batch, True)
    assert (caught.value.code, caught.value.call, caught.value.index) == (0x80320009, "FwpmFilterAdd0", 3)
    assert core.filters() == []


def test_compose_errors_name_the_filter(core):
    with pytest.raises(TypeError) as caught:
        core.add_filters([filter_tuple(uuid.uuid4()), filter_tuple("not a uuid")], True)
    assert "while composing filter 1" in caught.value.__notes__


def test_closed_core_session(core):
    core.close()
    core.close()
    assert core.closed
    with pytest.raises(_core.CoreError) as caught:
        core.layers()
    assert caught.value.code == 0xE0320006


def test_error_tables_and_availability():
    assert _core.error_name(0x80320009) == "FWP_E_ALREADY_EXISTS"
    assert _core.error_message(0x12345678) is None
    assert _core.sim_available()
    loaded, status = _core.win_available()
    assert loaded or status != 0


def test_sim_engine_handle_stats_count_objects(core):
    stats = core.sim_engine.stats()
    core.add_filters([filter_tuple(uuid.uuid4()) for _ in range(3)], True)
    after = core.sim_engine.stats()
    assert after["filters"] == stats["filters"] + 3
    assert after["next_filter_id"] >= stats["next_filter_id"] + 3
