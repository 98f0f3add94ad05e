"""Net events: classify records drops (and allows when asked); Session.events() enumerates them
through the backend table's net-event enumeration."""

from __future__ import annotations

import ipaddress
import time
from datetime import datetime, timedelta, timezone

import wfp
from wfp import _core
from wfp import Field as F

from .conftest import V4, V6, Policy

PERMIT, BLOCK = wfp.Action.PERMIT, wfp.Action.BLOCK
APP = wfp.app_id(r"C:\Tools\curl.exe")
USER = "S-1-5-21-7-8-9-1001"


def test_a_drop_is_recorded_with_its_rule_layer_time_and_values(session, policy: Policy):
    block = policy.rule("block web", policy.sublayer(0x100), BLOCK, F.IP_REMOTE_PORT == 443)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    session.classify(
        V4,
        {
            F.IP_PROTOCOL: 6,
            F.IP_LOCAL_ADDRESS: "192.168.1.20",
            F.IP_LOCAL_PORT: 50000,
            F.IP_REMOTE_ADDRESS: "93.184.216.34",
            F.IP_REMOTE_PORT: 443,
            F.ALE_APP_ID: APP,
            F.ALE_USER_ID: [USER, "S-1-5-32-545"],
        },
    )
    (event,) = session.events()
    assert (event.action, event.rule_id, event.layer) == (BLOCK, block, V4)
    assert before <= event.time <= datetime.now(timezone.utc) + timedelta(seconds=1)
    assert (
        event.protocol,
        event.local_address,
        event.local_port,
        event.remote_address,
        event.remote_port,
    ) == (
        6,
        ipaddress.ip_address("192.168.1.20"),
        50000,
        ipaddress.ip_address("93.184.216.34"),
        443,
    )
    assert (event.app_id, event.user) == (APP, USER)
    assert "DROP ALE_AUTH_CONNECT_V4" in str(event)


def test_allows_only_when_asked_and_nothing_when_told(session, policy: Policy):
    s = policy.sublayer(0x100)
    permit = policy.rule("permit dns", s, PERMIT, F.IP_REMOTE_PORT == 53)
    policy.rule("block rest", s, BLOCK, F.IP_REMOTE_PORT == 80)
    session.classify(V4, {F.IP_REMOTE_PORT: 53})  # allow, not recorded by default
    session.classify(V4, {F.IP_REMOTE_PORT: 53}, record="all")
    session.classify(V4, {F.IP_REMOTE_PORT: 80}, record="none")
    session.classify(V4, {F.IP_REMOTE_PORT: 9999}, record="all")  # nothing decided: no event
    events = session.events()
    assert [(e.action, e.rule_id) for e in events] == [(PERMIT, permit)]


def test_ipv6_values_and_missing_fields(session, policy: Policy):
    policy.rule("block", policy.sublayer(0x100), BLOCK, layer=V6)
    session.classify(V6, {F.IP_REMOTE_ADDRESS: "2001:db8::5"})
    (event,) = session.events()
    assert event.remote_address == ipaddress.IPv6Address("2001:db8::5")
    assert event.local_address is None and event.remote_port is None and event.protocol is None


def test_time_window_and_order(session, policy: Policy):
    policy.rule("block", policy.sublayer(0x100), BLOCK)
    session.classify(V4, {F.IP_REMOTE_PORT: 1})
    time.sleep(0.02)
    middle = datetime.now(timezone.utc)
    time.sleep(0.02)
    session.classify(V4, {F.IP_REMOTE_PORT: 2})
    session.classify(V4, {F.IP_REMOTE_PORT: 3})
    assert [e.remote_port for e in session.events()] == [1, 2, 3]
    assert [e.remote_port for e in session.events(since=middle)] == [2, 3]
    assert [e.remote_port for e in session.events(until=middle)] == [1]


def test_classify_many_records_too_and_the_log_keeps_the_newest(engine, session, policy: Policy):
    policy.rule("block", policy.sublayer(0x100), BLOCK)
    _core.events_set_capacity(engine._handle, 5)
    session.classify_many(V4, [{F.IP_REMOTE_PORT: p} for p in range(12)])
    assert [e.remote_port for e in session.events()] == [7, 8, 9, 10, 11]
    _core.events_clear(engine._handle)
    assert session.events() == []


def test_events_belong_to_their_engine(session, policy: Policy):
    policy.rule("block", policy.sublayer(0x100), BLOCK)
    session.classify(V4, {F.IP_REMOTE_PORT: 1})
    with wfp.Session(name="elsewhere", backend=wfp.SimEngine()) as other:
        assert other.events() == []
    with wfp.Session(name="same engine", backend=session.engine) as same:
        assert len(same.events()) == 1
