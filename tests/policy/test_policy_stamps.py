"""Stamps: each filter a policy writes carries, in its provider data, a versioned digest of its
canonical form.  Re-planning compares the engine's tuples with the policy's canonical forms
without building a wfp.Rule, and still catches a rule changed (even one re-added with its stamp
copied), deleted, written by another version, or under a changed provider or sublayer."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

import wfp
from wfp import _core, policy as policies
from wfp.fields import Field

POLICY = """
[provider]
name = "stamp test"
description = "{provider_description}"

[[sublayer]]
name = "main"
weight = 4096

[[rule]]
name = "block dns"
layer = "ALE_AUTH_CONNECT"
sublayer = "main"
weight = {{ range = {dns_weight} }}
action = "block"
[rule.conditions]
ip_remote_port = 53
ip_protocol = [17, 6]

[[rule]]
name = "permit lan"
layer = ["ALE_AUTH_CONNECT_V4", "ALE_AUTH_RECV_ACCEPT_V4"]
sublayer = "main"
weight = 100
action = "permit"
[rule.conditions]
ip_remote_address = "192.168.0.0/16"
ip_local_port = {{ range = [1024, 65535] }}
"""

# Every kind of value the policy encodes itself (addresses of both families, single and
# prefixes, integers of each width) next to ones it hands to the library's encoder.
VARIED = """
[provider]
name = "varied"

[[rule]]
name = "v4 host"
layer = "ALE_AUTH_CONNECT_V4"
action = "block"
[rule.conditions]
ip_remote_address = "10.1.2.3"
ip_local_address = "10.0.0.0/8"
ip_protocol = 6
ip_remote_port = [80, 443, 8080]
interface_index = 4294967295
ip_local_interface = 1099511627776

[[rule]]
name = "v6 host"
layer = "ALE_AUTH_CONNECT"
action = "permit"
[rule.conditions]
ip_remote_address = "2001:db8::1"
ip_local_address = "fd00::/8"
flags = { match = "flags_all_set", value = 1 }

[[rule]]
name = "mixed list"
layer = ["ALE_AUTH_CONNECT", "ALE_AUTH_RECV_ACCEPT"]
action = "block"
hard = true
[rule.conditions]
ip_remote_address = ["10.0.0.0/24", "10.0.1.0/24", "2001:db8:1::/48", "192.0.2.7", "::1"]
ip_remote_port = { range = [1, 1023] }

[[rule]]
name = "app and user"
layer = "ALE_AUTH_CONNECT_V4"
action = "permit"
weight = 18446744073709551615
[rule.conditions]
ale_app_id = { app = 'C:\\Program Files\\App\\app.exe' }
ale_user_id = "D:(A;;0x1;;;WD)"
ip_remote_port = { match = "not_equal", value = 25 }

[[rule]]
name = "one v4 address on both families' layers"
layer = ["ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6", "ALE_AUTH_RECV_ACCEPT"]
action = "block"
[rule.conditions]
ip_remote_address = "198.51.100.0/24"
ip_protocol = 17

[[rule]]
name = "no conditions"
layer = "ALE_AUTH_RECV_ACCEPT_V6"
action = "block"
"""


@pytest.fixture
def policy_file(write):
    def make(*, dns_weight: int = 14, provider_description: str = "first") -> object:
        return write("policy.toml", POLICY.format(dns_weight=dns_weight,
                                                  provider_description=provider_description))
    return make


@pytest.fixture
def count_builds(monkeypatch):
    """A list that grows by one each time a policy filter is built as a wfp.Rule."""
    built: list = []
    original = policies._Filter.build

    def counting(self, *args):
        built.append(self.name)
        return original(self, *args)
    monkeypatch.setattr(policies._Filter, "build", counting)
    return built


def readd(session: wfp.Session, key, **changes) -> None:
    """Delete a filter and add it again under the same key with some fields changed (its
    provider data kept unless changed): what a tool working behind the policy's back does."""
    old = session.rule(key)
    session.delete_rule(key)
    session.add_rule(dataclasses.replace(old, id=None, effective_weight=None, **changes))


def stamps(session: wfp.Session, policy: policies.Policy) -> dict:
    return {r.key: r.data for r in session.rules(provider=policy.provider.key)}


def test_every_filter_carries_the_stamp_of_its_canonical_form(static_session, policy_file):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    written = stamps(static_session, policy)
    assert written == {r.key: r.data for r in policy.rules}
    for data in written.values():
        assert data.startswith(policies.STAMP_PREFIX)
        assert len(data) == len(policies.STAMP_PREFIX) + 16
    assert len(set(written.values())) == len(written)  # each filter's own form

    heavier = policies.load(policy_file(dns_weight=9))
    changed = {r.key for r in heavier.rules if r.data != written[r.key]}
    assert changed == {r.key for r in heavier.rules if r.name == "block dns"}


def test_stamps_are_the_same_in_every_process(examples):
    code = ("import wfp.policy as p, sys; pol = p.load(sys.argv[1]); "
            "print(*[r.data.hex() for r in pol.rules])")
    path = str(examples / "killswitch.toml")
    runs = [subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout.split()
            for seed in (1, 2)]
    assert runs[0] == runs[1] == [r.data.hex() for r in policies.load(path).rules]


def test_reapplying_compares_without_building_rules(static_session, engine, write, count_builds):
    path = write("varied.toml", VARIED)
    first = policies.load(path).apply(static_session)
    assert len(count_builds) == len(first.adds) - 1  # every filter (the provider is no rule)
    count_builds.clear()
    ids_before = engine.stats()["next_filter_id"]

    again = policies.load(path)
    plan = again.plan(static_session)
    assert not plan.has_changes and plan.unchanged == len(first.adds)
    assert not again.apply(static_session).has_changes
    assert count_builds == []  # equal on the canonical form: no Rule built or decoded
    assert engine.stats()["next_filter_id"] == ids_before


