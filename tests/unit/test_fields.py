"""Layers, fields, conditions and their wire encoding (wfp.fields), without an engine."""

import ipaddress
import pickle
import uuid

import pytest
from hypothesis import given, strategies as st

from wfp import _ids
from wfp.errors import ValidationError
from wfp.fields import (
    Condition, DataType, Field, FieldType, Layer, Match, Range, RawValue, coerce_field,
    coerce_layer, decode_condition, decode_value, encode_condition, encode_conditions,
)
from wfp.security import SecurityDescriptor, sddl_to_sd, sid_to_bytes

V4 = Layer.ALE_AUTH_CONNECT_V4
V6 = Layer.ALE_AUTH_CONNECT_V6
IP4 = ipaddress.IPv4Address
IP6 = ipaddress.IPv6Address
NET4 = ipaddress.IPv4Network
NET6 = ipaddress.IPv6Network

EVERYONE_MATCH_SD = bytes.fromhex(
    "01 00 04 80 00000000 00000000 00000000 14000000" "02 00 1c00 0100 0000"
    "00 00 1400 01000000" "01 01 000000000001 00000000")


def encode_one(layer, condition, **kw):
    (wire,) = encode_conditions(layer, [condition], **kw)
    return wire


def value_of(layer, condition):
    return encode_one(layer, condition)[2]


def rejected(layer, conditions):
    with pytest.raises(ValidationError) as info:
        encode_conditions(layer, conditions)
    return info.value


# ---------------------------------------------------------------------------------- enums

def test_enums_mirror_the_identifier_tables():
    assert len(Layer) == len(_ids.LAYERS)
    for name, row in _ids.LAYERS.items():
        assert Layer[name].value == uuid.UUID(row[0])
    canonical = [n for n in _ids.CONDITIONS if n not in _ids.ALIASES]
    assert len(Field) == len(canonical)
    for name, guid in _ids.CONDITIONS.items():
        assert Field[name].value == uuid.UUID(guid)
    assert Layer.ALE_AUTH_CONNECT_V4.value == uuid.UUID("c38d57d1-05a7-4c33-904f-7fbceee60e82")
    assert Field.IP_REMOTE_PORT.value == uuid.UUID("c35a604d-d22b-4e1a-91b4-68f674ee674b")


def test_sdk_aliases_are_enum_aliases():
    assert Field.ICMP_TYPE is Field.IP_LOCAL_PORT
    assert Field.ICMP_CODE is Field.IP_REMOTE_PORT
    assert Field.LOCAL_INTERFACE_INDEX is Field.INTERFACE_INDEX
    assert Field.INTERFACE is Field.IP_LOCAL_INTERFACE
    assert Field.ICMP_TYPE.name == "IP_LOCAL_PORT"


def test_field_members_compare_and_hash_as_members():
    assert (Field.IP_LOCAL_PORT == Field.IP_LOCAL_PORT) is True
    assert (Field.IP_LOCAL_PORT == Field.IP_REMOTE_PORT) is False
    assert (Field.IP_LOCAL_PORT != Field.IP_REMOTE_PORT) is True
    assert (Field.IP_LOCAL_PORT != Field.ICMP_TYPE) is False
    table = {Field.IP_LOCAL_PORT: "local", Field.IP_REMOTE_PORT: "remote"}
    assert table[Field.ICMP_CODE] == "remote"
    assert Field.FLAGS in [Field.IP_PROTOCOL, Field.FLAGS]
    assert Field.FLAGS not in {Field.IP_PROTOCOL}
    assert len({Field.IP_LOCAL_PORT, Field.ICMP_TYPE}) == 1
    assert Field(Field.FLAGS.value) is Field.FLAGS
    assert pickle.loads(pickle.dumps(Field.ICMP_TYPE)) is Field.IP_LOCAL_PORT
    assert pickle.loads(pickle.dumps(V6)) is V6


def test_layer_properties():
    assert V4.layer_id == 48 and V6.layer_id == 50
    assert not V4.is_v6 and V6.is_v6
    assert V4.is_ale and not Layer.INBOUND_IPPACKET_V4.is_ale
    assert Layer.RPC_UM.is_user_mode and not V4.is_user_mode
    assert V4.key == V4.value
    fields = V4.fields
    assert next(iter(fields)) is Field.ALE_APP_ID  # FWPS index order
    assert fields[Field.IP_REMOTE_ADDRESS] == (DataType.UINT32, FieldType.IP_ADDRESS)
    assert V6.fields[Field.IP_REMOTE_ADDRESS] == (DataType.BYTE_ARRAY16, FieldType.IP_ADDRESS)
    assert fields[Field.IP_REMOTE_PORT] == (DataType.UINT16, FieldType.RAW_DATA)
    assert fields[Field.FLAGS] == (DataType.UINT32, FieldType.FLAGS)
    assert fields[Field.ALE_USER_ID] == (DataType.TOKEN_ACCESS_INFORMATION, FieldType.RAW_DATA)
    assert Field.IP_REMOTE_PORT not in Layer.ALE_AUTH_LISTEN_V4.fields
    fields.clear()  # a copy: the layer's table is not changed
    assert Field.ALE_APP_ID in V4.fields


