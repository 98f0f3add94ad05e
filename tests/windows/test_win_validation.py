"""Which conditions each common layer accepts, and the exact error codes for bad ones.

Every case is sent as a raw filter tuple (past the Python-side validation) to the real engine and
to the embedded one; the two answers must be the same.  That validates both the embedded
engine's checks and the error table the Python errors are built from.
"""
import ipaddress
import sys
import uuid

import pytest

import wfp
from wfp import _ids

from winhelpers import engine_outcome, rebase

COMMON_LAYERS = [
    "ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6", "ALE_AUTH_RECV_ACCEPT_V4",
    "ALE_AUTH_RECV_ACCEPT_V6", "ALE_AUTH_LISTEN_V4", "ALE_RESOURCE_ASSIGNMENT_V4",
    "ALE_FLOW_ESTABLISHED_V4", "OUTBOUND_TRANSPORT_V4", "INBOUND_TRANSPORT_V4",
    "OUTBOUND_IPPACKET_V4", "INBOUND_IPPACKET_V4",
]
DT = wfp.DataType
FT = wfp.FieldType


def sample_condition(field_name: str, data_type: int, field_type: int):
    """A plausible condition for a field, or None for types we do not compose here."""
    field = wfp.Field[field_name]
    if field_name in ("ALE_APP_ID", "ALE_ORIGINAL_APP_ID"):
        return wfp.Condition(field, wfp.Match.EQUAL, wfp.app_id(sys.executable))
    if field_type == FT.IP_ADDRESS:
        address = "10.1.2.3" if data_type == DT.UINT32 else "fd00::1"
        return wfp.Condition(field, wfp.Match.EQUAL, ipaddress.ip_address(address))
    if field_type == FT.FLAGS:
        return wfp.Condition(field, wfp.Match.FLAGS_ALL_SET, 1)
    by_type = {
        DT.UINT8: 1, DT.UINT16: 1, DT.UINT32: 1, DT.UINT64: 1, DT.INT8: 1, DT.INT16: 1,
        DT.INT32: 1, DT.INT64: 1, DT.BYTE_ARRAY16: bytes(range(16)),
        DT.BYTE_ARRAY6: "00-11-22-33-44-55", DT.BYTE_BLOB: b"w\0f\0p\0\0\0",
        DT.UNICODE_STRING: "wfpkit", DT.SID: "S-1-5-18",
        DT.SECURITY_DESCRIPTOR: "O:SYG:SYD:(A;;CC;;;WD)",
    }
    if data_type not in by_type:
        return None
    return wfp.Condition(field, wfp.Match.EQUAL, by_type[data_type])


def field_cases(layer_name: str):
    cases = []
    for field_name, data_type, field_type in _ids.LAYERS[layer_name][6]:
        condition = sample_condition(field_name, data_type, field_type)
        if condition is None:
            continue
        try:
            rule = wfp.Rule(name=f"{layer_name} {field_name}", layer=wfp.Layer[layer_name],
                            action=wfp.Action.BLOCK, conditions=[condition])
        except wfp.ValidationError:
            continue  # our sample does not fit this field; nothing reaches an engine
        cases.append((field_name, rule._to_wire()))
    return cases


def retyped(wire: tuple, data_type: int, payload) -> tuple:
    """The same filter with its (only) condition value re-typed."""
    wire = list(wire)
    ((field_key, match, _),) = wire[8]
    wire[8] = [(field_key, match, (data_type, payload))]
    return tuple(wire)


@pytest.mark.parametrize("layer_name", COMMON_LAYERS)
def test_layer_accepts_the_same_fields_as_the_embedded_engine(layer_name, real, sim,
                                                              real_objects, sim_objects):
    cases = field_cases(layer_name)
    assert len(cases) >= 5, f"only {len(cases)} fields composed at {layer_name}"
    differences = []
    accepted = 0
    for field_name, wire in cases:
        theirs = engine_outcome(real, [rebase(wire, real_objects)])
        ours = engine_outcome(sim, [rebase(wire, sim_objects)])
        accepted += theirs == "OK"
        if theirs != ours:
            differences.append(f"{field_name}: BFE {theirs}, embedded {ours}")
    assert differences == [], f"{layer_name}:\n" + "\n".join(differences)
    assert accepted >= len(cases) // 2, f"BFE accepted only {accepted} of {len(cases)}"