def test_rules_made_from_loaded_values_equal_rules_the_library_checks_and_encodes(write,
                                                                                examples):
    for path in (write("varied.toml", VARIED), examples / "killswitch.toml",
                 examples / "app_allowlist.toml", examples / "blocklist.toml"):
        for rule in policies.load(path).rules:
            checked = wfp.Rule(**{f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)
                                  if f.init and f.name not in ("id", "effective_weight")})
            assert checked == rule, rule.name
            assert sent(checked) == sent(rule), rule.name  # what the engine is sent


def sent(rule: wfp.Rule) -> tuple:
    """A rule's filter tuple, its conditions as tuples whether the rule keeps them packed."""
    wire = rule._to_wire()
    if type(wire[8]) is bytes:
        wire = wire[:8] + (_core.unpack_conditions(wire[8]),) + wire[9:]
    return wire


def test_a_rule_changed_behind_the_policys_back_is_replaced_though_its_stamp_is_intact(
        static_session, policy_file):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    dns = next(r for r in policy.rules if r.name == "block dns")
    lan = next(r for r in policy.rules if r.name == "permit lan")
    readd(static_session, dns.key, weight=wfp.WeightRange(2))
    readd(static_session, lan.key, conditions=(Field.IP_REMOTE_PORT == 22,))
    assert static_session.rule(dns.key).data == dns.data  # the stamp was copied along

    plan = policies.load(policy_file()).plan(static_session)
    assert sorted((c.action, c.name, c.fields) for c in plan.changes) == [
        ("replace", "block dns", ("weight",)), ("replace", "permit lan", ("conditions",))]
    policies.load(policy_file()).apply(static_session)
    assert {r.key: r for r in static_session.rules()} == {r.key: r for r in policy.rules}
    assert not policies.load(policy_file()).plan(static_session).has_changes


def test_a_deleted_rule_is_added_again(static_session, policy_file):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    gone = policy.rules[1]
    static_session.delete_rule(gone.key)
    plan = policies.load(policy_file()).plan(static_session)
    assert [(c.action, c.key) for c in plan.changes] == [("add", gone.key)]
    policies.load(policy_file()).apply(static_session)
    assert static_session.rule(gone.key) == gone


@pytest.mark.parametrize("data", [
    None,  # written before stamps existed
    b"wfpkit-policy\x00" + bytes(16),  # another version of the stamp
    b"someone else's provider data",
])
def test_a_filter_without_this_versions_stamp_is_replaced(static_session, policy_file, data):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    target = policy.rules[0]
    readd(static_session, target.key, data=data)
    plan = policies.load(policy_file()).plan(static_session)
    assert len(plan.changes) == 1
    change = plan.changes[0]
    assert (change.action, change.key, change.fields) == ("replace", target.key, ())
    assert "stamp" in change.reason and "stamp" in change.describe()
    policies.load(policy_file()).apply(static_session)
    assert static_session.rule(target.key).data == target.data
    assert not policies.load(policy_file()).plan(static_session).has_changes


def test_a_changed_provider_replaces_its_sublayers_and_rules(static_session, policy_file):
    policies.load(policy_file()).apply(static_session)
    changed = policies.load(policy_file(provider_description="second"))
    plan = changed.plan(static_session)
    assert [(c.action, c.kind) for c in plan.changes] == [
        ("replace", "provider"), ("replace", "sublayer")] + [("replace", "rule")] * 4
    assert plan.changes[0].fields == ("description",)
    assert all(c.reason == "its provider or sublayer is replaced" for c in plan.changes[2:])
    changed.apply(static_session)
    assert static_session.provider(changed.provider.key).description == "second"
    assert {r.key: r for r in static_session.rules()} == {r.key: r for r in changed.rules}
    assert not changed.plan(static_session).has_changes


def test_quick_and_careful_reading_give_the_same_filters(write, examples, monkeypatch):
    paths = [write("varied.toml", VARIED), examples / "killswitch.toml",
             examples / "app_allowlist.toml", examples / "blocklist.toml"]
    quick = [policies.load(path) for path in paths]
    monkeypatch.setattr(policies, "_quick_rule", lambda *_args: None)
    careful = [policies.load(path) for path in paths]
    for one, other in zip(quick, careful):
        assert [(f.key, f.name, f.layer.name, f.chunk, f.wires, f.stamp) for f in one._filters] \
            == [(f.key, f.name, f.layer.name, f.chunk, f.wires, f.stamp) for f in other._filters]
        assert one == other


@pytest.mark.parametrize("value, expected", [("6.0", "a fraction"), ("[6.0]", "a fraction"),
                                             ("[17, true, {}]", "a value table has one of")])
def test_a_value_equal_to_one_seen_before_is_still_checked(write, value, expected):
    # Rules that write the same value share its reading; 6.0 equals 6 as a key but is wrong.
    path = write("p.toml", """
        [provider]
        name = "p"
        [[rule]]
        name = "first"
        layer = "ALE_AUTH_CONNECT_V4"
        action = "block"
        [rule.conditions]
        ip_protocol = 6
        [[rule]]
        name = "second"
        layer = "ALE_AUTH_CONNECT_V4"
        action = "block"
        [rule.conditions]
        ip_protocol = 6
        [[rule]]
        name = "third"
        layer = "ALE_AUTH_CONNECT_V4"
        action = "block"
        [rule.conditions]
        ip_protocol = %s
        """ % value)
    with pytest.raises(policies.PolicyError) as caught:
        policies.load(path)
    assert "rule[2] 'third': conditions.ip_protocol" in str(caught.value)
    assert expected in str(caught.value)
