"""Bad input: every problem is one PolicyError naming the file, the place (rule, key) and, where
it can be known, the line; nothing reaches the engine."""

from __future__ import annotations

import json

import pytest

import wfp
from wfp import policy as policies

HEAD = """
[provider]
name = "test provider"

[[sublayer]]
name = "main"
"""


def error_of(path) -> policies.PolicyError:
    with pytest.raises(policies.PolicyError) as caught:
        policies.load(path)
    error = caught.value
    assert isinstance(error, wfp.ValidationError)
    assert "\n" not in str(error)
    return error


def rule(body: str, name: str = "the rule", layer: str = '"ALE_AUTH_CONNECT_V4"') -> str:
    return f"""
[[rule]]
name = "{name}"
layer = {layer}
sublayer = "main"
action = "block"
{body}
"""


def test_malformed_toml_names_file_and_line(write):
    path = write("bad.toml", HEAD + '[[rule]]\nname = "x"\nlayer = [\n')
    error = error_of(path)
    assert str(error).startswith(f"{path}:")
    assert error.line is not None and error.line >= 8
    assert "malformed TOML" in str(error)


def test_malformed_toml_in_the_middle_names_its_line(write):
    path = write("bad.toml", HEAD + '[[rule]]\nname = "x" "y"\nlayer = "ALE_AUTH_CONNECT_V4"\n')
    error = error_of(path)
    assert error.line == path.read_text().splitlines().index('name = "x" "y"') + 1


def test_malformed_json_names_file_and_line(write):
    path = write("bad.json", '{\n "provider": {"name": "p"},\n "rule": [\n  {"name": "x",}\n ]\n}\n')
    error = error_of(path)
    assert str(error).startswith(f"{path}:4: malformed JSON")


def test_unknown_field_names_rule_and_key_and_suggests(write):
    path = write("p.toml", HEAD + rule('[rule.conditions]\nip_remote_prt = 53'))
    error = error_of(path)
    text = str(error)
    assert text.startswith(f"{path}:")
    assert "rule[0] 'the rule'" in text and "conditions.ip_remote_prt" in text
    assert "unknown field" in text and "did you mean ip_remote_port" in text
    assert error.line == path.read_text().splitlines().index("ip_remote_prt = 53") + 1
    assert error.code == 0x80320002  # FWP_E_CONDITION_NOT_FOUND


def test_value_of_the_wrong_type(write):
    path = write("p.toml", HEAD + rule('[rule.conditions]\nip_remote_port = "fifty-three"'))
    text = str(error_of(path))
    assert f"{path}:" in text and "rule[0] 'the rule'" in text
    assert "conditions.ip_remote_port" in text and "fifty-three" in text


def test_port_out_of_range_names_layer(write):
    path = write("p.toml", HEAD + rule('[rule.conditions]\nip_remote_port = 70000'))
    text = str(error_of(path))
    assert "conditions.ip_remote_port" in text and "70000" in text
    assert "ALE_AUTH_CONNECT_V4" in text


def test_address_on_a_non_address_field(write):
    path = write("p.toml", HEAD + rule('[rule.conditions]\nip_protocol = { file = "l.txt" }'))
    text = str(error_of(path))
    assert "conditions.ip_protocol" in text and "only for IP address fields" in text


def test_field_not_available_at_the_layer(write):
    path = write("p.toml", HEAD + rule('[rule.conditions]\nale_app_id = { hex = "00" }',
                                       layer='"INBOUND_IPPACKET_V4"'))
    text = str(error_of(path))
    assert "rule[0] 'the rule'" in text and "conditions.ale_app_id" in text
    assert "INBOUND_IPPACKET_V4" in text


def test_unknown_layer(write):
    path = write("p.toml", HEAD + rule("", layer='["ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONECT_V6"]'))
    error = error_of(path)
    text = str(error)
    assert "rule[0] 'the rule': layer[1]" in text and "unknown layer 'ALE_AUTH_CONECT_V6'" in text
    assert "did you mean ALE_AUTH_CONNECT_V6" in text
    assert error.line == path.read_text().splitlines().index(
        'layer = ["ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONECT_V6"]') + 1


def test_address_list_with_a_bad_line_names_the_list_file_and_line(write):
    write("list.txt", "# feed\n10.0.0.1\n\n2001:db8::/32  # v6\n10.0.0.300\n")
    path = write("p.toml", HEAD + rule('[rule.conditions]\nip_remote_address = { file = "list.txt" }'))
    error = error_of(path)
    assert str(error).startswith(f"{path.parent / 'list.txt'}:5: rule[0] 'the rule': "
                                 "conditions.ip_remote_address")
    assert "10.0.0.300" in str(error)


def test_address_list_with_host_bits_suggests_the_prefix(write):
    write("list.txt", "10.0.0.0/8\n192.168.1.7/24\n")
    path = write("p.toml", HEAD + rule('[rule.conditions]\nip_remote_address = { file = "list.txt" }'))
    text = str(error_of(path))
    assert "list.txt:2:" in text and "did you mean 192.168.1.0/24" in text


def test_missing_address_list(write):
    path = write("p.toml", HEAD + rule('[rule.conditions]\nip_remote_address = { file = "nope.txt" }'))
    text = str(error_of(path))
    assert "nope.txt" in text and "not found" in text and "rule[0] 'the rule'" in text


