"""Digests: planning compares the engine's rules with a policy's by key and a content digest
computed in C (``Session.filter_digests``, ``src/core/digest.c``), without building a wfp.Rule
for an unchanged rule, and still catches a rule changed (even re-added with the same key),
deleted, written with other provider data, or under a changed provider or sublayer.  A plan
given to ``Policy.apply`` is carried out only if the provider's objects are still those it was
made against; an unchanged file is re-applied from the re-apply cache without being parsed."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

import wfp
from wfp import _core
from wfp import policy as policies
from wfp.fields import Field, Match

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
    """Delete a filter and add it again under the same key with some fields changed: what a
    tool working behind the policy's back does."""
    old = session.rule(key)
    session.delete_rule(key)
    session.add_rule(dataclasses.replace(old, id=None, effective_weight=None, **changes))


def test_reapplying_compares_without_building_rules(static_session, engine, write, count_builds):
    path = write("varied.toml", VARIED)
    first = policies.load(path).apply(static_session)
    assert count_builds == []  # added as declared: no Rule built
    assert len(first.adds) - 1 == len(count_builds)  # each made when the plan's changes are read
    count_builds.clear()
    ids_before = engine.stats()["next_filter_id"]

    again = policies.load(path, cache=False)  # the full comparison, not the re-apply cache
    assert again.parsed
    plan = again.plan(static_session)
    assert not plan.has_changes and plan.unchanged == len(first.adds)
    assert not again.apply(static_session).has_changes
    assert count_builds == []  # equal digests: no Rule built or decoded
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


def test_a_rule_changed_behind_the_policys_back_is_replaced(static_session, policy_file):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    dns = next(r for r in policy.rules if r.name == "block dns")
    lan = next(r for r in policy.rules if r.name == "permit lan")
    readd(static_session, dns.key, weight=wfp.WeightRange(2))
    readd(static_session, lan.key, conditions=(Field.IP_REMOTE_PORT == 22,))

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
        assert [(f.key, f.name, f.layer.name, f.chunk, f.wire()) for f in one._filters] \
            == [(f.key, f.name, f.layer.name, f.chunk, f.wire()) for f in other._filters]
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


# ---- the digests themselves ----

BASE = wfp.Rule(
    key=uuid.UUID("0b0f6f4c-1111-4a55-9a3e-6f1e2b7c9d40"), name="base", description="d",
    layer=wfp.Layer.ALE_AUTH_CONNECT_V4, action=wfp.Action.BLOCK, weight=wfp.WeightRange(3),
    conditions=(Field.IP_REMOTE_PORT == 53, Field.IP_PROTOCOL == 17,
                Field.IP_REMOTE_ADDRESS == "10.0.0.0/8"),
    data=b"x")


def digest(rule: wfp.Rule) -> bytes:
    return _core.filter_digests([rule._to_wire()])


@pytest.mark.parametrize("change", [
    {"key": uuid.UUID("0b0f6f4c-2222-4a55-9a3e-6f1e2b7c9d40")},
    {"name": "other"},
    {"description": "other"},
    {"description": None},
    {"hard": True},
    {"weight": wfp.WeightRange(4)},
    {"weight": 3},
    {"weight": None},
    {"action": wfp.Action.PERMIT},
    {"data": b"y"},
    {"data": None},
    {"layer": wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4},
    {"sublayer": uuid.UUID("0b0f6f4c-3333-4a55-9a3e-6f1e2b7c9d40")},
    {"provider": uuid.UUID("0b0f6f4c-4444-4a55-9a3e-6f1e2b7c9d40")},
    {"conditions": (Field.IP_REMOTE_PORT == 54, Field.IP_PROTOCOL == 17,
                    Field.IP_REMOTE_ADDRESS == "10.0.0.0/8")},
    {"conditions": (Field.IP_REMOTE_PORT == 53, Field.IP_PROTOCOL == 17,
                    Field.IP_REMOTE_ADDRESS == "10.0.0.0/9")},
    {"conditions": (Field.IP_REMOTE_PORT == 53, Field.IP_PROTOCOL == 17,
                    Field.IP_REMOTE_ADDRESS == "10.0.0.1")},
    {"conditions": (Field.IP_LOCAL_PORT == 53, Field.IP_PROTOCOL == 17,
                    Field.IP_REMOTE_ADDRESS == "10.0.0.0/8")},
    {"conditions": (wfp.Condition(Field.IP_REMOTE_PORT, Match.NOT_EQUAL, 53),
                    Field.IP_PROTOCOL == 17, Field.IP_REMOTE_ADDRESS == "10.0.0.0/8")},
    {"conditions": (Field.IP_PROTOCOL == 17, Field.IP_REMOTE_ADDRESS == "10.0.0.0/8")},
    {"conditions": (wfp.Condition(Field.IP_REMOTE_PORT, Match.RANGE, wfp.Range(53, 54)),
                    Field.IP_PROTOCOL == 17, Field.IP_REMOTE_ADDRESS == "10.0.0.0/8")},
])
def test_a_digest_changes_with_every_field_that_matters(change):
    assert digest(BASE) == digest(dataclasses.replace(BASE))  # equal rules, equal digests
    assert len(digest(BASE)) == 16
    assert digest(dataclasses.replace(BASE, **change)) != digest(BASE)


