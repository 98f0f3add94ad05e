"""The kill-switch recipe: its rule set (anchor-wf-go.md §5) and its decisions end to end."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

import wfp
from wfp import Field as F
from wfp.fields import encode_conditions
from wfp.recipes import killswitch
from wfp.recipes.killswitch import PROVIDER_KEY, remove_stale

APP = r"C:\Program Files\WireGuard\wireguard.exe"
BROWSER = wfp.app_id(r"C:\Program Files\Mozilla Firefox\firefox.exe")
TUNNEL = 0x0006_0000_0000_0011  # the tunnel's LUID
ETHERNET = 0x0006_0000_0000_0002
DNS4, DNS6 = "10.64.0.1", "fd00:64::1"
CONNECT_V4, ACCEPT_V4 = wfp.Layer.ALE_AUTH_CONNECT_V4, wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4
CONNECT_V6, ACCEPT_V6 = wfp.Layer.ALE_AUTH_CONNECT_V6, wfp.Layer.ALE_AUTH_RECV_ACCEPT_V6
PERMIT, BLOCK = wfp.Action.PERMIT, wfp.Action.BLOCK


@pytest.mark.parametrize(
    "servers,count",
    [((), 27), ((DNS4,), 33), ((DNS6,), 33), ((DNS4, DNS6), 35), ((DNS4, "10.64.0.2"), 33)],
)
def test_filter_counts_by_dns_families(servers, count):
    assert len(killswitch(TUNNEL, servers, app_path=APP)) == count


def test_restricting_nothing_keeps_the_four_service_rules():
    ks = killswitch(TUNNEL, (DNS4,), app_path=APP, restrict=False)
    assert len(ks) == 4
    assert {r.name for r in ks.rules} == {"permit tunnel service"}
    assert {r.layer for r in ks.rules} == {CONNECT_V4, ACCEPT_V4, CONNECT_V6, ACCEPT_V6}


def test_rule_set_shape_and_encodings():
    ks = killswitch(TUNNEL, (DNS4, DNS6), app_path=APP, service_sid="S-1-5-80-1-2-3-4-5")
    by_name: dict = {}
    for rule in ks.rules:
        by_name.setdefault(rule.name, []).append(rule)
        assert rule.provider == PROVIDER_KEY and rule.sublayer == ks.sublayer.key
    weights = {name: {r.weight.value for r in rules} for name, rules in by_name.items()}
    assert weights["permit tunnel service"] == weights["permit DNS to listed servers"] == {15}
    assert weights["block DNS"] == {14} and weights["permit loopback"] == {13}
    assert weights["permit tunnel interface"] == weights["permit NDP redirect"] == {12}
    assert weights["block all"] == {0}
    service = by_name["permit tunnel service"][0]
    assert service.hard and {c.field for c in service.conditions} == {F.ALE_APP_ID, F.ALE_USER_ID}
    assert all(not r.hard for r in by_name["block all"])
    dns4 = next(r for r in by_name["permit DNS to listed servers"] if r.layer == CONNECT_V4)

    # IPv4 servers as UINT32 host order, IPv6 as 16 bytes; the LUID as UINT64.
    def wire(rule):
        return [tuple(c) for c in encode_conditions(rule.layer, rule.conditions)]

    assert (F.IP_REMOTE_ADDRESS.value, 0, (3, int(ipaddress.IPv4Address(DNS4)))) in wire(dns4)
    dns6 = next(r for r in by_name["permit DNS to listed servers"] if r.layer == CONNECT_V6)
    assert (F.IP_REMOTE_ADDRESS.value, 0, (11, ipaddress.IPv6Address(DNS6).packed)) in wire(dns6)
    tun = by_name["permit tunnel interface"][0]
    assert wire(tun) == [(F.IP_LOCAL_INTERFACE.value, 0, (4, TUNNEL))]
    assert len(by_name["permit NDP neighbor solicitation"]) == 2
    ndp = by_name["permit NDP router solicitation"][0]
    assert {(c.field, c.value) for c in ndp.conditions} >= {(F.ICMP_TYPE, 133), (F.ICMP_CODE, 0)}


def test_bad_arguments_are_named():
    with pytest.raises(wfp.ValidationError) as info:
        killswitch(-1, app_path=APP)
    assert info.value.field == "tunnel_interface"
    with pytest.raises(wfp.ValidationError) as info:
        killswitch(TUNNEL, ["10.0.0.300"], app_path=APP)
    assert info.value.field == "dns_servers[0]"


@pytest.fixture
def installed(session):
    ks = killswitch(TUNNEL, (DNS4, DNS6), app_path=APP).install(session)
    yield ks
    if ks.installed:
        ks.remove()


def decide(session, layer, **values) -> wfp.Decision:
    fields = {
        "protocol": F.IP_PROTOCOL,
        "remote": F.IP_REMOTE_ADDRESS,
        "port": F.IP_REMOTE_PORT,
        "local": F.IP_LOCAL_ADDRESS,
        "local_port": F.IP_LOCAL_PORT,
        "interface": F.IP_LOCAL_INTERFACE,
        "flags": F.FLAGS,
        "app": F.ALE_APP_ID,
    }
    defaults = {
        "interface": ETHERNET,
        "app": BROWSER,
        "flags": 0,
        "local": "192.168.1.20" if not layer.is_v6 else "fe80::20",
    }
    merged = {**defaults, **values}
    return session.classify(layer, {fields[k]: v for k, v in merged.items()})


def named(decision: wfp.Decision) -> str:
    return decision.rule.name if decision.rule is not None else "-"


@pytest.mark.parametrize("layer,server", [(CONNECT_V4, DNS4), (CONNECT_V6, DNS6)])
@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_dns_only_to_the_listed_servers(session, installed, layer, server, protocol):
    listed = decide(session, layer, protocol=protocol, remote=server, port=53)
    assert (listed.action, named(listed)) == (PERMIT, "permit DNS to listed servers")
    other = "8.8.8.8" if not layer.is_v6 else "2001:4860::8888"
    elsewhere = decide(session, layer, protocol=protocol, remote=other, port=53)
    assert (elsewhere.action, named(elsewhere)) == (BLOCK, "block DNS")


def test_unlisted_dns_is_blocked_even_through_the_tunnel_and_on_loopback(session, installed):
    tunnel = decide(
        session, CONNECT_V4, protocol="udp", remote="10.64.0.9", port=53, interface=TUNNEL
    )
    assert (tunnel.action, named(tunnel)) == (BLOCK, "block DNS")
    loopback = decide(session, CONNECT_V4, protocol="udp", remote="127.0.0.1", port=53, flags=0x1)
    assert (loopback.action, named(loopback)) == (BLOCK, "block DNS")


def test_loopback_and_tunnel_traffic_is_permitted(session, installed):
    loopback = decide(session, CONNECT_V4, protocol="tcp", remote="127.0.0.1", port=8080, flags=0x1)
    assert (loopback.action, named(loopback)) == (PERMIT, "permit loopback")
    for layer, remote in (
        (CONNECT_V4, "1.1.1.1"),
        (ACCEPT_V4, "1.1.1.1"),
        (CONNECT_V6, "2606:4700::1111"),
    ):
        tunnel = decide(session, layer, protocol="tcp", remote=remote, port=443, interface=TUNNEL)
        assert (tunnel.action, named(tunnel)) == (PERMIT, "permit tunnel interface")


@pytest.mark.parametrize(
    "layer,remote",
    [
        (CONNECT_V4, "192.168.1.1"),
        (CONNECT_V4, "8.8.8.8"),
        (ACCEPT_V4, "192.168.1.77"),
        (CONNECT_V6, "2001:db8::1"),
        (ACCEPT_V6, "fe80::77"),
    ],
)
def test_lan_and_internet_are_blocked(session, installed, layer, remote):
    d = decide(session, layer, protocol="tcp", remote=remote, port=443)
    assert (d.action, named(d), d.hard) == (BLOCK, "block all", True)


def test_dhcp_and_ndp_are_permitted(session, installed):
    dhcp4 = decide(
        session, CONNECT_V4, protocol="udp", local_port=68, remote="255.255.255.255", port=67
    )
    assert (dhcp4.action, named(dhcp4)) == (PERMIT, "permit DHCPv4")
    unicast = decide(
        session, CONNECT_V4, protocol="udp", local_port=68, remote="192.168.1.1", port=67
    )
    assert unicast.action == BLOCK  # outbound DHCPv4 only to the broadcast address
    offer = decide(session, ACCEPT_V4, protocol="udp", local_port=68, remote="192.168.1.1", port=67)
    assert (offer.action, named(offer)) == (PERMIT, "permit DHCPv4")
    dhcp6 = decide(
        session,
        CONNECT_V6,
        protocol="udp",
        local="fe80::20",
        local_port=546,
        remote="ff02::1:2",
        port=547,
    )
    assert (dhcp6.action, named(dhcp6)) == (PERMIT, "permit DHCPv6")
    solicit = decide(
        session, CONNECT_V6, protocol=58, local_port=135, port=0, remote="ff02::1:ff00:1"
    )
    assert (solicit.action, named(solicit)) == (PERMIT, "permit NDP neighbor solicitation")
    advert = decide(session, ACCEPT_V6, protocol=58, local_port=134, port=0, remote="fe80::1")
    assert (advert.action, named(advert)) == (PERMIT, "permit NDP router advertisement")
    off_link = decide(session, ACCEPT_V6, protocol=58, local_port=134, port=0, remote="2001:db8::1")
    assert off_link.action == BLOCK


def test_the_tunnel_service_may_reach_anything(session, installed):
    service = wfp.app_id(APP)
    d = decide(session, CONNECT_V4, protocol="udp", remote="203.0.113.7", port=51820, app=service)
    assert (d.action, named(d), d.hard) == (PERMIT, "permit tunnel service", True)


def test_another_products_lower_soft_permit_cannot_open_it(session, installed):
    other = session.add_sublayer(wfp.Sublayer(name="other product", weight=0x1000))
    session.add_rule(
        wfp.Rule(
            name="other permits the web",
            layer=CONNECT_V4,
            sublayer=other,
            action=PERMIT,
            conditions=[F.IP_REMOTE_PORT == 443],
        )
    )
    d = decide(session, CONNECT_V4, protocol="tcp", remote="8.8.8.8", port=443)
    assert (d.action, named(d)) == (BLOCK, "block all")


@pytest.mark.parametrize("hard_block", [False, True])
def test_a_heavier_sublayers_soft_permit_cannot_open_it(session, hard_block):
    ks = killswitch(
        TUNNEL, (DNS4,), app_path=APP, hard_block=hard_block, sublayer_weight=0x8000
    ).install(session)
    assert all(r.hard == hard_block for r in ks.rules if r.name == "block all")
    other = session.add_sublayer(wfp.Sublayer(name="heavier product", weight=0x9000))
    session.add_rule(
        wfp.Rule(name="other permits all", layer=CONNECT_V4, sublayer=other, action=PERMIT)
    )
    d = decide(session, CONNECT_V4, protocol="tcp", remote="8.8.8.8", port=443)
    assert (d.action, named(d)) == (BLOCK, "block all")
    # The documented limit: a heavier sublayer's *hard* permit wins.
    session.add_rule(
        wfp.Rule(
            name="other hard permit",
            layer=CONNECT_V4,
            sublayer=other,
            action=PERMIT,
            hard=True,
            weight=wfp.WeightRange(1),
        )
    )
    assert (
        named(decide(session, CONNECT_V4, protocol="tcp", remote="8.8.8.8", port=443))
        == "other hard permit"
    )


def test_connection_walk_names_the_blocking_layer(session, installed):
    blocked = session.classify_connection(
        "outbound",
        "tcp",
        ("192.168.1.20", 50123),
        ("8.8.8.8", 443),
        app=BROWSER,
        interface=ETHERNET,
    )
    assert blocked.action == BLOCK and blocked.layer == CONNECT_V4
    assert named(blocked.decision) == "block all"
    assert "BLOCK at ALE_AUTH_CONNECT_V4" in str(blocked)
    through = session.classify_connection(
        "outbound", "tcp", ("10.64.0.5", 50123), ("8.8.8.8", 443), app=BROWSER, interface=TUNNEL
    )
    assert through.permitted


def test_install_is_one_transaction(engine, session):
    ks = killswitch(TUNNEL, (DNS4,), app_path=APP)
    engine.inject_failure(0, 20, 0x80320009)  # the 20th rule add fails
    with pytest.raises(wfp.WFPError):
        ks.install(session)
    assert not ks.installed
    assert session.rules() == [] and all(p.key != PROVIDER_KEY for p in session.providers())


def test_remove_takes_everything_away(session):
    ks = killswitch(TUNNEL, (DNS4, DNS6), app_path=APP)
    with ks.install(session):
        assert len(session.rules(provider=PROVIDER_KEY)) == 35
        assert (
            decide(session, CONNECT_V4, protocol="tcp", remote="8.8.8.8", port=443).action == BLOCK
        )
    assert not ks.installed and session.rules() == []
    assert all(s.key != ks.sublayer.key for s in session.sublayers())
    assert decide(session, CONNECT_V4, protocol="tcp", remote="8.8.8.8", port=443).action == PERMIT


def test_persistent_kill_switch_survives_and_is_removed_from_another_session(tmp_path):
    state = tmp_path / "state"
    engine = wfp.SimEngine(state)
    with wfp.Session(name="vpn client", dynamic=False, backend=engine) as client:
        killswitch(TUNNEL, (DNS4,), app_path=APP, persistent=True).install(client)
    engine.restart()  # the client died, BFE restarted: fail-closed
    with wfp.Session(name="later", dynamic=False, backend=wfp.SimEngine(state)) as later:
        assert len(later.rules(provider=PROVIDER_KEY)) == 33
        assert decide(later, CONNECT_V4, protocol="tcp", remote="8.8.8.8", port=443).action == BLOCK
        remove_stale(later)
        assert later.rules() == []
    with wfp.Session(name="check", backend=wfp.SimEngine(state)) as check:
        assert check.rules() == [] and all(p.key != PROVIDER_KEY for p in check.providers())


def test_a_dynamic_session_cannot_install_a_persistent_one(session):
    with pytest.raises(wfp.WFPError):
        killswitch(TUNNEL, app_path=APP, persistent=True).install(session)
    assert session.rules() == []


def test_own_provider_key_and_double_install(session):
    key = uuid.uuid4()
    ks = killswitch(TUNNEL, app_path=APP, provider_key=key).install(session)
    assert {r.provider for r in session.rules()} == {key}
    with pytest.raises(wfp.ValidationError):
        ks.install(session)
    ks.remove()
    assert session.rules() == []
