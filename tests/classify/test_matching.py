"""Matching (reference §5.2-§5.4) per data type and match type, at the boundaries.

Each case adds one Block rule, classifies one set of values and says whether the rule matched.
String, signed and floating-point types exist at no layer; test_matching_c.py covers them.
"""

from __future__ import annotations

import ipaddress
import uuid

import pytest

import wfp
from wfp import Field as F
from wfp.classify import Token

V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
V6 = wfp.Layer.ALE_AUTH_CONNECT_V6


@pytest.fixture
def matches(session: wfp.Session):
    sublayers: dict = {}

    def check(conditions: list, values: dict, layer: wfp.Layer = V4) -> bool:
        if layer not in sublayers:
            sublayers[layer] = session.add_sublayer(wfp.Sublayer(name="matching", weight=0x100))
        rule_id = session.add_rule(
            wfp.Rule(
                name="probe",
                layer=layer,
                sublayer=sublayers[layer],
                action=wfp.Action.BLOCK,
                conditions=conditions,
            )
        )
        try:
            decision = session.classify(layer, values, trace=False, record="none")
            return decision.decided and decision.rule_id == rule_id
        finally:
            session.delete_rule(rule_id)

    return check


INT_CASES = [
    # (condition, value, matches)
    (F.IP_PROTOCOL == 6, 6, True),
    (F.IP_PROTOCOL == 6, 17, False),
    (F.IP_PROTOCOL != 6, 17, True),
    (F.IP_PROTOCOL != 6, 6, False),
    (F.IP_PROTOCOL > 6, 7, True),
    (F.IP_PROTOCOL > 6, 6, False),
    (F.IP_PROTOCOL >= 6, 6, True),
    (F.IP_PROTOCOL >= 6, 5, False),
    (F.IP_PROTOCOL < 6, 5, True),
    (F.IP_PROTOCOL < 6, 6, False),
    (F.IP_PROTOCOL <= 6, 6, True),
    (F.IP_PROTOCOL <= 6, 7, False),
    (F.IP_PROTOCOL == 255, 255, True),
    (F.IP_REMOTE_PORT.between(1024, 2048), 1024, True),
    (F.IP_REMOTE_PORT.between(1024, 2048), 2048, True),
    (F.IP_REMOTE_PORT.between(1024, 2048), 1023, False),
    (F.IP_REMOTE_PORT.between(1024, 2048), 2049, False),
    (F.IP_REMOTE_PORT == 65535, 65535, True),
    (F.IP_REMOTE_PORT > 65534, 65535, True),
    (F.IP_REMOTE_PORT < 1, 0, True),
    (F.IP_LOCAL_INTERFACE == 2**64 - 1, 2**64 - 1, True),
    (F.IP_LOCAL_INTERFACE == 2**64 - 1, 2**64 - 2, False),
    (F.IP_LOCAL_INTERFACE > 2**63, 2**63 + 1, True),  # unsigned, not two's complement
    (F.IP_LOCAL_INTERFACE.between(2**32, 2**33), 2**32, True),
]


@pytest.mark.parametrize("condition,value,expected", INT_CASES, ids=str)
def test_integers(matches, condition, value, expected):
    assert matches([condition], {condition.field: value}) is expected


FLAG_CASES = [
    (F.FLAGS.all_set(0x5), 0x5, True),
    (F.FLAGS.all_set(0x5), 0xF, True),
    (F.FLAGS.all_set(0x5), 0x4, False),
    (F.FLAGS.any_set(0x5), 0x4, True),
    (F.FLAGS.any_set(0x5), 0xA, False),
    (F.FLAGS.none_set(0x5), 0xA, True),
    (F.FLAGS.none_set(0x5), 0x1, False),
    (F.FLAGS.all_set(0x80000000), 0xFFFFFFFF, True),
]


@pytest.mark.parametrize("condition,value,expected", FLAG_CASES, ids=str)
def test_flags(matches, condition, value, expected):
    assert matches([condition], {F.FLAGS: value}) is expected


V4_CASES = [
    (F.IP_REMOTE_ADDRESS == "10.0.0.1", "10.0.0.1", True),
    (F.IP_REMOTE_ADDRESS == "10.0.0.1", "10.0.0.2", False),
    (F.IP_REMOTE_ADDRESS.in_("10.0.0.0/24"), "10.0.0.0", True),
    (F.IP_REMOTE_ADDRESS.in_("10.0.0.0/24"), "10.0.0.255", True),
    (F.IP_REMOTE_ADDRESS.in_("10.0.0.0/24"), "10.0.1.0", False),
    (F.IP_REMOTE_ADDRESS.in_("10.0.0.0/24"), "9.255.255.255", False),
    (F.IP_REMOTE_ADDRESS.in_("0.0.0.0/0"), "255.255.255.255", True),
    (F.IP_REMOTE_ADDRESS.in_("192.168.1.7/32"), "192.168.1.7", True),
    (F.IP_REMOTE_ADDRESS.in_("192.168.1.7/32"), "192.168.1.6", False),
    (F.IP_REMOTE_ADDRESS.in_("128.0.0.0/1"), "127.255.255.255", False),
    (F.IP_REMOTE_ADDRESS.between("10.0.0.5", "10.0.0.9"), "10.0.0.5", True),
    (F.IP_REMOTE_ADDRESS.between("10.0.0.5", "10.0.0.9"), "10.0.0.10", False),
    (F.IP_REMOTE_ADDRESS > "10.0.0.5", "10.0.1.0", True),  # host order: numeric order
]


