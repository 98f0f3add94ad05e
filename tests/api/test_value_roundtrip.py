"""Every kind of condition value survives a trip through the engine: add a rule, read it back,
and the conditions are equal (same fields, match types and canonical values).

The samples are generated from the layer tables, one rule per (layer, field), so each field of
each common layer (wfp-semantics §6.3), and the MAC address fields of the MAC layers, is covered
with every match type its data type allows.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import List

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import wfp
from wfp.fields import DataType, FieldType
from wfp.security import SecurityDescriptor, sddl_to_sd, sid_to_bytes, sid_to_string

from .helpers import add_base

F = wfp.Field
IP4 = ipaddress.IPv4Address
IP6 = ipaddress.IPv6Address

COMMON_LAYERS = [
    f"{base}_{family}"
    for base in ("INBOUND_IPPACKET", "OUTBOUND_IPPACKET", "INBOUND_TRANSPORT", "OUTBOUND_TRANSPORT",
                 "DATAGRAM_DATA", "ALE_RESOURCE_ASSIGNMENT", "ALE_AUTH_LISTEN",
                 "ALE_AUTH_RECV_ACCEPT", "ALE_AUTH_CONNECT", "ALE_FLOW_ESTABLISHED",
                 "ALE_CONNECT_REDIRECT", "ALE_BIND_REDIRECT")
    for family in ("V4", "V6")
]
MAC_LAYERS = ["INBOUND_MAC_FRAME_ETHERNET", "OUTBOUND_MAC_FRAME_ETHERNET"]

APP_ID = "\\device\\harddiskvolume3\\windows\\system32\\svchost.exe".encode("utf-16-le") + b"\0\0"
USER_SDDL = "O:SYG:SYD:(A;;0x1;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)"
UNSIGNED = {DataType.UINT8: 8, DataType.UINT16: 16, DataType.UINT32: 32, DataType.UINT64: 64}


def samples(field: wfp.Field, data_type: DataType, field_type: FieldType) -> List[wfp.Condition]:
    """Conditions covering every value form and legal match type of one field."""
    if field_type == FieldType.IP_ADDRESS and data_type == DataType.UINT32:
        return [field == IP4("8.8.8.8"), field == "192.0.2.1", field.in_("10.0.0.0/8"),
                field.in_("192.168.1.7/32"), field.in_("0.0.0.0/0"),
                field.between(IP4("10.0.0.1"), IP4("10.0.0.255")),
                field.between("0.0.0.0", "255.255.255.255")]
    if field_type == FieldType.IP_ADDRESS and data_type == DataType.BYTE_ARRAY16:
        return [field == IP6("2001:db8::1"), field == "::1", field.in_("fe80::/10"),
                field.in_("2001:db8::5/128"), field.in_("::/0"), field.in_("::ffff:0:0/96"),
                field.between(IP6("2001:db8::"), IP6("2001:db8::ffff")),
                field > IP6("fd00::"), field != IP6("::2")]
    if data_type in UNSIGNED:
        top = (1 << UNSIGNED[data_type]) - 1
        conditions = [field == 0, field == top, field != 1, field < top, field <= 5, field > 0,
                      field >= 1, field.between(0, top), field.between(7, 7),
                      field.all_set(1), field.any_set(top), field.none_set(2),
                      field == True]  # noqa: E712 - a bool is the integer 1
        if field_type == FieldType.FLAGS:
            conditions.append(field.all_set(wfp_flags_loopback_and_ipsec()))
        return conditions
    if data_type == DataType.BYTE_BLOB:
        return [field == APP_ID, field.prefix("\\svchost.exe"), field.not_prefix(b"e\0x\0e\0\0\0"),
                field != b"\x01\x02", field.between(b"\x00", b"\xff" * 4), field >= b"a",
                field == "\\device\\mup\\server\\share\\tool.exe"]
    if data_type in (DataType.TOKEN_ACCESS_INFORMATION, DataType.SECURITY_DESCRIPTOR):
        return [field == USER_SDDL, field == "D:(A;;0x1;;;WD)",
                field == sddl_to_sd("D:P(D;;0x1;;;AN)(A;;0x1;;;AU)"),
                field == "D:NO_ACCESS_CONTROL"]
    if data_type == DataType.SID:
        return [field == "S-1-15-2-1", field == "S-1-15-2-2-3-4-5-6-7-8",
                field == "AC", field == sid_to_bytes("S-1-0x123456789abc-1")]
    if data_type == DataType.BYTE_ARRAY6:
        # BYTE_ARRAY6 is not sortable (wfp-semantics §5.2): EQUAL is its only match.
        return [field == "00:11:22:33:44:55", field == bytes.fromhex("ffffffffffff"),
                field == bytearray(6)]
    if data_type == DataType.BYTE_ARRAY16:
        return [field == uuid.UUID("12345678-1234-5678-9abc-def012345678"),
                field.between(uuid.UUID(int=1), uuid.UUID(int=2))]
    if data_type == DataType.BITMAP_INDEX:
        return []  # Windows' internal bitmap index fields take no user conditions
    raise AssertionError(f"no samples for {field.name}: {data_type.name}/{field_type.name}")


def wfp_flags_loopback_and_ipsec() -> int:
    return 0x1 | 0x2  # FWP_CONDITION_FLAG_IS_LOOPBACK | IS_IPSEC_SECURED


def rules_for(layer: wfp.Layer, sublayer: uuid.UUID) -> List[wfp.Rule]:
    rules = []
    for field, (data_type, field_type) in layer.fields.items():
        conditions = samples(field, data_type, field_type)
        if conditions:
            rules.append(wfp.Rule(name=f"{layer.name} {field.name}", layer=layer, sublayer=sublayer,
                                  action=wfp.Action.PERMIT, conditions=conditions))
    return rules


@pytest.mark.parametrize("layer_name", COMMON_LAYERS + MAC_LAYERS)
def test_every_field_of_the_layer_round_trips(static_session, layer_name):
    s = static_session
    layer = wfp.Layer[layer_name]
    _provider, sublayer = add_base(s)
    rules = rules_for(layer, sublayer)
    assert rules
    ids = s.add_rules(rules)
    for rule, rule_id in zip(rules, ids):
        back = s.rule(rule_id)
        assert back.conditions == rule.conditions, rule.name
        assert back == rule
    listed = {r.key: r for r in s.rules(layer=layer)}
    assert [listed[r.key].conditions for r in rules] == [r.conditions for r in rules]


def test_common_layers_cover_every_value_kind():
    kinds = {(dt, ft) for name in COMMON_LAYERS + MAC_LAYERS
             for dt, ft in wfp.Layer[name].fields.values()}
    for kind in [(DataType.UINT8, FieldType.RAW_DATA), (DataType.UINT16, FieldType.RAW_DATA),
                 (DataType.UINT32, FieldType.RAW_DATA), (DataType.UINT64, FieldType.RAW_DATA),
                 (DataType.UINT32, FieldType.FLAGS), (DataType.UINT32, FieldType.IP_ADDRESS),
                 (DataType.BYTE_ARRAY16, FieldType.IP_ADDRESS), (DataType.BYTE_BLOB, FieldType.RAW_DATA),
                 (DataType.SID, FieldType.RAW_DATA), (DataType.BYTE_ARRAY6, FieldType.RAW_DATA),
                 (DataType.TOKEN_ACCESS_INFORMATION, FieldType.RAW_DATA)]:
        assert kind in kinds


def test_values_read_back_in_canonical_python_types(static_session):
    s = static_session
    _provider, sublayer = add_base(s)
    v4 = wfp.Layer.ALE_AUTH_CONNECT_V4
    rule = wfp.Rule(name="canonical", layer=v4, sublayer=sublayer, action=wfp.Action.BLOCK,
                    conditions=[F.IP_REMOTE_ADDRESS == "192.0.2.1",
                                F.IP_REMOTE_ADDRESS.in_("192.0.2.9/32"),
                                F.IP_LOCAL_PORT.between(1, 2),
                                F.ALE_USER_ID == "D:(A;;0x1;;;WD)",
                                F.ALE_PACKAGE_ID == "AC",
                                F.ALE_APP_ID == APP_ID])
    back = s.rule(s.add_rule(rule)).conditions
    assert [type(c.value) for c in back] == [
        ipaddress.IPv4Address, ipaddress.IPv4Network, wfp.Range, SecurityDescriptor,
        str, bytes]
    assert back[1].value.prefixlen == 32
    assert back[3].value.sddl == "D:(A;;0x1;;;WD)"
    assert back[4].value == "S-1-15-2-1"
    assert back[2].value == wfp.Range(1, 2)
    assert all(c.field is wfp.Field[c.field.name] for c in back)


def test_guid_and_token_fields_of_a_user_mode_layer_round_trip(static_session):
    s = static_session
    _provider, sublayer = add_base(s)
    rule = wfp.Rule(name="rpc", layer=wfp.Layer.RPC_UM, sublayer=sublayer, action=wfp.Action.PERMIT,
                    conditions=[F.RPC_IF_UUID == uuid.UUID("12345678-1234-5678-9abc-def012345678"),
                                F.REMOTE_USER_TOKEN == USER_SDDL,
                                F.IP_LOCAL_ADDRESS_V4 == IP4("127.0.0.1"),
                                F.IP_LOCAL_ADDRESS_V6.in_("::1/128")])
    assert s.rule(s.add_rule(rule)) == rule


# Property tests share one engine per test function (hypothesis runs many examples in it).

def _with_session(check):
    with wfp.Session(name="roundtrip", dynamic=True, backend=wfp.SimEngine()) as s:
        _provider, sublayer = add_base(s)
        return check(s, sublayer)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)), min_size=1, max_size=8),
       st.lists(st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)), min_size=1, max_size=8))
def test_networks_round_trip(v4_networks, v6_networks):
    def check(s, sublayer):
        r4 = wfp.Rule(name="v4", layer=wfp.Layer.ALE_AUTH_CONNECT_V4, sublayer=sublayer,
                      action=wfp.Action.BLOCK,
                      conditions=[F.IP_REMOTE_ADDRESS.in_(ipaddress.IPv4Network(n, strict=False))
                                  for n in v4_networks])
        r6 = wfp.Rule(name="v6", layer=wfp.Layer.ALE_AUTH_CONNECT_V6, sublayer=sublayer,
                      action=wfp.Action.BLOCK,
                      conditions=[F.IP_REMOTE_ADDRESS.in_(ipaddress.IPv6Network(n, strict=False))
                                  for n in v6_networks])
        ids = s.add_rules([r4, r6])
        assert s.rule(ids[0]) == r4
        assert s.rule(ids[1]) == r6
    _with_session(check)


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535)), min_size=1, max_size=6),
       st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
       st.tuples(st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16)))
def test_ranges_round_trip(port_ranges, luid_range, v6_range):
    def check(s, sublayer):
        conditions = [F.IP_LOCAL_PORT.between(*sorted(r)) for r in port_ranges]
        conditions.append(F.IP_LOCAL_INTERFACE.between(*sorted(luid_range)))
        low, high = sorted(v6_range)
        conditions.append(F.IP_REMOTE_ADDRESS.between(IP6(low), IP6(high)))
        rule = wfp.Rule(name="ranges", layer=wfp.Layer.ALE_AUTH_CONNECT_V6, sublayer=sublayer,
                        action=wfp.Action.PERMIT, conditions=conditions)
        assert s.rule(s.add_rule(rule)).conditions == rule.conditions
    _with_session(check)


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 2**48 - 1), st.lists(st.integers(0, 2**32 - 1), max_size=15)),
                min_size=1, max_size=4))
def test_sids_and_descriptors_round_trip(sids):
    def text(authority, subs):
        auth = str(authority) if authority < 2**32 else f"0x{authority:012x}"
        return "S-1-" + auth + "".join(f"-{x}" for x in subs)

    def check(s, sublayer):
        texts = [text(*sid) for sid in sids]
        sddl = "D:" + "".join(f"(A;;0x1;;;{t})" for t in texts)
        rule = wfp.Rule(name="users", layer=wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4, sublayer=sublayer,
                        action=wfp.Action.PERMIT,
                        conditions=[F.ALE_USER_ID == sddl] + [F.ALE_PACKAGE_ID == t for t in texts])
        back = s.rule(s.add_rule(rule))
        assert back.conditions == rule.conditions
        assert [c.value for c in back.conditions[1:]] == [
            sid_to_string(t) for t in texts]
    _with_session(check)