def test_stand_in_condition_is_available_where_its_field_is():
    accept = Layer.ALE_AUTH_RECV_ACCEPT_V4
    assert Field.ALE_REAUTH_REASON not in accept.fields
    assert accept.field_info(Field.ALE_REAUTH_REASON) == accept.fields[Field.REAUTHORIZE_REASON]
    wire = encode_one(accept, Field.ALE_REAUTH_REASON.all_set(1))
    assert wire == (Field.ALE_REAUTH_REASON.value, Match.FLAGS_ALL_SET, (DataType.UINT32, 1))


def test_match_values_are_the_sdk_values():
    assert [m.value for m in Match] == list(range(13))
    assert Match.PREFIX == 11 and Match.NOT_PREFIX == 12
    assert "suffix" in Match.__doc__


# ---------------------------------------------------------------------------------- coercion

@pytest.mark.parametrize("spelling", [
    "ALE_AUTH_CONNECT_V4", "ale_auth_connect_v4", "FWPM_LAYER_ALE_AUTH_CONNECT_V4",
    "fwpm_layer_ale_auth_connect_v4", "LAYER_ALE_AUTH_CONNECT_V4",
    "c38d57d1-05a7-4c33-904f-7fbceee60e82", "{C38D57D1-05A7-4C33-904F-7FBCEEE60E82}",
    uuid.UUID("c38d57d1-05a7-4c33-904f-7fbceee60e82"), V4,
])
def test_coerce_layer_spellings(spelling):
    assert coerce_layer(spelling) is V4


@pytest.mark.parametrize("unknown", ["ALE_AUTH_CONNECT_V5", uuid.UUID(int=7), "1234", 48, None])
def test_coerce_layer_unknown(unknown):
    with pytest.raises(ValidationError) as info:
        coerce_layer(unknown)
    assert info.value.name == "FWP_E_LAYER_NOT_FOUND"
    assert info.value.code == 0x80320004
    assert repr(unknown) in str(info.value)


@pytest.mark.parametrize("spelling", [
    "IP_REMOTE_PORT", "ip_remote_port", "FWPM_CONDITION_IP_REMOTE_PORT", "CONDITION_IP_REMOTE_PORT",
    "icmp_code", "c35a604d-d22b-4e1a-91b4-68f674ee674b",
    uuid.UUID("c35a604d-d22b-4e1a-91b4-68f674ee674b"), Field.IP_REMOTE_PORT,
])
def test_coerce_field_spellings(spelling):
    assert coerce_field(spelling) is Field.IP_REMOTE_PORT


@pytest.mark.parametrize("unknown", ["IP_REMOTE_PORTS", uuid.UUID(int=9), 3])
def test_coerce_field_unknown(unknown):
    with pytest.raises(ValidationError) as info:
        coerce_field(unknown)
    assert info.value.name == "FWP_E_CONDITION_NOT_FOUND"
    assert repr(unknown) in str(info.value)


# ---------------------------------------------------------------------------------- sugar

@pytest.mark.parametrize("built, match, value", [
    (Field.IP_REMOTE_PORT == 53, Match.EQUAL, 53),
    (Field.IP_REMOTE_PORT != 53, Match.NOT_EQUAL, 53),
    (Field.IP_REMOTE_PORT < 53, Match.LESS, 53),
    (Field.IP_REMOTE_PORT <= 53, Match.LESS_OR_EQUAL, 53),
    (Field.IP_REMOTE_PORT > 53, Match.GREATER, 53),
    (Field.IP_REMOTE_PORT >= 53, Match.GREATER_OR_EQUAL, 53),
    (53 == Field.IP_REMOTE_PORT, Match.EQUAL, 53),
    (53 < Field.IP_REMOTE_PORT, Match.GREATER, 53),        # 53 < port  <=>  port > 53
    (53 >= Field.IP_REMOTE_PORT, Match.LESS_OR_EQUAL, 53),
    (Field.IP_REMOTE_PORT.between(1000, 2000), Match.RANGE, Range(1000, 2000)),
    (Field.FLAGS.all_set(0x41), Match.FLAGS_ALL_SET, 0x41),
    (Field.FLAGS.any_set(0x41), Match.FLAGS_ANY_SET, 0x41),
    (Field.FLAGS.none_set(0x41), Match.FLAGS_NONE_SET, 0x41),
    (Field.ALE_APP_ID.prefix(b"x\0"), Match.PREFIX, b"x\0"),
    (Field.ALE_APP_ID.not_prefix(b"x\0"), Match.NOT_PREFIX, b"x\0"),
    (Field.IP_REMOTE_ADDRESS.in_("10.0.0.0/8"), Match.EQUAL, NET4("10.0.0.0/8")),
    (Field.IP_REMOTE_ADDRESS.in_(NET6("fe80::/10")), Match.EQUAL, NET6("fe80::/10")),
])
def test_sugar_builds_conditions(built, match, value):
    assert isinstance(built, Condition)
    assert built.match is match
    assert built.value == value
    assert built == Condition(built.field, match, value)


def test_range_unpacks_and_compares():
    low, high = Range(1, 2)
    assert (low, high) == (1, 2)
    assert Range(1, 2) == Range(1, 2) != Range(1, 3)
    with pytest.raises(AttributeError):
        Range(1, 2).low = 0


def test_sugar_keeps_the_field():
    assert (Field.ICMP_TYPE == 8).field is Field.IP_LOCAL_PORT
    assert (Field.IP_PROTOCOL == 6).field is Field.IP_PROTOCOL


def test_condition_has_no_truth_value():
    with pytest.raises(TypeError, match="no truth value"):
        bool(Field.IP_REMOTE_PORT == 53)
    with pytest.raises(TypeError):
        if Field.IP_REMOTE_PORT == 53:
            pass