@pytest.mark.parametrize("condition,value,expected", V4_CASES, ids=str)
def test_ipv4_addresses_masks_and_ranges(matches, condition, value, expected):
    assert matches([condition], {F.IP_REMOTE_ADDRESS: value}) is expected


V6_CASES = [
    (F.IP_REMOTE_ADDRESS == "2001:db8::1", "2001:db8::1", True),
    (F.IP_REMOTE_ADDRESS == "2001:db8::1", "2001:db8::2", False),
    (F.IP_REMOTE_ADDRESS.in_("fe80::/10"), "fe80::1", True),
    (F.IP_REMOTE_ADDRESS.in_("fe80::/10"), "febf:ffff::1", True),
    (F.IP_REMOTE_ADDRESS.in_("fe80::/10"), "fec0::1", False),
    (F.IP_REMOTE_ADDRESS.in_("::/0"), "ffff::1", True),
    (F.IP_REMOTE_ADDRESS.in_("2001:db8::1/128"), "2001:db8::1", True),
    (F.IP_REMOTE_ADDRESS.in_("2001:db8::1/128"), "2001:db8::3", False),
    (F.IP_REMOTE_ADDRESS.in_("2001:db8:8000::/33"), "2001:db8:7fff::1", False),
    (F.IP_REMOTE_ADDRESS.between("::1", "::ff"), "::ff", True),
    (F.IP_REMOTE_ADDRESS.between("::1", "::ff"), "::100", False),
]


@pytest.mark.parametrize("condition,value,expected", V6_CASES, ids=str)
def test_ipv6_addresses_prefixes_and_ranges(matches, condition, value, expected):
    assert matches([condition], {F.IP_REMOTE_ADDRESS: value}, V6) is expected


