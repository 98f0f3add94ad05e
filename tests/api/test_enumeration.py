"""Reading back: rules(), rule(), providers(), sublayers(), layers(), and enum templates."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

import wfp

from .helpers import V4, V6, add_base, port_rule

F = wfp.Field


@pytest.fixture
def two_providers(static_session):
    s = static_session
    p1, sub1 = add_base(s)
    p2, sub2 = add_base(s)
    rules = {
        "p1 v4 block": port_rule(1, sublayer=sub1, provider=p1),
        "p1 v4 permit": port_rule(2, sublayer=sub1, provider=p1, action=wfp.Action.PERMIT),
        "p1 v6 block": port_rule(3, sublayer=sub1, provider=p1, layer=V6),
        "p2 v4 permit": port_rule(4, sublayer=sub2, provider=p2, action=wfp.Action.PERMIT),
        "p2 v6 permit": port_rule(5, sublayer=sub2, provider=p2, layer=V6,
                                  action=wfp.Action.PERMIT),
        "none v4 block": port_rule(6, sublayer=sub2),
    }
    s.add_rules(rules.values())
    return s, p1, p2, sub1, sub2, rules


def names(rules):
    return sorted(r.name for r in rules)


def keys_of(rules, *labels):
    return sorted(rules[label].name for label in labels)


def test_filters_by_layer(two_providers):
    s, _p1, _p2, _s1, _s2, rules = two_providers
    assert names(s.rules(layer=V4)) == keys_of(rules, "p1 v4 block", "p1 v4 permit",
                                               "p2 v4 permit", "none v4 block")
    assert names(s.rules(layer="ALE_AUTH_CONNECT_V6")) == keys_of(rules, "p1 v6 block",
                                                                  "p2 v6 permit")
    assert s.rules(layer=wfp.Layer.INBOUND_IPPACKET_V4) == []


def test_filters_by_provider(two_providers):
    s, p1, p2, _s1, _s2, rules = two_providers
    assert names(s.rules(provider=p1)) == keys_of(rules, "p1 v4 block", "p1 v4 permit",
                                                  "p1 v6 block")
    assert names(s.rules(provider=str(p2))) == keys_of(rules, "p2 v4 permit", "p2 v6 permit")
    assert s.rules(provider=uuid.uuid4()) == []


def test_filters_by_action_are_exact(two_providers):
    s, *_rest, rules = two_providers
    assert names(s.rules(action=wfp.Action.BLOCK)) == keys_of(rules, "p1 v4 block",
                                                              "p1 v6 block", "none v4 block")
    assert names(s.rules(action=wfp.Action.PERMIT)) == keys_of(rules, "p1 v4 permit",
                                                               "p2 v4 permit", "p2 v6 permit")


def test_filters_by_sublayer_and_combined(two_providers):
    s, p1, p2, sub1, sub2, rules = two_providers
    assert names(s.rules(sublayer=sub2)) == keys_of(rules, "p2 v4 permit", "p2 v6 permit",
                                                    "none v4 block")
    assert names(s.rules(layer=V4, provider=p2, action=wfp.Action.PERMIT)) == \
        keys_of(rules, "p2 v4 permit")
    assert names(s.rules(layer=V4, sublayer=sub2, action=wfp.Action.BLOCK)) == \
        keys_of(rules, "none v4 block")
    assert s.rules(layer=V6, provider=p1, action=wfp.Action.PERMIT) == []


def test_every_rule_field_reads_back(static_session):
    s = static_session
    provider, sublayer = add_base(s)
    rule = wfp.Rule(
        name="everything", description="all fields set", layer=V4, sublayer=sublayer,
        provider=provider, weight=wfp.WeightRange(3), action=wfp.Action.BLOCK, hard=True,
        data=b"\x00provider data\xff",
        conditions=[
            F.IP_REMOTE_ADDRESS == ipaddress.IPv4Address("8.8.8.8"),
            F.IP_REMOTE_ADDRESS.in_("10.0.0.0/8"),
            F.IP_REMOTE_PORT.between(1000, 2000),
            F.IP_PROTOCOL == 17,
            F.IP_LOCAL_INTERFACE == 5,
            F.FLAGS.all_set(0x4),
        ])
    rule_id = s.add_rule(rule)
    for back in (s.rule(rule_id), s.rule(rule.key), s.rule(str(rule.key)), *s.rules(layer=V4)):
        assert back == rule
        assert back.id == rule_id
        assert back.disabled is False
        assert isinstance(back.effective_weight, int)
        assert back.conditions[0].value == ipaddress.IPv4Address("8.8.8.8")
        assert back.conditions[1].value == ipaddress.IPv4Network("10.0.0.0/8")
        assert back.conditions[2].value == wfp.Range(1000, 2000)


def test_ipv6_and_app_id_conditions_read_back(static_session):
    s = static_session
    _provider, sublayer = add_base(s)
    rule = wfp.Rule(name="v6", layer=V6, sublayer=sublayer, action=wfp.Action.PERMIT,
                    conditions=[F.IP_REMOTE_ADDRESS == ipaddress.IPv6Address("2001:db8::1"),
                                F.IP_REMOTE_ADDRESS.in_("fd00::/8"),
                                F.ALE_APP_ID == wfp.app_id("C:\\Windows\\System32\\svchost.exe")])
    s.add_rule(rule)
    assert s.rule(rule.key) == rule


def test_rule_lookup_errors(session):
    with pytest.raises(wfp.FilterNotFound):
        session.rule(uuid.uuid4())
    with pytest.raises(wfp.FilterNotFound):
        session.rule(123456789)


def test_guids_are_interned_within_one_enumeration(two_providers):
    s, p1, *_ = two_providers
    rules = s.rules(provider=p1)
    assert len(rules) == 3
    assert rules[0].provider is rules[1].provider is rules[2].provider
    assert rules[0].sublayer is rules[1].sublayer


def test_providers_and_sublayers(static_session):
    s = static_session
    provider = wfp.Provider(name="Contoso", description="d", data=b"x", service_name="svc")
    s.add_provider(provider)
    assert provider in s.providers()
    assert s.provider(provider.key) == provider
    own = wfp.Sublayer(name="own", weight=0xFFFF, provider=provider.key, data=b"\x01")
    other = wfp.Sublayer(name="other", weight=1)
    s.add_sublayer(own)
    s.add_sublayer(other)
    assert s.sublayers(provider=provider) == [own]
    everything = s.sublayers()
    assert own in everything and other in everything
    universal = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")
    assert universal in {sub.key for sub in everything}


def test_layers_match_the_identifier_tables(session):
    layers = session.layers()
    by_layer = {info.layer: info for info in layers}
    assert set(by_layer) == set(wfp.Layer)
    connect = by_layer[V4]
    assert connect.name == "ALE_AUTH_CONNECT_V4"
    assert connect.key == V4.value
    assert connect.id == V4.layer_id
    assert [f.field for f in connect.fields] == list(V4.fields)
    assert connect.default_sublayer == uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")