def test_ordering_fields_against_fields_is_an_error():
    with pytest.raises(TypeError):
        Field.IP_REMOTE_PORT < Field.IP_LOCAL_PORT  # noqa: B015


def test_condition_is_immutable_hashable_and_pickles():
    c = Field.IP_REMOTE_ADDRESS.in_("10.0.0.0/8")
    with pytest.raises(AttributeError):
        c.value = 1
    assert hash(c) == hash(Condition("IP_REMOTE_ADDRESS", 0, NET4("10.0.0.0/8")))
    assert len({c, Condition(Field.IP_REMOTE_ADDRESS, Match.EQUAL, NET4("10.0.0.0/8"))}) == 1
    assert pickle.loads(pickle.dumps(c)) == c
    assert repr(c) == "Condition(Field.IP_REMOTE_ADDRESS, Match.EQUAL, IPv4Network('10.0.0.0/8'))"


def test_condition_accepts_names_uuids_and_int_matches():
    c = Condition("fwpm_condition_ip_protocol", 0, 6)
    assert c.field is Field.IP_PROTOCOL and c.match is Match.EQUAL
    unknown = uuid.UUID(int=5)
    assert Condition(unknown, 0, 1).field == unknown
    with pytest.raises(ValidationError) as info:
        Condition("NO_SUCH_FIELD", 0, 1)
    assert info.value.name == "FWP_E_CONDITION_NOT_FOUND"
    assert "NO_SUCH_FIELD" in str(info.value)


def test_condition_canonicalises_text_values_by_field():
    assert (Field.IP_REMOTE_ADDRESS == "10.1.2.3").value == IP4("10.1.2.3")
    assert (Field.IP_REMOTE_ADDRESS == "fe80::/10").value == NET6("fe80::/10")
    assert Field.IP_REMOTE_ADDRESS.between("1.1.1.1", "1.1.1.9").value == Range(IP4("1.1.1.1"), IP4("1.1.1.9"))
    assert (Field.ALE_PACKAGE_ID == "AC").value == "S-1-15-2-1"
    sd = (Field.ALE_USER_ID == "D:(A;;0x1;;;WD)").value
    assert isinstance(sd, SecurityDescriptor) and sd == EVERYONE_MATCH_SD
    assert (Field.MAC_LOCAL_ADDRESS == "00-11-22-aa-bb-cc").value == bytes.fromhex("001122aabbcc")
    assert (Field.ALE_APP_ID.prefix("\\x.exe")).value == "\\x.exe".encode("utf-16-le") + b"\0\0"
    assert (Field.PEER_NAME == "host").value == "host".encode("utf-16-le") + b"\0\0"
    assert (Field.ALE_APP_ID == "C:\\x.exe").value == "C:\\x.exe"  # rejected when encoded
    guid = uuid.uuid4()
    assert (Field.RPC_IF_UUID == guid.bytes_le).value == guid
    # What does not convert is kept for encode_conditions to report.
    assert (Field.IP_REMOTE_ADDRESS == "not an address").value == "not an address"


# ---------------------------------------------------------------------------------- encoding

