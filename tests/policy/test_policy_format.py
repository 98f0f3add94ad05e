"""Policy files: the format, fan-out over layers and families, address lists, chunking, keys."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import uuid

import pytest
from hypothesis import given, settings, strategies as st

import wfp
from wfp import policy as policies
from wfp.fields import Field, Layer, Match

V4, V6 = Layer.ALE_AUTH_CONNECT_V4, Layer.ALE_AUTH_CONNECT_V6
RECV4, RECV6 = Layer.ALE_AUTH_RECV_ACCEPT_V4, Layer.ALE_AUTH_RECV_ACCEPT_V6

HEAD = """
[provider]
name = "test provider"

[[sublayer]]
name = "main"
weight = 4096
"""


def values_of(rule: wfp.Rule, field: Field) -> list:
    return [c.value for c in rule.conditions if c.field is field]


def test_killswitch_example_has_wireguards_35_filters(examples):
    policy = policies.load(examples / "killswitch.toml")
    assert len(policy.rules) == 35
    by_name: dict = {}
    for rule in policy.rules:
        by_name.setdefault(rule.name, []).append(rule)
    four_layers = {V4, V6, RECV4, RECV6}
    for name in ("permit wireguard service", "block dns", "permit loopback",
                 "permit tunnel interface", "block all"):
        assert {r.layer for r in by_name[name]} == four_layers, name
    # DNS servers of both families: each family's permit on its own layers only
    permits = {r.layer: r for r in by_name["permit dns to tunnel resolvers"]}
    assert set(permits) == four_layers
    assert values_of(permits[V4], Field.IP_REMOTE_ADDRESS) == [ipaddress.ip_address("10.64.0.1")]
    assert values_of(permits[RECV6], Field.IP_REMOTE_ADDRESS) == [ipaddress.ip_address("fd00:64::1")]
    weights = {name: rules[0].weight.value for name, rules in by_name.items()}
    assert weights["permit dns to tunnel resolvers"] > weights["block dns"] > \
        weights["permit loopback"] > weights["permit tunnel interface"] > weights["block all"]
    assert all(r.hard for r in by_name["permit wireguard service"])
    assert not any(r.hard for r in by_name["block all"])
    assert all(r.persistent for r in policy.rules)  # the provider is persistent
    loopback = by_name["permit loopback"][0].conditions
    assert [(c.field, c.match, c.value) for c in loopback] == [(Field.FLAGS, Match.FLAGS_ALL_SET, 1)]
    assert len(by_name["permit ndp neighbor solicitation"]) == 2
    assert values_of(by_name["permit ndp router solicitation"][0], Field.ICMP_TYPE) == [133]


def test_app_allowlist_example(examples):
    policy = policies.load(examples / "app_allowlist.toml")
    browsers = [r for r in policy.rules if r.name == "permit browsers"]
    assert {r.layer for r in browsers} == {V4, V6}
    assert values_of(browsers[0], Field.ALE_APP_ID) == [
        wfp.app_id(r"C:\Program Files\Mozilla Firefox\firefox.exe"),
        wfp.app_id(r"C:\Program Files\Google\Chrome\Application\chrome.exe")]
    updater = {r.layer: r for r in policy.rules if r.name == "permit updater to the update servers"}
    assert values_of(updater[V4], Field.IP_REMOTE_ADDRESS) == [ipaddress.ip_network("192.0.2.0/24")]
    assert values_of(updater[V6], Field.IP_REMOTE_ADDRESS) == [ipaddress.ip_network("2001:db8:10::/48")]


def test_blocklist_generator_is_deterministic_and_matches_the_committed_file(
        examples, make_blocklist, tmp_path):
    first = make_blocklist.write(tmp_path / "a.txt")
    second = make_blocklist.write(tmp_path / "b.txt")
    assert first.read_bytes() == second.read_bytes()
    assert (examples / "blocklist.txt").read_bytes() == first.read_bytes()
    assert len(make_blocklist.entries()) == 50_000
    assert first.stat().st_size < 1_000_000


def test_blocklist_example_collapses_splits_and_chunks(examples):
    policy = policies.load(examples / "blocklist.toml")
    listed = [ipaddress.ip_network(line.split("#")[0].strip())
              for line in (examples / "blocklist.txt").read_text().splitlines()
              if line.strip() and line.strip()[0] not in "#;"]
    expected = {4: list(ipaddress.collapse_addresses(n for n in listed if n.version == 4)),
                6: list(ipaddress.collapse_addresses(n for n in listed if n.version == 6))}
    outbound = [r for r in policy.rules if r.name.startswith("block feed outbound")]
    for layer, family in ((V4, 4), (V6, 6)):
        mine = [r for r in outbound if r.layer is layer]
        assert len(mine) > 1  # longer than one filter may carry
        got = [ipaddress.ip_network(v) for r in mine for v in values_of(r, Field.IP_REMOTE_ADDRESS)]
        assert got == expected[family]
        assert all(len(r.conditions) <= policies.CHUNK_MAX_ENTRIES for r in mine)
        assert all(v.version == family for v in got)
        assert len({r.key for r in mine}) == len(mine)
        assert {r.name for r in mine} == {f"block feed outbound [{i}]" for i in range(len(mine))}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)), max_size=60))
def test_collapse_equals_ipaddress_collapse_addresses(items):
    networks = [ipaddress.IPv4Network((value >> (32 - length) << (32 - length), length))
                for value, length in items]
    assert policies.collapse(networks)[0] == list(ipaddress.collapse_addresses(networks))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)), max_size=40))
def test_collapse_equals_ipaddress_collapse_addresses_v6(items):
    networks = [ipaddress.IPv6Network((value >> (128 - length) << (128 - length), length))
                for value, length in items]
    assert policies.collapse(networks)[1] == list(ipaddress.collapse_addresses(networks))


@pytest.mark.parametrize("text", ["10.0.0.1", "10.0.0.0/8", "::", "fd00::/8", "2001:db8::1/128",
                                  "0.0.0.0/0", "::ffff:1.2.3.4"])
def test_parse_prefix_agrees_with_ipaddress(text):
    version, value, length = policies.parse_prefix(text)
    network = ipaddress.ip_network(text)
    assert (version, value, length) == (network.version, int(network.network_address),
                                        network.prefixlen)


@pytest.mark.parametrize("text,reason", [
    ("10.0.0.1/8", "host bits set (did you mean 10.0.0.0/8?)"),
    ("10.0.0.256", "not an IP address"), ("10.0.0.0/33", "bad prefix length"),
    ("hello", "not an IP address"), ("fd00::/200", "bad prefix length")])
def test_parse_prefix_rejects(text, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        policies.parse_prefix(text)


def test_chunking_keeps_short_lists_whole_and_bounds_long_ones():
    assert policies.chunk_entries(list(range(1000))) == [list(range(1000))]
    entries = list(range(5000))
    chunks = policies.chunk_entries(entries)
    assert [e for c in chunks for e in c] == entries
    assert all(len(c) <= policies.CHUNK_MAX_ENTRIES for c in chunks)
    assert all(len(c) >= policies.CHUNK_MIN_ENTRIES for c in chunks[:-1])


def test_chunk_boundaries_follow_content_so_one_insert_changes_one_chunk():
    entries = [f"10.{i // 256}.{i % 256}.1" for i in range(20_000)]
    before = policies.chunk_entries(entries)
    changed = entries[:7000] + ["10.99.99.99"] + entries[7000:]
    after = policies.chunk_entries(changed)
    differing = sum(1 for a, b in zip(before, after) if a != b) + abs(len(before) - len(after))
    assert differing <= 2


def test_same_policy_in_json_and_toml_gives_the_same_rules(write):
    toml = write("p.toml", HEAD + """
        [[rule]]
        name = "dns"
        layer = "ALE_AUTH_CONNECT"
        sublayer = "main"
        weight = { range = 3 }
        action = "block"
        [rule.conditions]
        ip_remote_port = 53
        ip_protocol = [17, 6]
        ip_local_port = { range = [1024, 65535] }
        """)
    document = {"provider": {"name": "test provider"}, "sublayer": [{"name": "main", "weight": 4096}],
                "rule": [{"name": "dns", "layer": "ALE_AUTH_CONNECT", "sublayer": "main",
                          "weight": {"range": 3}, "action": "block",
                          "conditions": {"IP_REMOTE_PORT": 53, "ip_protocol": [17, 6],
                                         "ip_local_port": {"range": [1024, 65535]}}}]}
    json_path = write("p.json", json.dumps(document))
    from_toml, from_json = policies.load(toml), policies.load(json_path)
    assert from_toml.rules == from_json.rules
    assert from_toml.sublayers == from_json.sublayers
    assert {r.layer for r in from_toml.rules} == {V4, V6}
    rule = from_toml.rules[0]
    assert rule.weight == wfp.WeightRange(3)
    assert [(c.field, c.match, c.value) for c in rule.conditions] == [
        (Field.IP_REMOTE_PORT, Match.EQUAL, 53), (Field.IP_PROTOCOL, Match.EQUAL, 17),
        (Field.IP_PROTOCOL, Match.EQUAL, 6),
        (Field.IP_LOCAL_PORT, Match.RANGE, wfp.Range(1024, 65535))]


def test_address_family_split_makes_no_filter_for_a_family_without_addresses(write):
    path = write("p.toml", HEAD + """
        [[rule]]
        name = "v4 only"
        layer = ["ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6"]
        action = "block"
        [rule.conditions]
        ip_remote_address = ["10.0.0.0/24", "10.0.1.0/24", "10.0.0.7"]
        [[rule]]
        name = "v6 from a v4 layer"
        layer = "ALE_AUTH_CONNECT_V4"
        action = "block"
        [rule.conditions]
        ip_remote_address = "fd00::/8"
        """)
    policy = policies.load(path)
    v4only = [r for r in policy.rules if r.name == "v4 only"]
    assert [r.layer for r in v4only] == [V4]
    assert values_of(v4only[0], Field.IP_REMOTE_ADDRESS) == [ipaddress.ip_network("10.0.0.0/23")]
    moved = [r for r in policy.rules if r.name == "v6 from a v4 layer"]
    assert [r.layer for r in moved] == [V6]


def test_rules_without_a_sublayer_go_to_the_universal_sublayer(write):
    policy = policies.load(write("p.toml", HEAD + """
        [[rule]]
        name = "r"
        layer = "ALE_AUTH_CONNECT_V4"
        action = "permit"
        """))
    assert policy.rules[0].sublayer == uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")


def test_keys_are_uuid5_under_the_provider_and_stable_across_processes(examples):
    policy = policies.load(examples / "killswitch.toml")
    provider = policy.provider.key
    assert provider == uuid.uuid5(policies.POLICY_NAMESPACE, "provider\0WireGuard kill switch")
    rule = next(r for r in policy.rules if r.name == "block dns" and r.layer is V4)
    assert rule.key == uuid.uuid5(provider, "rule\0block dns\0ALE_AUTH_CONNECT_V4\0000")
    assert rule.key.version == 5
    code = ("import wfp.policy as p, sys; pol = p.load(sys.argv[1]); "
            "print(pol.provider.key, *[s.key for s in pol.sublayers], *[r.key for r in pol.rules])")
    runs = [subprocess.run([sys.executable, "-c", code, str(examples / "killswitch.toml")],
                           capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout.split()
            for seed in (1, 2)]
    here = [str(policy.provider.key)] + [str(s.key) for s in policy.sublayers] + \
        [str(r.key) for r in policy.rules]
    assert runs[0] == runs[1] == here


def test_explicit_keys_are_used(write):
    policy = policies.load(write("p.toml", """
        [provider]
        name = "p"
        key = "5fb216a8-e2e8-4024-b853-391a4168641e"
        [[rule]]
        name = "r"
        key = "11111111-2222-3333-4444-555555555555"
        layer = "ALE_AUTH_CONNECT_V4"
        action = "block"
        """))
    assert policy.provider.key == uuid.UUID("5fb216a8-e2e8-4024-b853-391a4168641e")
    assert policy.rules[0].key == uuid.UUID("11111111-2222-3333-4444-555555555555")
    assert policy.rules[0].provider == policy.provider.key


def test_schema_file_ships_and_accepts_the_examples(examples):
    jsonschema = pytest.importorskip("jsonschema")
    import tomllib
    schema = json.loads(policies.schema_path().read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in ("killswitch.toml", "blocklist.toml", "app_allowlist.toml"):
        jsonschema.validate(tomllib.loads((examples / name).read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"provider": {"name": "p"}, "rule": [{"name": "r", "layer": "X",
                                                                  "action": "drop"}]}, schema)


def test_render_toml_round_trips_through_tomllib():
    import tomllib
    document = {"format": "x", "version": 1, "skip": None,
                "items": [{"key": "a", "n": 2, "flags": [1, 2], "inner": {"v": "q\"uote"},
                           "gone": None, "conditions": {"ip_remote_port": 53,
                                                        "app": {"hex": "00ff"}}}]}
    parsed = tomllib.loads(policies.render_toml(document))
    assert parsed == {"format": "x", "version": 1,
                      "items": [{"key": "a", "n": 2, "flags": [1, 2], "inner": {"v": "q\"uote"},
                                 "conditions": {"ip_remote_port": 53, "app": {"hex": "00ff"}}}]}