@pytest.mark.parametrize("layer_name", ["ALE_AUTH_CONNECT_V4", "OUTBOUND_TRANSPORT_V4"])
def test_wrong_data_types_give_the_same_errors(layer_name, real, sim, real_objects, sim_objects):
    """Each field's value sent with a different scalar type than the layer declares."""
    swap = {DT.UINT8: (DT.UINT32, 1), DT.UINT16: (DT.UINT32, 1), DT.UINT32: (DT.UINT16, 1),
            DT.UINT64: (DT.UINT32, 1), DT.BYTE_BLOB: (DT.UINT32, 1),
            DT.BYTE_ARRAY16: (DT.UINT32, 1)}
    differences = []
    tried = 0
    types = {f: dt for f, dt, _ in _ids.LAYERS[layer_name][6]}
    for field_name, wire in field_cases(layer_name):
        declared = types[field_name]
        if declared not in swap:
            continue
        bad = retyped(wire, *swap[declared])
        theirs = engine_outcome(real, [rebase(bad, real_objects)])
        ours = engine_outcome(sim, [rebase(bad, sim_objects)])
        tried += 1
        if theirs == "OK" or theirs != ours:
            differences.append(f"{field_name} as {swap[declared][0].name}: BFE {theirs}, "
                               f"embedded {ours}")
    assert tried >= 3
    assert differences == [], "\n".join(differences)


def bad_filters(objects):
    """(label, filter tuple) pairs, each wrong in one way."""
    port = wfp.Field.IP_REMOTE_PORT.value
    base = rebase(wfp.Rule(name="bad", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                           action=wfp.Action.BLOCK,
                           conditions=[wfp.Field.IP_REMOTE_PORT == 80])._to_wire(), objects)

    def with_(index, value):
        wire = list(base)
        wire[0] = uuid.uuid4()
        wire[index] = value
        return tuple(wire)

    return [
        ("unknown layer", with_(5, uuid.uuid4())),
        ("unknown sublayer", with_(6, uuid.uuid4())),
        ("unknown provider", with_(4, uuid.uuid4())),
        ("field not at the layer", with_(8, [(wfp.Field.ETHER_TYPE.value, 0, (DT.UINT16, 8))])),
        ("unknown field", with_(8, [(uuid.uuid4(), 0, (DT.UINT16, 80))])),
        ("port as UINT32", with_(8, [(port, 0, (DT.UINT32, 80))])),
        ("prefix match on a port", with_(8, [(port, wfp.Match.PREFIX, (DT.UINT16, 80))])),
        ("flags match on an app id", with_(8, [(wfp.Field.ALE_APP_ID.value,
                                                wfp.Match.FLAGS_ALL_SET,
                                                (DT.BYTE_BLOB, b"a\0\0\0"))])),
        ("range low > high", with_(8, [(port, wfp.Match.RANGE,
                                        (DT.RANGE, ((DT.UINT16, 90), (DT.UINT16, 80))))])),
        ("range with mixed types", with_(8, [(port, wfp.Match.RANGE,
                                              (DT.RANGE, ((DT.UINT16, 80), (DT.UINT32, 90))))])),
        ("non-contiguous v4 mask", with_(8, [(wfp.Field.IP_REMOTE_ADDRESS.value, 0,
                                              (DT.V4_ADDR_MASK, (0x0A000000, 0xFF00FF00)))])),
        ("v6 prefix over 128", with_(8, [(wfp.Field.IP_REMOTE_ADDRESS.value, 0,
                                          (DT.V6_ADDR_MASK, (bytes(16), 129)))])),
        ("range weight over 15", with_(7, (DT.UINT8, 16))),
        ("weight of a wrong type", with_(7, (DT.UINT32, 5))),
        ("invalid action type", with_(9, 0x1234)),
        ("callout action without a callout", with_(9, int(wfp.Action.CALLOUT_TERMINATING))),
        ("unknown flag bits", with_(3, 0x80000000)),
    ]


def test_bad_filters_give_the_same_error_codes(real, sim, real_objects, sim_objects):
    real_cases = bad_filters(real_objects)
    sim_cases = bad_filters(sim_objects)
    differences = []
    for (label, real_wire), (_, sim_wire) in zip(real_cases, sim_cases):
        theirs = engine_outcome(real, [real_wire])
        ours = engine_outcome(sim, [sim_wire])
        print(f"{label}: BFE {theirs}, embedded {ours}")
        if theirs == "OK" or theirs != ours:
            differences.append(f"{label}: BFE {theirs}, embedded {ours}")
    assert differences == [], "\n".join(differences)


def test_duplicate_key_is_already_exists_through_the_public_api(real, real_objects):
    rule = wfp.Rule(name="dup", layer=wfp.Layer.ALE_AUTH_CONNECT_V4, action=wfp.Action.BLOCK,
                    sublayer=real_objects.sublayer, provider=real_objects.provider,
                    conditions=[wfp.Field.IP_REMOTE_PORT == 9])
    real.add_rule(rule)
    with pytest.raises(wfp.AlreadyExists) as caught:
        real.add_rule(rule)
    assert caught.value.name == "FWP_E_ALREADY_EXISTS"