def test_a_digest_does_not_depend_on_the_order_of_conditions_nor_on_the_engines_bookkeeping(
        static_session):
    shuffled = dataclasses.replace(BASE, conditions=tuple(reversed(BASE.conditions)))
    assert digest(shuffled) == digest(BASE)
    provider = wfp.Provider(key=uuid.uuid4(), name="p")
    static_session.add_provider(provider)
    rule = dataclasses.replace(BASE, provider=provider.key, data=None)
    static_session.add_rule(rule)
    read_back = static_session.rule(rule.key)  # with an id, an effective weight, a sublayer
    found = static_session.filter_digests(provider.key)
    assert found.filter_map() == {rule.key: digest(read_back)}
    assert found.filters == rule.key.bytes + digest(read_back)


def test_the_aggregate_covers_rules_sublayers_and_the_provider(static_session):
    provider = wfp.Provider(key=uuid.uuid4(), name="p")
    sublayer = wfp.Sublayer(key=uuid.uuid4(), name="s", provider=provider.key, weight=9)
    static_session.add_provider(provider)
    static_session.add_sublayer(sublayer)
    empty = static_session.filter_digests(provider.key)
    assert empty.filters == b"" and len(empty.sublayers) == 32 and empty.provider is not None
    rule = dataclasses.replace(BASE, provider=provider.key, sublayer=sublayer.key)
    static_session.add_rule(rule)
    one = static_session.filter_digests(provider.key)
    assert one.aggregate != empty.aggregate
    assert static_session.filter_digests(provider.key, records=False).aggregate == one.aggregate
    assert static_session.filter_digests(provider.key, records=False).filters == b""
    readd(static_session, rule.key, name="renamed")
    assert static_session.filter_digests(provider.key).aggregate != one.aggregate
    static_session.delete_rule(rule.key)
    static_session.delete_sublayer(sublayer.key)
    static_session.add_sublayer(dataclasses.replace(sublayer, weight=10))
    assert static_session.filter_digests(provider.key).aggregate != empty.aggregate
    nobody = static_session.filter_digests(uuid.uuid4())
    assert nobody.provider is None and nobody.filters == nobody.sublayers == b""


def test_policy_filters_carry_no_provider_data(static_session, policy_file):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    assert {r.data for r in static_session.rules(provider=policy.provider.key)} == {None}


@pytest.mark.parametrize("data", [
    b"wfpkit-policy\x01" + bytes(16),  # the stamp older versions wrote
    b"someone else's provider data",
])
def test_a_filter_with_provider_data_is_replaced(static_session, policy_file, data):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    target = policy.rules[0]
    readd(static_session, target.key, data=data)
    plan = policies.load(policy_file()).plan(static_session)
    assert [(c.action, c.key, c.fields) for c in plan.changes] == [
        ("replace", target.key, ("data",))]
    policies.load(policy_file()).apply(static_session)
    assert static_session.rule(target.key).data is None
    assert not policies.load(policy_file()).plan(static_session).has_changes


# ---- a plan carried out as made, unless the engine changed ----

@pytest.fixture
def count_comparisons(monkeypatch):
    made: list = []
    original = policies._compare

    def counting(*args, **kwargs):
        made.append(1)
        return original(*args, **kwargs)
    monkeypatch.setattr(policies, "_compare", counting)
    return made


