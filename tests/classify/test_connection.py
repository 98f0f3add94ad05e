"""classify_connection: the layers a TCP or UDP connection crosses (reference §1.8)."""

from __future__ import annotations

import pytest

import wfp
from wfp import Field as F
from wfp import Layer as L

from .conftest import Policy

PERMIT, BLOCK = wfp.Action.PERMIT, wfp.Action.BLOCK
LOCAL, REMOTE = ("192.168.1.20", 50000), ("93.184.216.34", 443)


@pytest.mark.parametrize(
    "direction,protocol,expected",
    [
        (
            "outbound",
            "tcp",
            [
                "ALE_BIND_REDIRECT",
                "ALE_RESOURCE_ASSIGNMENT",
                "ALE_CONNECT_REDIRECT",
                "ALE_AUTH_CONNECT",
                "OUTBOUND_TRANSPORT",
                "OUTBOUND_IPPACKET",
                "INBOUND_IPPACKET",
                "INBOUND_TRANSPORT",
                "ALE_FLOW_ESTABLISHED",
            ],
        ),
        (
            "inbound",
            "tcp",
            [
                "ALE_BIND_REDIRECT",
                "ALE_RESOURCE_ASSIGNMENT",
                "ALE_AUTH_LISTEN",
                "INBOUND_IPPACKET",
                "INBOUND_TRANSPORT",
                "ALE_AUTH_RECV_ACCEPT",
                "ALE_FLOW_ESTABLISHED",
            ],
        ),
        (
            "outbound",
            "udp",
            [
                "ALE_BIND_REDIRECT",
                "ALE_RESOURCE_ASSIGNMENT",
                "ALE_CONNECT_REDIRECT",
                "ALE_AUTH_CONNECT",
                "ALE_FLOW_ESTABLISHED",
                "DATAGRAM_DATA",
                "OUTBOUND_TRANSPORT",
                "OUTBOUND_IPPACKET",
            ],
        ),
        (
            "inbound",
            "udp",
            [
                "INBOUND_IPPACKET",
                "INBOUND_TRANSPORT",
                "ALE_AUTH_RECV_ACCEPT",
                "ALE_FLOW_ESTABLISHED",
                "DATAGRAM_DATA",
            ],
        ),
    ],
)
def test_layer_walks(session, direction, protocol, expected):
    result = session.classify_connection(direction, protocol, LOCAL, REMOTE)
    assert [layer.name for layer, _ in result.decisions] == [name + "_V4" for name in expected]
    assert result.permitted and result.layer is None and result.decision is None
    v6 = session.classify_connection(direction, protocol, ("fe80::1", 5), ("2001:db8::1", 6))
    assert [layer.name for layer, _ in v6.decisions] == [name + "_V6" for name in expected]


def test_the_first_blocking_layer_is_named(session, policy: Policy):
    s = policy.sublayer(0x100)
    policy.rule("transport block", s, BLOCK, F.IP_REMOTE_PORT == 443, layer=L.OUTBOUND_TRANSPORT_V4)
    policy.rule("packet block", s, BLOCK, layer=L.OUTBOUND_IPPACKET_V4)
    result = session.classify_connection("outbound", "tcp", LOCAL, REMOTE)
    assert (result.action, result.layer) == (BLOCK, L.OUTBOUND_TRANSPORT_V4)
    assert result.decision.rule.name == "transport block"
    assert [d.action for _, d in result.decisions].count(BLOCK) == 2
    assert str(result).startswith("BLOCK at OUTBOUND_TRANSPORT_V4:")


def test_each_layer_gets_the_fields_it_has(session, policy: Policy):
    s = policy.sublayer(0x100)
    app = r"C:\Apps\client.exe"
    policy.rule(
        "by app",
        s,
        BLOCK,
        F.ALE_APP_ID == wfp.app_id(app),
        F.IP_LOCAL_INTERFACE == 9,
        layer=L.ALE_AUTH_CONNECT_V4,
    )
    policy.rule("by direction", s, BLOCK, F.DIRECTION == 1, layer=L.ALE_FLOW_ESTABLISHED_V4)
    policy.rule(
        "loopback",
        s,
        BLOCK,
        F.FLAGS.all_set(0x1),
        F.IP_LOCAL_PORT == 50000,
        layer=L.INBOUND_TRANSPORT_V4,
    )
    outbound = session.classify_connection("outbound", "tcp", LOCAL, REMOTE, app=app, interface=9)
    assert outbound.layer == L.ALE_AUTH_CONNECT_V4
    assert session.classify_connection(
        "outbound", "tcp", LOCAL, REMOTE, app=app, interface=8
    ).permitted
    inbound = session.classify_connection("inbound", "tcp", LOCAL, REMOTE)
    assert inbound.layer == L.ALE_FLOW_ESTABLISHED_V4
    looped = session.classify_connection("outbound", "tcp", ("127.0.0.1", 50000), ("127.0.0.1", 80))
    assert looped.layer == L.INBOUND_TRANSPORT_V4


def test_extra_values_and_user(session, policy: Policy):
    s = policy.sublayer(0x100)
    user = "S-1-5-21-1-2-3-1001"
    policy.rule(
        "user", s, BLOCK, F.ALE_USER_ID == f"D:(A;;0x1;;;{user})", layer=L.ALE_AUTH_CONNECT_V4
    )
    assert (
        session.classify_connection("outbound", "udp", LOCAL, REMOTE, user=[user]).action == BLOCK
    )
    assert session.classify_connection(
        "outbound", "udp", LOCAL, REMOTE, user=["S-1-5-18"]
    ).permitted
    policy.rule("reserved", s, BLOCK, F.IP_LOCAL_ADDRESS_TYPE == 3, layer=L.ALE_AUTH_CONNECT_V4)
    tagged = session.classify_connection(
        "outbound", "udp", LOCAL, REMOTE, values={F.IP_LOCAL_ADDRESS_TYPE: 3}
    )
    assert tagged.decision.rule.name == "reserved"


@pytest.mark.parametrize(
    "args,field",
    [
        (("sideways", "tcp", LOCAL, REMOTE), "direction"),
        (("outbound", "icmp", LOCAL, REMOTE), "protocol"),
        (("outbound", "tcp", ("fe80::1", 1), REMOTE), "remote"),
        (("outbound", "tcp", ("not an address", 1), REMOTE), "local"),
        (("outbound", "tcp", LOCAL, ("1.2.3.4", 70000)), "remote port"),
    ],
)
def test_bad_connection_arguments(session, args, field):
    with pytest.raises(wfp.ValidationError) as info:
        session.classify_connection(*args)
    assert info.value.field == field