@pytest.mark.parametrize("layer, condition, wire_value", [
    (V4, Field.IP_PROTOCOL == 17, (1, 17)),
    (V4, Field.IP_REMOTE_PORT == 53, (2, 53)),
    (V4, Field.ICMP_TYPE == 8, (2, 8)),
    (V4, Field.INTERFACE_TYPE == 6, (3, 6)),
    (V4, Field.IP_LOCAL_INTERFACE == 2**64 - 1, (4, 2**64 - 1)),
    (V4, Field.FLAGS.all_set(True), (3, 1)),
    (V4, Field.IP_REMOTE_ADDRESS == IP4("10.1.2.3"), (3, 0x0A010203)),
    (V4, Field.IP_REMOTE_ADDRESS == "10.1.2.3", (3, 0x0A010203)),
    (V4, Field.IP_REMOTE_ADDRESS.in_("10.0.0.0/8"), (0x100, (0x0A000000, 0xFF000000))),
    (V4, Field.IP_REMOTE_ADDRESS.in_("192.168.1.7/32"), (0x100, (0xC0A80107, 0xFFFFFFFF))),
    (V4, Field.IP_REMOTE_ADDRESS.in_("0.0.0.0/0"), (0x100, (0, 0))),
    (V6, Field.IP_REMOTE_ADDRESS == IP6("2001:db8::1"), (11, IP6("2001:db8::1").packed)),
    (V6, Field.IP_REMOTE_ADDRESS.in_("fe80::/10"), (0x101, (IP6("fe80::").packed, 10))),
    (V4, Field.IP_LOCAL_PORT.between(1000, 2000), (0x102, ((2, 1000), (2, 2000)))),
    (V4, Field.IP_REMOTE_ADDRESS.between(IP4("10.0.0.1"), IP4("10.0.0.9")),
     (0x102, ((3, 0x0A000001), (3, 0x0A000009)))),
    (V6, Field.IP_REMOTE_ADDRESS.between(IP6("::1"), IP6("::2")),
     (0x102, ((11, IP6("::1").packed), (11, IP6("::2").packed)))),
    (V4, Field.IP_LOCAL_INTERFACE.between(0, 2**64 - 1), (0x102, ((4, 0), (4, 2**64 - 1)))),
    (V4, Field.ALE_APP_ID == b"\\\0x\0\0\0", (12, b"\\\0x\0\0\0")),
    (V4, Field.ALE_APP_ID == "\\device\\x", (12, "\\device\\x".encode("utf-16-le") + b"\0\0")),
    (V4, Field.ALE_APP_ID.prefix("\\x.exe"), (12, "\\x.exe".encode("utf-16-le") + b"\0\0")),
    (V4, Field.ALE_USER_ID == "D:(A;;0x1;;;WD)", (14, EVERYONE_MATCH_SD)),
    (V4, Field.ALE_USER_ID == EVERYONE_MATCH_SD, (14, EVERYONE_MATCH_SD)),
    (V4, Field.ALE_USER_ID == SecurityDescriptor("D:(A;;0x1;;;WD)"), (14, EVERYONE_MATCH_SD)),
    (V4, Field.ALE_PACKAGE_ID == "S-1-15-2-1", (13, bytes.fromhex("01 02 00000000000f 02000000 01000000"))),
    (V4, Field.ALE_PACKAGE_ID == sid_to_bytes("S-1-5-18"), (13, sid_to_bytes("S-1-5-18"))),
    (V4, Condition(Field.IP_REMOTE_PORT, Match.EQUAL, None), (0, None)),
    (Layer.INBOUND_MAC_FRAME_ETHERNET, Field.MAC_LOCAL_ADDRESS == bytes(range(6)), (18, bytes(range(6)))),
    (Layer.INBOUND_MAC_FRAME_ETHERNET, Field.MAC_REMOTE_ADDRESS == "00:11:22:33:44:55",
     (18, bytes.fromhex("001122334455"))),
    (Layer.RPC_UM, Field.RPC_IF_UUID == uuid.UUID("12345678-1234-5678-9abc-def012345678"),
     (11, bytes.fromhex("78563412 3412 7856 9abc def012345678"))),
    (Layer.RPC_UM, Field.IP_LOCAL_ADDRESS_V4 == IP4("1.2.3.4"), (3, 0x01020304)),
    (Layer.RPC_UM, Field.IP_LOCAL_ADDRESS_V6 == IP6("::1"), (11, IP6("::1").packed)),
    (Layer.RPC_UM, Field.REMOTE_USER_TOKEN == "D:(A;;0x1;;;WD)", (14, EVERYONE_MATCH_SD)),
    (V4, Condition(Field.IP_REMOTE_PORT, Match.EQUAL, RawValue(2, 80)), (2, 80)),
])
def test_encode_exact_payloads(layer, condition, wire_value):
    field_key, match, value = encode_one(layer, condition)
    assert field_key == condition.field.value
    assert match == condition.match and type(match) is int
    assert value == wire_value
    assert type(value[0]) is int


def test_sid_on_token_field_only_in_enumeration_templates():
    wire = encode_one(V4, Field.ALE_USER_ID == "S-1-5-18", template=True)
    assert wire[2] == (13, sid_to_bytes("S-1-5-18"))
    error = rejected(V4, [Field.ALE_USER_ID == "S-1-5-18"])
    assert error.name == "FWP_E_TYPE_MISMATCH"
    assert "D:(A;;0x1;;;S-1-5-18)" in str(error)


def test_encode_accepts_condition_tuples_and_reports_other_items():
    assert encode_conditions(V4, [(Field.IP_PROTOCOL, Match.EQUAL, 6)]) == [
        (Field.IP_PROTOCOL.value, 0, (1, 6))]
    error = rejected(V4, [Field.IP_PROTOCOL == 6, "IP_PROTOCOL == 6"])
    assert error.name == "FWP_E_INVALID_PARAMETER"
    assert "conditions[1]" in str(error)
    error = rejected(V4, Field.IP_PROTOCOL == 6)
    assert "list of conditions" in str(error)


def test_encode_condition_alone_names_it_by_its_label():
    assert encode_condition("ALE_AUTH_CONNECT_V4", Field.IP_PROTOCOL == 6) == (Field.IP_PROTOCOL.value, 0, (1, 6))
    with pytest.raises(ValidationError) as info:
        encode_condition(V4, Field.IP_PROTOCOL == 300, label="template")
    assert info.value.field == "template IP_PROTOCOL"


def test_encode_rejects_an_unknown_layer():
    with pytest.raises(ValidationError) as info:
        encode_conditions("NOT_A_LAYER", [])
    assert info.value.name == "FWP_E_LAYER_NOT_FOUND"