def test_a_plan_given_to_apply_is_carried_out_without_comparing_again(
        static_session, policy_file, count_comparisons):
    policy = policies.load(policy_file())
    plan = policy.plan(static_session)
    assert len(count_comparisons) == 1
    applied = policy.apply(static_session, plan=plan)
    assert applied is plan and len(count_comparisons) == 1
    assert {r.key: r for r in static_session.rules()} == {r.key: r for r in policy.rules}


def test_a_plan_is_made_again_when_the_engine_changed_after_it(static_session, policy_file,
                                                               count_comparisons):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    changed = policies.load(policy_file(dns_weight=9), cache=False)
    plan = changed.plan(static_session)
    assert [c.name for c in plan.changes] == ["block dns"] * 2
    gone = next(r for r in policy.rules if r.name == "permit lan")
    static_session.delete_rule(gone.key)  # behind the plan's back
    count_comparisons.clear()
    applied = changed.apply(static_session, plan=plan)
    assert len(count_comparisons) == 1 and applied is not plan
    assert sorted((c.action, c.name) for c in applied.changes) == [
        ("add", "permit lan"), ("replace", "block dns"), ("replace", "block dns")]
    assert {r.key: r for r in static_session.rules()} == {r.key: r for r in changed.rules}


def test_a_plan_with_nothing_to_change_is_returned_without_a_transaction(static_session,
                                                                         engine, policy_file):
    policy = policies.load(policy_file(), cache=False)
    policy.apply(static_session)
    plan = policy.plan(static_session)
    assert not plan.has_changes
    before = engine.stats()["next_filter_id"]
    with wfp.Session(name="writer", dynamic=False, backend=engine) as other:
        with other.transaction():  # holds the engine's write lock: a transaction would wait
            assert policy.apply(static_session, plan=plan) is plan
    assert engine.stats()["next_filter_id"] == before
    # Without the plan, apply takes a transaction, and waits for the writer.
    with wfp.Session(name="writer", dynamic=False, backend=engine) as other, \
            wfp.Session(name="short", dynamic=False, backend=engine, txn_timeout_ms=50) as short:
        with other.transaction(), pytest.raises(wfp.Timeout):
            policy.apply(short)


def test_a_plan_of_another_policy_session_or_prune_is_not_used(static_session, engine,
                                                              policy_file, count_comparisons):
    policy = policies.load(policy_file())
    plan = policy.plan(static_session)
    with wfp.Session(name="other", dynamic=False, backend=engine) as other:
        policy.apply(other, plan=plan)
    assert len(count_comparisons) == 2
    again = policies.load(policy_file(), cache=False)
    count_comparisons.clear()
    again.apply(static_session, plan=again.plan(static_session), prune=True)
    assert len(count_comparisons) == 2  # planned without prune: made again inside


# ---- the re-apply cache ----

LIST_POLICY = """
[provider]
name = "listed"

[[rule]]
name = "block feed"
layer = "ALE_AUTH_CONNECT"
action = "block"
[rule.conditions]
ip_remote_address = { file = "feed.txt" }
"""


@pytest.fixture
def listed(write):
    write("feed.txt", "10.0.0.0/8\n2001:db8::/32\n")
    return write("listed.toml", LIST_POLICY)


def test_an_unchanged_file_is_reapplied_without_being_parsed(static_session, listed,
                                                            count_builds, count_comparisons,
                                                            engine):
    first = policies.load(listed)
    assert first.parsed
    applied = first.apply(static_session)
    assert len(applied.adds) == 3
    count_builds.clear()
    count_comparisons.clear()
    ids_before = engine.stats()["next_filter_id"]

    again = policies.load(listed)
    assert not again.parsed
    plan = again.plan(static_session)
    assert not plan.has_changes and plan.unchanged == 3 and plan.kept == 0
    assert again.apply(static_session, plan=plan) is plan
    assert not again.apply(static_session).has_changes
    assert not again.parsed and count_builds == [] and count_comparisons == []
    assert engine.stats()["next_filter_id"] == ids_before
    # What it reads when asked is the file as applied.
    assert again.provider == first.provider and again.rules == first.rules and again.parsed