def test_two_rules_with_the_same_name_and_layer(write):
    path = write("p.toml", HEAD + rule("", layer='"ALE_AUTH_CONNECT"')
                 + rule("", layer='"ALE_AUTH_CONNECT_V6"'))
    error = error_of(path)
    text = str(error)
    assert "rule[1] 'the rule'" in text and "rule[0]" in text and "ALE_AUTH_CONNECT_V6" in text
    assert error.line == [i for i, line in enumerate(path.read_text().splitlines(), 1)
                          if line == "[[rule]]"][1]


def test_same_name_on_different_layers_is_fine(write):
    path = write("p.toml", HEAD + rule("", layer='"ALE_AUTH_CONNECT_V4"')
                 + rule("", layer='"ALE_AUTH_CONNECT_V6"'))
    assert len(policies.load(path).rules) == 2


def test_sublayer_referenced_but_not_declared(write):
    path = write("p.toml", HEAD + rule("").replace('sublayer = "main"', 'sublayer = "mian"'))
    error = error_of(path)
    text = str(error)
    assert "rule[0] 'the rule': sublayer" in text and "'mian' is not declared" in text
    assert "'main'" in text
    assert error.code == 0x80320007 or "SUBLAYER_NOT_FOUND" in error.name


def test_unknown_key_in_a_rule(write):
    path = write("p.toml", HEAD + rule("wieght = 5"))
    text = str(error_of(path))
    assert "rule[0] 'the rule': wieght" in text and "did you mean 'weight'" in text


def test_wrong_type_of_a_rule_key(write):
    path = write("p.toml", HEAD + rule("hard = \"yes\""))
    text = str(error_of(path))
    assert "rule[0] 'the rule': hard" in text and "expected true or false" in text


def test_bad_weight(write):
    path = write("p.toml", HEAD + rule("weight = { range = 16 }"))
    text = str(error_of(path))
    assert "rule[0] 'the rule': weight" in text and "0 to 15" in text


def test_persistent_rule_under_a_non_persistent_provider(write):
    path = write("p.toml", HEAD + rule("persistent = true"))
    text = str(error_of(path))
    assert "rule[0] 'the rule': persistent" in text and "LIFETIME_MISMATCH" in text


def test_unknown_action(write):
    path = write("p.toml", HEAD + rule("").replace('action = "block"', 'action = "drop"'))
    text = str(error_of(path))
    assert "rule[0] 'the rule': action" in text and "'drop'" in text


def test_missing_provider(write):
    path = write("p.toml", '[[rule]]\nname = "r"\nlayer = "ALE_AUTH_CONNECT_V4"\naction = "block"\n')
    text = str(error_of(path))
    assert text.startswith(str(path)) and "missing required key 'provider'" in text


def test_json_errors_name_the_rule_line(write):
    path = write("p.json", """
        {
          "provider": {"name": "p"},
          "rule": [
            {"name": "ok", "layer": "ALE_AUTH_CONNECT_V4", "action": "block"},
            {"name": "bad", "layer": "ALE_AUTH_CONNECT_V4", "action": "block",
             "conditions": {"ip_remote_port": "x"}}
          ]
        }
        """)
    error = error_of(path)
    assert "rule[1] 'bad'" in str(error) and "conditions.ip_remote_port" in str(error)
    assert error.line in (5, 6)


def test_missing_policy_file(tmp_path):
    error = error_of(tmp_path / "absent.toml")
    assert str(error) == f"{tmp_path / 'absent.toml'}: policy file not found"


def test_policy_error_pickles():
    import pickle
    error = policies.PolicyError(87, "p.toml", "rule[0] 'x': layer", "bad", line=3, value="v")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) == "p.toml:3: rule[0] 'x': layer: bad"


def test_empty_hex_bytes_are_rejected(write):
    # The engine keeps an empty byte blob as none: such a filter would be replaced on every apply.
    path = write("p.toml", HEAD + rule('[rule.conditions]\nale_app_id = { hex = "" }'))
    text = str(error_of(path))
    assert "rule[0] 'the rule': conditions.ale_app_id" in text and "empty bytes" in text


@pytest.mark.parametrize("where", ["provider", "rule"])
def test_a_name_with_a_lone_surrogate_is_rejected(write, where):
    document = {"provider": {"name": "p"},
                "rule": [{"name": "ok", "layer": "ALE_AUTH_CONNECT_V4", "action": "block"}]}
    named = document["provider"] if where == "provider" else document["rule"][0]
    named["name"] = "bad \ud800 name"
    path = write("p.json", json.dumps(document))
    text = str(error_of(path))
    assert f"{where}" in text and "name" in text and "lone surrogate" in text


@pytest.mark.parametrize("where", ["provider", "sublayer", "rule"])
def test_a_description_with_a_lone_surrogate_is_rejected_naming_it(tmp_path, where):
    doc = {"provider": {"name": "p"}, "sublayer": [{"name": "s"}],
           "rule": [{"name": "r", "layer": "ALE_AUTH_CONNECT_V4", "action": "block"}]}
    target = doc[where] if where == "provider" else doc[where][0]
    target["description"] = "bad \ud800 text"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(policies.PolicyError) as info:
        policies.load(path)
    assert "description" in str(info.value) and "surrogate" in str(info.value)