# ---------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("layer, bad, name, label, value_text, reason", [
    (Layer.ALE_AUTH_LISTEN_V4, Field.IP_REMOTE_PORT == 53,
     "FWP_E_CONDITION_NOT_FOUND", "IP_REMOTE_PORT", "53", "not a field of layer ALE_AUTH_LISTEN_V4"),
    (V4, Condition(uuid.UUID(int=77), Match.EQUAL, 1),
     "FWP_E_CONDITION_NOT_FOUND", "00000000-0000-0000-0000-00000000004d", "1", "not a field"),
    (V4, Field.IP_REMOTE_PORT == "53", "FWP_E_TYPE_MISMATCH", "IP_REMOTE_PORT", "'53'", "str given"),
    (V4, Field.IP_REMOTE_PORT == b"\x00\x35", "FWP_E_TYPE_MISMATCH", "IP_REMOTE_PORT", "b'\\x005'", "bytes given"),
    (V4, Field.IP_REMOTE_PORT == 53.0, "FWP_E_TYPE_MISMATCH", "IP_REMOTE_PORT", "53.0", "float given"),
    (V4, Field.IP_REMOTE_PORT == 70000, "FWP_E_OUT_OF_BOUNDS", "IP_REMOTE_PORT", "70000", "0..65535"),
    (V4, Field.IP_REMOTE_PORT == -1, "FWP_E_OUT_OF_BOUNDS", "IP_REMOTE_PORT", "-1", "0..65535"),
    (V4, Field.IP_PROTOCOL == 256, "FWP_E_OUT_OF_BOUNDS", "IP_PROTOCOL", "256", "0..255"),
    (V4, Field.IP_LOCAL_INTERFACE == 2**64, "FWP_E_OUT_OF_BOUNDS", "IP_LOCAL_INTERFACE",
     str(2**64), "0..18446744073709551615"),
    (V4, Field.FLAGS.all_set(-1), "FWP_E_OUT_OF_BOUNDS", "FLAGS", "-1", "UINT32"),
    (V4, Field.IP_REMOTE_ADDRESS == IP6("::1"), "FWP_E_TYPE_MISMATCH", "IP_REMOTE_ADDRESS",
     "IPv6Address('::1')", "IPv6 value"),
    (V4, Field.IP_REMOTE_ADDRESS.in_("2001:db8::/32"), "FWP_E_TYPE_MISMATCH", "IP_REMOTE_ADDRESS",
     "IPv6Network('2001:db8::/32')", "use the _V6 layer"),
    (V6, Field.IP_REMOTE_ADDRESS == IP4("1.2.3.4"), "FWP_E_TYPE_MISMATCH", "IP_REMOTE_ADDRESS",
     "IPv4Address('1.2.3.4')", "IPv4 value"),
    (V4, Field.IP_REMOTE_ADDRESS == 0x01020304, "FWP_E_TYPE_MISMATCH", "IP_REMOTE_ADDRESS",
     "16909060", "holds an IP address"),
    (V4, Field.IP_REMOTE_ADDRESS == "10.0.0.256", "FWP_E_TYPE_MISMATCH", "IP_REMOTE_ADDRESS",
     "'10.0.0.256'", "not an IP address"),
    (V4, Field.IP_REMOTE_ADDRESS == ipaddress.IPv4Interface("10.0.0.1/8"), "FWP_E_TYPE_MISMATCH",
     "IP_REMOTE_ADDRESS", "IPv4Interface('10.0.0.1/8')", "ambiguous"),
    (V4, Field.IP_REMOTE_PORT == NET4("10.0.0.0/8"), "FWP_E_TYPE_MISMATCH", "IP_REMOTE_PORT",
     "IPv4Network('10.0.0.0/8')", "not an IP address field"),
    (V4, Field.IP_REMOTE_ADDRESS == "10.0.0.1/8", "FWP_E_INVALID_NET_MASK", "IP_REMOTE_ADDRESS",
     "'10.0.0.1/8'", "host bits"),
    (V4, Field.IP_REMOTE_ADDRESS == "10.0.0.0/33", "FWP_E_INVALID_NET_MASK", "IP_REMOTE_ADDRESS",
     "'10.0.0.0/33'", "33"),
    (V4, Condition(Field.IP_REMOTE_ADDRESS, Match.EQUAL, RawValue(0x100, (0x0A000000, 0xFF00FF00))),
     "FWP_E_INVALID_NET_MASK", "IP_REMOTE_ADDRESS", "RawValue", "not contiguous"),
    (V6, Condition(Field.IP_REMOTE_ADDRESS, Match.EQUAL, RawValue(0x101, (bytes(16), 129))),
     "FWP_E_INVALID_NET_MASK", "IP_REMOTE_ADDRESS", "129", "exceeds 128"),
    (V4, Field.IP_REMOTE_PORT.between(2000, 1000), "FWP_E_INVALID_RANGE", "IP_REMOTE_PORT",
     "Range(low=2000, high=1000)", "low is greater than high"),
    (V6, Field.IP_REMOTE_ADDRESS.between(IP6("::2"), IP6("::1")), "FWP_E_INVALID_RANGE",
     "IP_REMOTE_ADDRESS", "IPv6Address('::2')", "greater"),
    (V4, Field.IP_REMOTE_ADDRESS.between(IP4("1.1.1.1"), IP6("::1")), "FWP_E_TYPE_MISMATCH",
     "IP_REMOTE_ADDRESS", "IPv6Address('::1')", "IPv6 value"),
    (V4, Field.IP_REMOTE_PORT.between(1, Range(2, 3)), "FWP_E_TYPE_MISMATCH", "IP_REMOTE_PORT",
     "Range(low=2, high=3)", "single values"),
    (V4, Condition(Field.IP_REMOTE_PORT, Match.RANGE, 80), "FWP_E_MATCH_TYPE_MISMATCH",
     "IP_REMOTE_PORT", "80", "RANGE is not allowed for a UINT16"),
    (V4, Condition(Field.IP_REMOTE_PORT, Match.EQUAL, Range(1, 2)), "FWP_E_MATCH_TYPE_MISMATCH",
     "IP_REMOTE_PORT", "Range(low=1, high=2)", "EQUAL is not allowed for a RANGE"),
    (V4, Field.ALE_USER_ID.between(EVERYONE_MATCH_SD, EVERYONE_MATCH_SD), "FWP_E_MATCH_TYPE_MISMATCH",
     "ALE_USER_ID", "Range", "sortable"),
    (V4, Field.IP_REMOTE_ADDRESS.in_("10.0.0.0/8") if False else
     Condition(Field.IP_REMOTE_ADDRESS, Match.GREATER, NET4("10.0.0.0/8")),
     "FWP_E_MATCH_TYPE_MISMATCH", "IP_REMOTE_ADDRESS", "IPv4Network", "GREATER is not allowed for a V4_ADDR_MASK"),
    (V4, Field.ALE_PACKAGE_ID != "S-1-15-2-1", "FWP_E_MATCH_TYPE_MISMATCH", "ALE_PACKAGE_ID",
     "'S-1-15-2-1'", "NOT_EQUAL is not allowed for a SID"),
    (V4, Field.ALE_APP_ID.all_set(1), "FWP_E_TYPE_MISMATCH", "ALE_APP_ID", "1", "int given"),
    (V4, Field.ALE_APP_ID.any_set(b"\x01"), "FWP_E_MATCH_TYPE_MISMATCH", "ALE_APP_ID",
     "b'\\x01'", "FLAGS_ANY_SET is not allowed for a BYTE_BLOB"),
    (V6, Field.IP_REMOTE_ADDRESS.none_set(IP6("::1")), "FWP_E_MATCH_TYPE_MISMATCH",
     "IP_REMOTE_ADDRESS", "IPv6Address('::1')", "FLAGS_NONE_SET is not allowed for a BYTE_ARRAY16"),
    (V4, Condition(Field.ALE_APP_ID, Match.EQUAL_CASE_INSENSITIVE, b"x"), "FWP_E_MATCH_TYPE_MISMATCH",
     "ALE_APP_ID", "b'x'", "EQUAL_CASE_INSENSITIVE is not allowed for a BYTE_BLOB"),
    (V4, Field.IP_REMOTE_PORT.prefix(53), "FWP_E_MATCH_TYPE_MISMATCH", "IP_REMOTE_PORT", "53",
     "PREFIX is not allowed for a UINT16"),
    (V4, Field.ALE_USER_ID.not_prefix(EVERYONE_MATCH_SD), "FWP_E_MATCH_TYPE_MISMATCH", "ALE_USER_ID",
     "SecurityDescriptor", "NOT_PREFIX is not allowed for a SECURITY_DESCRIPTOR"),
    (V4, Condition(Field.IP_REMOTE_PORT, 13, 53), "FWP_E_INVALID_ENUMERATOR", "IP_REMOTE_PORT", "53",
     "match type 13"),
    (V4, Condition(Field.IP_REMOTE_PORT, -1, 53), "FWP_E_INVALID_ENUMERATOR", "IP_REMOTE_PORT", "53",
     "match type -1"),
    (V4, Condition(Field.IP_REMOTE_PORT, Match.GREATER, None), "FWP_E_MATCH_TYPE_MISMATCH",
     "IP_REMOTE_PORT", "None", "GREATER is not allowed for a EMPTY"),
    (V4, Field.ALE_APP_ID == "C:\\Windows\\notepad.exe", "FWP_E_TYPE_MISMATCH", "ALE_APP_ID",
     "notepad.exe", "wfp.app_id(path)"),
    (V4, Field.ALE_APP_ID == "\\device\\a\0b", "FWP_E_INVALID_PARAMETER", "ALE_APP_ID",
     "\\x00b", "NUL"),
    (V4, Field.ALE_APP_ID == 3, "FWP_E_TYPE_MISMATCH", "ALE_APP_ID", "3", "byte blob"),
    (V4, Field.ALE_PACKAGE_ID == "S-1-15-x", "FWP_E_TYPE_MISMATCH", "ALE_PACKAGE_ID",
     "'S-1-15-x'", "not a SID"),
    (V4, Field.ALE_PACKAGE_ID == 5, "FWP_E_TYPE_MISMATCH", "ALE_PACKAGE_ID", "5", "holds a SID"),
    (V4, Field.ALE_USER_ID == "D:(A;;0x1;;;WD", "ERROR_INVALID_SECURITY_DESCR", "ALE_USER_ID",
     "'D:(A;;0x1;;;WD'", "unterminated"),
    (V4, Field.ALE_USER_ID == EVERYONE_MATCH_SD[:30], "ERROR_INVALID_SECURITY_DESCR", "ALE_USER_ID",
     "b'\\x01\\x00", "does not fit"),
    (V4, Field.ALE_USER_ID == 1, "FWP_E_TYPE_MISMATCH", "ALE_USER_ID", "1", "security descriptor"),
    (V4, Field.BITMAP_IP_REMOTE_PORT == 1, "FWP_E_TYPE_MISMATCH", "BITMAP_IP_REMOTE_PORT", "1",
     "BITMAP_INDEX"),
    (V4, Condition(Field.IP_REMOTE_PORT, Match.EQUAL, RawValue(0x999, 1)), "FWP_E_TYPE_MISMATCH",
     "IP_REMOTE_PORT", "RawValue(data_type=2457", "unknown data type"),
    (V4, Condition(Field.IP_REMOTE_ADDRESS, Match.EQUAL, RawValue(0x100, 5)), "FWP_E_TYPE_MISMATCH",
     "IP_REMOTE_ADDRESS", "payload=5", "(address, mask)"),
    (Layer.INBOUND_MAC_FRAME_ETHERNET, Field.MAC_LOCAL_ADDRESS == bytes(5), "FWP_E_TYPE_MISMATCH",
     "MAC_LOCAL_ADDRESS", "b'\\x00", "6 bytes"),
    (Layer.INBOUND_MAC_FRAME_ETHERNET, Field.MAC_LOCAL_ADDRESS == "00:11:22", "FWP_E_TYPE_MISMATCH",
     "MAC_LOCAL_ADDRESS", "'00:11:22'", "not a MAC address"),
    (Layer.RPC_UM, Field.RPC_IF_UUID == "12345678-1234-5678-9abc-def012345678", "FWP_E_TYPE_MISMATCH",
     "RPC_IF_UUID", "'12345678", "uuid.UUID"),
])
def test_validation_names_code_field_and_value(layer, bad, name, label, value_text, reason):
    good = next(Condition(f, Match.EQUAL, 0) for f, (dt, ft) in layer.fields.items()
                if dt == DataType.UINT32 and ft == FieldType.RAW_DATA)
    error = rejected(layer, [good, good, bad])
    assert error.name == name
    assert isinstance(error, ValueError)
    message = str(error)
    assert f"conditions[2] {label}" in message
    assert error.field == f"conditions[2] {label}"
    assert value_text in message
    assert reason in message