CHROME = wfp.app_id(r"C:\Program Files\Google\Chrome\Application\chrome.exe")
EDGE = wfp.app_id(r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe")


def test_app_id_equality(matches):
    assert matches([F.ALE_APP_ID == CHROME], {F.ALE_APP_ID: CHROME})
    assert not matches([F.ALE_APP_ID == CHROME], {F.ALE_APP_ID: EDGE})
    assert not matches([F.ALE_APP_ID == CHROME], {F.ALE_APP_ID: CHROME[:-2]})  # no terminator


def test_prefix_is_a_suffix_test(matches):
    by_name = F.ALE_APP_ID.prefix("\\chrome.exe")
    assert matches([by_name], {F.ALE_APP_ID: CHROME})
    assert not matches([by_name], {F.ALE_APP_ID: EDGE})
    starts = F.ALE_APP_ID.prefix("\\device\\harddiskvolume3")
    assert not matches([starts], {F.ALE_APP_ID: CHROME})  # the misleading name, as Windows has it
    assert matches([F.ALE_APP_ID.not_prefix("\\chrome.exe")], {F.ALE_APP_ID: EDGE})
    assert not matches([F.ALE_APP_ID.not_prefix("\\chrome.exe")], {F.ALE_APP_ID: CHROME})
    whole = F.ALE_APP_ID.prefix(CHROME)  # a suffix as long as the value
    assert matches([whole], {F.ALE_APP_ID: CHROME})


def test_package_sid(matches):
    sid = "S-1-15-2-1-2-3-4-5-6-7"
    assert matches([F.ALE_PACKAGE_ID == sid], {F.ALE_PACKAGE_ID: sid})
    assert not matches([F.ALE_PACKAGE_ID == sid], {F.ALE_PACKAGE_ID: "S-1-15-2-1-2-3-4-5-6-8"})


USER = "S-1-5-21-1111-2222-3333-1001"
OTHER = "S-1-5-21-1111-2222-3333-1002"
USERS = "S-1-5-32-545"


@pytest.mark.parametrize(
    "sddl,token,expected",
    [
        (f"D:(A;;0x1;;;{USER})", [USER], True),
        (f"D:(A;;0x1;;;{USER})", [OTHER], False),
        (f"D:(A;;0x1;;;{USERS})", [OTHER, USERS], True),  # through a group
        (f"D:(D;;0x1;;;{USER})(A;;0x1;;;{USERS})", [USER, USERS], False),  # deny first
        (f"D:(A;;0x1;;;{USERS})(D;;0x1;;;{USER})", [USER, USERS], True),  # granted before the deny
        (f"D:(A;;0x2;;;{USER})", [USER], False),  # another right
        ("D:", [USER], False),  # empty DACL grants nothing
        ("O:SYG:SY", [USER], True),  # no DACL grants everyone
        (f"D:(A;;0x1;;;{USER})", Token(deny_only=(USER,)), False),
        (f"D:(D;;0x1;;;{USER})(A;;0x1;;;{USERS})", Token(sids=(USERS,), deny_only=(USER,)), False),
        (f"D:(A;;0x1;;;{USER})", Token(sids=(USER,), restricted=(OTHER,)), False),
        (f"D:(A;;0x1;;;{USER})(A;;0x1;;;{OTHER})", Token(sids=(USER,), restricted=(OTHER,)), True),
    ],
    ids=str,
)
def test_user_security_descriptors(matches, sddl, token, expected):
    assert matches([F.ALE_USER_ID == sddl], {F.ALE_USER_ID: token}) is expected


def test_opaque_token_blob_cannot_satisfy_an_sd(matches):
    assert not matches([F.ALE_USER_ID == f"D:(A;;0x1;;;{USER})"], {F.ALE_USER_ID: b"\x01\x02"})


def test_mac_and_guid_fields(matches):
    layer = wfp.Layer.INBOUND_MAC_FRAME_ETHERNET
    mac = F.MAC_REMOTE_ADDRESS == "00:11:22:33:44:55"
    assert matches([mac], {F.MAC_REMOTE_ADDRESS: "00-11-22-33-44-55"}, layer)
    assert not matches([mac], {F.MAC_REMOTE_ADDRESS: "00:11:22:33:44:56"}, layer)
    rpc = wfp.Layer.RPC_EPMAP
    interface = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert matches([F.RPC_IF_UUID == interface], {F.RPC_IF_UUID: interface}, rpc)
    assert not matches([F.RPC_IF_UUID == interface], {F.RPC_IF_UUID: uuid.uuid4()}, rpc)


def test_unknown_values_match_only_equal_empty(matches):
    assert matches([F.IP_REMOTE_PORT == None], {})  # noqa: E711 - a condition, not a test
    assert not matches([F.IP_REMOTE_PORT == None], {F.IP_REMOTE_PORT: 0})  # noqa: E711
    assert not matches([F.IP_REMOTE_PORT != 80], {})
    assert not matches([F.FLAGS.none_set(0x1)], {})
    assert not matches([F.IP_REMOTE_PORT == 0], {F.IP_REMOTE_PORT: None})


def test_same_field_ors_and_different_fields_and(matches):
    dns = [F.IP_REMOTE_PORT == 53, F.IP_PROTOCOL == 17, F.IP_PROTOCOL == 6]
    assert matches(dns, {F.IP_REMOTE_PORT: 53, F.IP_PROTOCOL: 6})
    assert matches(dns, {F.IP_REMOTE_PORT: 53, F.IP_PROTOCOL: 17})
    assert not matches(dns, {F.IP_REMOTE_PORT: 53, F.IP_PROTOCOL: 1})
    assert not matches(dns, {F.IP_REMOTE_PORT: 54, F.IP_PROTOCOL: 17})
    # Non-adjacent conditions on one field still OR [I].
    split = [F.IP_PROTOCOL == 17, F.IP_REMOTE_PORT == 53, F.IP_PROTOCOL == 6]
    assert matches(split, {F.IP_REMOTE_PORT: 53, F.IP_PROTOCOL: 6})


def test_mixed_masks_and_exact_values_in_one_field(matches):
    lan = [
        F.IP_REMOTE_ADDRESS.in_("10.0.0.0/8"),
        F.IP_REMOTE_ADDRESS.in_("192.168.0.0/16"),
        F.IP_REMOTE_ADDRESS == "172.16.0.1",
    ]
    for address, expected in (
        ("10.9.9.9", True),
        ("192.168.200.1", True),
        ("172.16.0.1", True),
        ("172.16.0.2", False),
        ("11.0.0.0", False),
    ):
        assert matches(lan, {F.IP_REMOTE_ADDRESS: address}) is expected, address


def test_a_rule_without_conditions_matches_everything(matches):
    assert matches([], {})
    assert matches([], {F.IP_REMOTE_PORT: 9, F.IP_PROTOCOL: 6})


def test_values_in_python_forms(matches):
    conditions = [F.IP_REMOTE_ADDRESS == "10.1.2.3", F.IP_PROTOCOL == 17]
    assert matches(
        conditions, {"IP_REMOTE_ADDRESS": ipaddress.IPv4Address("10.1.2.3"), F.IP_PROTOCOL: "udp"}
    )
    assert matches(
        conditions, {F.IP_REMOTE_ADDRESS.value: "10.1.2.3", "FWPM_CONDITION_IP_PROTOCOL": 17}
    )