def test_a_changed_address_list_is_parsed_and_applied(static_session, listed, write):
    policies.load(listed).apply(static_session)
    write("feed.txt", "10.0.0.0/9\n2001:db8::/32\n")
    again = policies.load(listed)
    assert again.parsed
    plan = again.apply(static_session)
    assert [(c.action, c.layer, c.fields) for c in plan.changes] == [
        ("replace", "ALE_AUTH_CONNECT_V4", ("conditions",))]
    assert not policies.load(listed).parsed  # remembered again
    write("feed.txt", "10.0.0.0/9\n")
    assert policies.load(listed).parsed


def test_a_rule_deleted_out_of_band_is_seen(static_session, listed, count_comparisons):
    first = policies.load(listed)
    first.apply(static_session)
    static_session.delete_rule(first.rules[0].key)
    again = policies.load(listed)
    assert not again.parsed
    plan = again.plan(static_session)
    assert [(c.action, c.key) for c in plan.changes] == [("add", first.rules[0].key)]
    assert again.parsed
    again.apply(static_session, plan=plan)
    assert static_session.rule(first.rules[0].key) == first.rules[0]


def test_a_corrupt_or_missing_cache_is_ignored(static_session, listed,
                                               _policy_cache_of_the_test):
    policies.load(listed).apply(static_session)
    assert json.loads(_policy_cache_of_the_test.read_text())["entries"]
    for text in ("{not json", '{"version": 99, "entries": {}}', '[]',
                 '{"version": 1, "wfpkit": "%s", "format": 1, "entries": {"x": 1}}'
                 % wfp.__version__):
        _policy_cache_of_the_test.write_text(text)
        again = policies.load(listed)
        assert again.parsed
        assert not again.plan(static_session).has_changes
    _policy_cache_of_the_test.unlink()
    assert policies.load(listed).parsed
    policies.load(listed).apply(static_session)  # remembered again
    assert not policies.load(listed).parsed


def test_prune_with_a_kept_filter_is_not_answered_from_the_cache(static_session, listed):
    first = policies.load(listed)
    first.apply(static_session)
    extra = dataclasses.replace(first.rules[0], key=uuid.uuid4(), name="extra", id=None,
                                effective_weight=None)
    static_session.add_rule(extra)
    policies.load(listed).apply(static_session)  # kept, and remembered with it
    again = policies.load(listed)
    assert not again.parsed
    kept = again.plan(static_session)
    assert not kept.has_changes and kept.kept == 1 and not again.parsed
    pruned = again.plan(static_session, prune=True)
    assert [(c.action, c.key) for c in pruned.changes] == [("delete", extra.key)]
    again.apply(static_session, prune=True, plan=pruned)
    assert {r.key for r in static_session.rules(provider=first.provider.key)} == \
        {r.key for r in first.rules}
    after = policies.load(listed)
    assert not after.parsed
    assert not after.plan(static_session, prune=True).has_changes and not after.parsed


def test_the_cache_can_be_turned_off(static_session, listed, monkeypatch,
                                     _policy_cache_of_the_test):
    monkeypatch.setenv("WFPKIT_POLICY_CACHE", "off")
    policies.load(listed).apply(static_session)
    assert policies.load(listed).parsed
    assert not _policy_cache_of_the_test.exists()
    elsewhere = _policy_cache_of_the_test.with_name("elsewhere.json")
    policies.load(listed, cache=elsewhere).apply(static_session)
    assert not policies.load(listed, cache=elsewhere).parsed
    assert policies.load(listed, cache=False).parsed


def test_a_bad_file_is_never_answered_from_the_cache(static_session, listed, write):
    policies.load(listed).apply(static_session)
    good = listed.read_text()
    listed.write_text(good.replace('action = "block"', 'action = "blok"'))
    with pytest.raises(policies.PolicyError, match="unknown action"):
        policies.load(listed)
    listed.write_text(good)
    assert not policies.load(listed).parsed


def test_a_policy_with_app_ids_is_not_remembered(static_session, write):
    path = write("apps.toml", """
        [provider]
        name = "apps"
        [[rule]]
        name = "app"
        layer = "ALE_AUTH_CONNECT_V4"
        action = "permit"
        [rule.conditions]
        ale_app_id = { app = 'C:\\Program Files\\App\\app.exe' }
        """)
    policies.load(path).apply(static_session)
    assert policies.load(path).parsed  # app ids come from the system, which may change