def test_every_condition_is_checked_before_any_output():
    conditions = [Field.IP_REMOTE_PORT == 53] * 5 + [Field.IP_REMOTE_PORT == 70000]
    with pytest.raises(ValidationError) as info:
        encode_conditions(V4, conditions)
    assert info.value.field == "conditions[5] IP_REMOTE_PORT"


# ---------------------------------------------------------------------------------- decoding

@pytest.mark.parametrize("layer, field, wire_value, expected", [
    (V4, Field.IP_REMOTE_ADDRESS, (3, 0x0A010203), IP4("10.1.2.3")),
    (V4, Field.IP_REMOTE_ADDRESS, (0x100, (0x0A000000, 0xFF000000)), NET4("10.0.0.0/8")),
    (V4, Field.IP_REMOTE_ADDRESS, (0x100, (0x0A010203, 0xFFFFFFFF)), NET4("10.1.2.3/32")),
    (V4, Field.IP_REMOTE_ADDRESS, (0x100, (0x0A010203, 0xFF000000)), NET4("10.0.0.0/8")),
    (V4, Field.IP_REMOTE_ADDRESS, (0x100, (0x0A000000, 0xFF00FF00)), RawValue(0x100, (0x0A000000, 0xFF00FF00))),
    (V6, Field.IP_REMOTE_ADDRESS, (11, IP6("::1").packed), IP6("::1")),
    (V6, Field.IP_REMOTE_ADDRESS, (0x101, (IP6("fe80::1").packed, 10)), NET6("fe80::/10")),
    (V6, Field.IP_REMOTE_ADDRESS, (0x101, (bytes(16), 200)), RawValue(0x101, (bytes(16), 200))),
    (V4, Field.IP_REMOTE_ADDRESS, (0x102, ((3, 1), (3, 2))), Range(IP4(1), IP4(2))),
    (V4, Field.IP_REMOTE_PORT, (0x102, ((2, 1), (2, 2))), Range(1, 2)),
    (V4, Field.IP_REMOTE_PORT, (2, 53), 53),
    (V4, Field.FLAGS, (3, 0x41), 0x41),
    (V4, Field.IP_LOCAL_INTERFACE, (4, 2**64 - 1), 2**64 - 1),
    (V4, Field.ALE_APP_ID, (12, b"a\0\0\0"), b"a\0\0\0"),
    (V4, Field.ALE_PACKAGE_ID, (13, sid_to_bytes("S-1-15-2-1")), "S-1-15-2-1"),
    (V4, Field.ALE_PACKAGE_ID, (13, b"\x01\x05\x00"), RawValue(13, b"\x01\x05\x00")),
    (V4, Field.ALE_USER_ID, (14, EVERYONE_MATCH_SD), SecurityDescriptor(EVERYONE_MATCH_SD)),
    (V4, Field.ALE_USER_ID, (14, b"junk"), RawValue(14, b"junk")),
    (V4, Field.IP_REMOTE_PORT, (0, None), None),
    (V4, Field.IP_REMOTE_PORT, (99, "?"), RawValue(99, "?")),
    (V4, Field.IP_REMOTE_PORT, (19, 3), RawValue(19, 3)),
    (Layer.RPC_UM, Field.RPC_IF_UUID, (11, uuid.UUID(int=1).bytes_le), uuid.UUID(int=1)),
    (Layer.INBOUND_MAC_FRAME_ETHERNET, Field.MAC_LOCAL_ADDRESS, (18, bytes(range(6))), bytes(range(6))),
    # Unknown layer or field: decoded from the data type alone.
    (uuid.UUID(int=3), Field.IP_REMOTE_ADDRESS, (3, 7), 7),
    (V4, uuid.UUID(int=3), (11, bytes(16)), bytes(16)),
    (V4, uuid.UUID(int=3), (17, "text"), "text"),
])
def test_decode_values(layer, field, wire_value, expected):
    decoded = decode_value(layer, field, wire_value)
    assert decoded == expected
    assert type(decoded) is type(expected)


def test_decode_condition_gives_members_and_keeps_unknown_fields():
    c = decode_condition(V4, (Field.IP_REMOTE_PORT.value, 10, (2, 53)))
    assert c.field is Field.IP_REMOTE_PORT and c.match is Match.NOT_EQUAL and c.value == 53
    unknown = uuid.UUID(int=12)
    c = decode_condition(V4, (unknown, 0, (3, 1)))
    assert c.field == unknown and c.value == 1
    c = decode_condition(V4, (Field.IP_REMOTE_PORT.value, 77, (2, 53)))
    assert c.match == 77


@pytest.mark.parametrize("layer, condition", [
    (V4, Field.IP_PROTOCOL == 6),
    (V4, Field.IP_REMOTE_PORT != 53),
    (V4, Field.IP_LOCAL_PORT >= 1024),
    (V4, Field.IP_LOCAL_INTERFACE == 0x0006000000000001),
    (V4, Field.FLAGS.none_set(0x1)),
    (V4, Field.IP_REMOTE_ADDRESS == IP4("8.8.8.8")),
    (V4, Field.IP_REMOTE_ADDRESS.in_("192.168.0.0/16")),
    (V4, Field.IP_REMOTE_ADDRESS.in_("192.168.0.7/32")),
    (V6, Field.IP_REMOTE_ADDRESS == IP6("2001:db8::8")),
    (V6, Field.IP_REMOTE_ADDRESS.in_("fe80::/10")),
    (V6, Field.IP_REMOTE_ADDRESS.in_("::1/128")),
    (V4, Field.ALE_APP_ID == "\\device\\harddiskvolume3\\x.exe".encode("utf-16-le") + b"\0\0"),
    (V4, Field.ALE_USER_ID == "O:SYD:(A;;0x1;;;BA)"),
    (V4, Field.ALE_PACKAGE_ID == "S-1-15-2-1"),
    (V4, Field.ALE_PACKAGE_ID == "AC"),
    (V4, Field.IP_REMOTE_ADDRESS.between("10.0.0.1", "10.0.0.5")),
    (Layer.RPC_UM, Field.RPC_IF_UUID == uuid.UUID("12345678-1234-5678-9abc-def012345678")),
    (Layer.OUTBOUND_MAC_FRAME_ETHERNET, Field.MAC_LOCAL_ADDRESS == "aa:bb:cc:dd:ee:ff"),
    (V4, Condition(Field.IP_REMOTE_PORT, Match.EQUAL, None)),
])
def test_encode_then_decode_is_identity(layer, condition):
    assert decode_condition(layer, encode_one(layer, condition)) == condition


# ---------------------------------------------------------------------------------- properties

@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_ipv4_networks_round_trip(address, prefix):
    network = NET4((address, prefix), strict=False)
    condition = Field.IP_REMOTE_ADDRESS.in_(network)
    _, _, (data_type, (addr, mask)) = encode_one(V4, condition)
    assert data_type == 0x100
    assert mask == (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    assert addr == int(network.network_address)
    assert decode_condition(V4, encode_one(V4, condition)) == condition


@given(st.integers(0, 2**128 - 1), st.integers(0, 128))
def test_ipv6_networks_round_trip(address, prefix):
    network = NET6((address, prefix), strict=False)
    condition = Field.IP_LOCAL_ADDRESS.in_(network)
    _, _, (data_type, (addr, length)) = encode_one(V6, condition)
    assert (data_type, addr, length) == (0x101, network.network_address.packed, prefix)
    assert decode_condition(V6, encode_one(V6, condition)) == condition


@given(st.integers(0, 65535), st.integers(0, 65535))
def test_port_ranges_round_trip_or_fail_as_invalid_range(a, b):
    condition = Field.IP_LOCAL_PORT.between(a, b)
    if a > b:
        with pytest.raises(ValidationError) as info:
            encode_one(V4, condition)
        assert info.value.name == "FWP_E_INVALID_RANGE"
    else:
        assert encode_one(V4, condition)[2] == (0x102, ((2, a), (2, b)))
        assert decode_condition(V4, encode_one(V4, condition)) == condition


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_ipv4_address_ranges_round_trip(a, b):
    low, high = sorted((a, b))
    condition = Field.IP_REMOTE_ADDRESS.between(IP4(low), IP4(high))
    assert decode_condition(V4, encode_one(V4, condition)) == condition


@given(st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16))
def test_ipv6_address_ranges_round_trip(a, b):
    low, high = sorted((a, b))
    condition = Field.IP_REMOTE_ADDRESS.between(IP6(low), IP6(high))
    assert encode_one(V6, condition)[2] == (0x102, ((11, low), (11, high)))
    assert decode_condition(V6, encode_one(V6, condition)) == condition


@given(st.integers(0, 2**48 - 1), st.lists(st.integers(0, 2**32 - 1), max_size=15))
def test_package_sids_round_trip(authority, subs):
    auth_text = str(authority) if authority < 2**32 else f"0x{authority:012x}"
    sid = "S-1-" + auth_text + "".join(f"-{s}" for s in subs)
    condition = Field.ALE_PACKAGE_ID == sid
    assert encode_one(V4, condition)[2] == (13, sid_to_bytes(sid))
    assert decode_condition(V4, encode_one(V4, condition)) == condition


def test_sd_condition_equals_its_bytes_after_read_back():
    condition = Condition(Field.ALE_USER_ID, Match.EQUAL, sddl_to_sd("D:(A;;0x1;;;S-1-5-80-1-2-3-4-5)"))
    back = decode_condition(V4, encode_one(V4, condition))
    assert back == condition
    assert isinstance(back.value, SecurityDescriptor)
    assert back.value.sddl == "D:(A;;0x1;;;S-1-5-80-1-2-3-4-5)"
