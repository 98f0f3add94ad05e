"""The fast paths give exactly what the general paths give.

* Rules read back by the binding (Session.rules(), Session.rule()) equal, field by field and in
  their filter tuple, the Rules decoded from the binding's filter tuples; they compare, hash,
  print, pickle and re-add like the rules that were added.
* The per-(layer, field) fast condition encoders give the wire form of the validating encoder.
* Rule() makes version-4 keys; the binding rejects duplicate keys and writes strings exactly.
"""

from __future__ import annotations

import copy
import enum
import dataclasses
import gc
import ipaddress
import pickle
import uuid

import pytest
from hypothesis import given, settings, strategies as st

import wfp
from wfp import _core, _ids, fields
from wfp.rules import Rule

from .helpers import V4, V6, add_base
from .test_value_roundtrip import COMMON_LAYERS, MAC_LAYERS, rules_for, samples

F = wfp.Field
EVERYTHING = _core.FILTER_ENUM_FLAG_INCLUDE_BOOTTIME | _core.FILTER_ENUM_FLAG_INCLUDE_DISABLED


def wire_tuples(session: wfp.Session) -> list:
    return session._core.filters(None, None, _core.FILTER_ENUM_OVERLAPPING, EVERYTHING,
                                 _core.ACTION_MASK_ANY, ())


def plain_wire(rule: Rule) -> tuple:
    """A rule's filter tuple with packed conditions turned back into tuples."""
    wire = rule._filter_tuple()
    if type(wire[8]) is bytes:
        wire = wire[:8] + (_core.unpack_conditions(wire[8]),) + wire[9:]
    return wire


def assert_same_rule(built: Rule, decoded: Rule) -> None:
    for f in dataclasses.fields(Rule):
        if f.name not in ("_wire", "_conditions_wire"):
            assert getattr(built, f.name) == getattr(decoded, f.name), f.name
    assert type(built.action) is type(decoded.action)
    assert type(built.layer) is type(decoded.layer)
    assert plain_wire(built) == decoded._filter_tuple()


def mixed_rules(sublayer: uuid.UUID, provider: uuid.UUID) -> list:
    base = dict(sublayer=sublayer, provider=provider)
    return [
        Rule(name="plain", layer=V4, action=wfp.Action.BLOCK, **base),
        Rule(name="weights", layer=V4, action=wfp.Action.PERMIT, weight=wfp.WeightRange(15),
             description="d", data=b"\x00\x01", hard=True, **base),
        Rule(name="exact weight", layer=V6, action=wfp.Action.BLOCK, weight=2**64 - 1,
             conditions=[F.IP_REMOTE_ADDRESS.in_("2001:db8::/32"), F.IP_REMOTE_PORT == 443],
             **base),
        Rule(name="callout", layer=V4, action=wfp.Action.CALLOUT_TERMINATING,
             callout=uuid.UUID(_ids.CALLOUTS["IPSEC_ALE_CONNECT_V4"]),
             permit_if_callout_missing=True, **base),
        Rule(name="blob and range", layer=V4, action=wfp.Action.PERMIT,
             conditions=[F.ALE_APP_ID.prefix("\\x.exe"), F.IP_LOCAL_PORT.between(1, 9),
                         F.IP_REMOTE_ADDRESS == ipaddress.IPv4Address("10.1.2.3")], **base),
        Rule(name="\U0001f525 n\u00e4me", layer=V4, action=wfp.Action.BLOCK, weight=0,
             conditions=[F.FLAGS.all_set(3), F.IP_PROTOCOL != 6], **base),
    ]


@pytest.mark.parametrize("layer_name", COMMON_LAYERS + MAC_LAYERS)
def test_rules_built_by_the_binding_equal_decoded_filter_tuples(static_session, layer_name):
    s = static_session
    _provider, sublayer = add_base(s)
    added = rules_for(wfp.Layer[layer_name], sublayer)
    s.add_rules(added)
    decoded = {w[0]: Rule._from_wire(w) for w in wire_tuples(s)}
    built = s.rules()
    assert len(built) == len(decoded) == len(added)
    for rule in built:
        assert_same_rule(rule, decoded[rule.key])
    by_key = {r.key: r for r in built}
    assert [by_key[r.key] for r in added] == added


def test_odd_filters_keep_their_whole_filter_tuple(static_session):
    """Filters whose tuple a Rule's fields cannot tell (raw context, flags a Rule has no field
    for, a callout key on a non-callout action) keep the tuple the engine returned."""
    s = static_session
    provider, sublayer = add_base(s)
    key_context, key_callout, key_flags = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    port = ((F.IP_REMOTE_PORT.value, 0, (2, 53)),)
    s._core.add_filters([
        (key_context, "raw context", None, 0, provider, V4.value, sublayer, (0, None), port,
         _core.ACTION_BLOCK, None, 12345, None, None),
        (key_callout, "stray callout key", None, 0, provider, V4.value, sublayer, (0, None), (),
         _core.ACTION_PERMIT, uuid.UUID(int=9), 0, None, None),
        (key_flags, "indexed", None, _core.FILTER_FLAG_INDEXED, provider, V4.value, sublayer,
         (1, 3), port, _core.ACTION_BLOCK, None, 0, None, None),
    ], False)
    decoded = {w[0]: Rule._from_wire(w) for w in wire_tuples(s)}
    for rule in s.rules():
        assert_same_rule(rule, decoded[rule.key])
    assert s.rule(key_context)._filter_tuple()[11] == 12345
    assert s.rule(key_flags)._filter_tuple()[3] & _core.FILTER_FLAG_INDEXED


def test_read_back_rules_behave_like_the_rules_added(session):
    provider, sublayer = add_base(session)
    added = mixed_rules(sublayer, provider)
    ids = session.add_rules(added)
    by_key = {r.key: r for r in session.rules()}
    for rule, rule_id in zip(added, ids):
        back = by_key[rule.key]
        assert back == rule and hash(back) == hash(rule) and back in {rule}
        assert back.id == rule_id and session.rule(rule_id) == rule
        expected = dataclasses.replace(rule, id=back.id, effective_weight=back.effective_weight)
        assert repr(back) == repr(expected)
        assert pickle.loads(pickle.dumps(back)) == back
        assert copy.copy(back) == back and copy.deepcopy(back) == back
        renamed = dataclasses.replace(back, name="renamed")
        assert renamed.name == "renamed" and renamed.conditions == rule.conditions
    with pytest.raises(AttributeError, match="no_such_field"):
        getattr(by_key[added[0].key], "no_such_field")
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_key[added[0].key].name = "x"


def test_read_back_rules_re_add_into_another_engine(session):
    provider, sublayer = add_base(session)
    added = mixed_rules(sublayer, provider)
    session.add_rules(added)
    read_back = session.rules()
    with wfp.Session(name="copy", backend=wfp.SimEngine()) as other:
        other.add_provider(session.provider(provider))
        other.add_sublayer(session.sublayer(sublayer))
        # Before anything else reads them: the filter tuple is built from the fields.
        other.add_rules(read_back)
        again = {r.key: r for r in other.rules()}
    assert [again[r.key] for r in added] == added
    assert all(plain_wire(again[r.key]) == plain_wire(r) for r in read_back)


def test_an_enumeration_leaves_nothing_for_the_cyclic_collector(session):
    _provider, sublayer = add_base(session)
    session.add_rules([Rule(name=f"r{i}", layer=V4, action=wfp.Action.BLOCK, sublayer=sublayer,
                            conditions=[F.IP_REMOTE_PORT == i % 65536])
                       for i in range(2000)])
    gc.collect()
    before = len(gc.get_objects())
    rules = session.rules()
    assert len(rules) == 2000
    assert len(gc.get_objects()) - before < 100
    assert rules[5].conditions == (F.IP_REMOTE_PORT == 5,)


def test_packed_conditions_unpack_to_the_filter_tuples(session):
    provider, sublayer = add_base(session)
    rule = Rule(name="all packable", layer=V6, action=wfp.Action.BLOCK, sublayer=sublayer,
                conditions=[F.IP_REMOTE_ADDRESS == ipaddress.IPv6Address("2001:db8::1"),
                            F.IP_REMOTE_ADDRESS.in_("2001:db8::/48"), F.IP_REMOTE_PORT == 80,
                            F.IP_PROTOCOL == 17, F.IP_LOCAL_INTERFACE == 2**64 - 1,
                            F.FLAGS.none_set(0x40), F.ALE_PACKAGE_ID == "S-1-15-2-1"])
    session.add_rule(rule)
    (wire,) = wire_tuples(session)
    (back,) = session.rules()
    assert plain_wire(back)[8] == wire[8]
    assert back.conditions == rule.conditions
    packable = rule.conditions[:-1]
    session.delete_rule(rule.key)
    session.add_rule(dataclasses.replace(rule, conditions=packable))
    (back,) = session.rules()
    assert type(back._filter_tuple()[8]) is bytes and back.conditions == packable


def test_packed_conditions_are_checked_before_use(session):
    with pytest.raises(ValueError, match="48 bytes"):
        _core.unpack_conditions(b"\0" * 47)
    record = bytearray(48)
    record[20:24] = (12).to_bytes(4, "little")  # BYTE_BLOB: never packed
    with pytest.raises(ValueError, match="never packed"):
        _core.unpack_conditions(bytes(record))
    wire = (uuid.uuid4(), "p", None, 0, None, V4.value, None, (0, None), bytes(record),
            _core.ACTION_BLOCK, None, 0, None, None)
    with pytest.raises(ValueError, match="never packed"):
        session._core.add_filters([wire], False)


def test_a_subclass_of_rule_still_builds_and_stays_collectable(session):
    class Tagged(Rule):
        pass

    rule = Tagged(name="sub", layer=V4, action=wfp.Action.BLOCK,
                  conditions=[F.IP_REMOTE_PORT == 1])
    rule.__dict__["me"] = rule  # a cycle the collector must still see
    assert gc.is_tracked(rule)
    plain = Rule(name="sub", layer=V4, action=wfp.Action.BLOCK, key=rule.key,
                 conditions=[F.IP_REMOTE_PORT == 1])
    assert rule._filter_tuple() == plain._filter_tuple() and rule.conditions == plain.conditions
    session.add_rule(rule)
    assert session.rule(rule.key).conditions == rule.conditions


def test_rule_factory_fill_takes_only_rules():
    from wfp.rules import _RULE_FACTORY
    with pytest.raises(TypeError):
        _RULE_FACTORY.fill(object(), ())
    rule = object.__new__(Rule)
    with pytest.raises(ValueError, match="values"):
        _RULE_FACTORY.fill(rule, (1, 2))


# ---- the fast condition encoders ----

def sample_pairs():
    for name in COMMON_LAYERS + MAC_LAYERS + ["RPC_UM"]:
        layer = wfp.Layer[name]
        for field, (data_type, field_type) in layer.fields.items():
            try:
                conditions = samples(field, data_type, field_type)
            except AssertionError:
                continue
            for condition in conditions:
                yield layer, condition


def test_fast_encoders_give_the_validating_encoders_wire_form():
    fast_taken = 0
    for layer, condition in sample_pairs():
        slow = fields._encode_condition(layer, condition, "conditions", 0, False)
        fast = fields._make_fast_encoder(layer, condition.field)(condition.match, condition.value)
        if fast is not None:
            fast_taken += 1
            assert fast == slow, (layer, condition)
            assert [type(x) for x in fast[2]] == [type(x) for x in slow[2]]
            assert type(fast[1]) is int and type(fast[2][0]) is int
    assert fast_taken > 100


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["IP_REMOTE_PORT", "IP_PROTOCOL", "FLAGS", "IP_LOCAL_INTERFACE",
                        "IP_REMOTE_ADDRESS"]),
       st.sampled_from(list(wfp.Match)),
       st.one_of(st.integers(-2**65, 2**65), st.booleans(),
                 st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address),
                 st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address),
                 st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
                     lambda t: ipaddress.IPv4Network(t, strict=False))))
def test_fast_and_validating_encoders_agree_on_any_value(field_name, match, value):
    condition = wfp.Condition(wfp.Field[field_name], match, value)
    for layer in (V4, V6):
        try:
            slow = fields._encode_condition(layer, condition, "conditions", 0, False)
        except wfp.ValidationError as error:
            slow = error
        fast = fields._make_fast_encoder(layer, condition.field)(condition.match, condition.value)
        if isinstance(slow, wfp.ValidationError):
            assert fast is None
            with pytest.raises(wfp.ValidationError) as caught:
                Rule(name="x", layer=layer, action=wfp.Action.BLOCK, conditions=[condition])
            assert (caught.value.code, caught.value.field) == (slow.code, slow.field)
        elif fast is not None:
            assert fast == slow


def test_a_bool_match_type_is_refused_on_the_fast_path_too():
    condition = wfp.Condition(F.IP_REMOTE_PORT, True, 80)
    with pytest.raises(wfp.ValidationError) as caught:
        Rule(name="x", layer=V4, action=wfp.Action.BLOCK, conditions=[condition])
    assert caught.value.name == "FWP_E_INVALID_ENUMERATOR"


# ---- keys, duplicate keys, strings ----

def test_default_keys_are_random_version_4_uuids():
    keys = [Rule(name="k", layer=V4, action=wfp.Action.BLOCK).key for _ in range(200)]
    assert len(set(keys)) == 200
    for key in keys:
        assert type(key) is uuid.UUID and key.version == 4 and key.variant == uuid.RFC_4122
        assert uuid.UUID(str(key)) == key and key.is_safe is uuid.SafeUUID.unknown
    with pytest.raises(wfp.ValidationError, match="key"):
        Rule(name="k", layer=V4, action=wfp.Action.BLOCK, key=None)


def test_the_binding_finds_duplicate_keys_before_anything_is_added(session):
    _provider, sublayer = add_base(session)
    rules = [Rule(name=f"r{i}", layer=V4, action=wfp.Action.BLOCK, sublayer=sublayer)
             for i in range(50)]
    wires = [r._filter_tuple() for r in rules] + [rules[17]._filter_tuple()]
    with pytest.raises(_core.DuplicateKeyError) as caught:
        session._core.add_filters(wires, True, True)
    assert (caught.value.index, caught.value.first_index) == (50, 17)
    assert session.rules() == []
    with pytest.raises(wfp.ValidationError) as caught:
        session.add_rules(rules + [rules[3]])
    assert caught.value.field == "rules[50].key" and "rules[3]" in caught.value.reason
    assert session.add_rules(rules) and len(session.rules()) == 50


@pytest.mark.parametrize("name", ["\ud800 lone surrogate", "x" * 1000 + "\U0001f525",
                                  "\uffff\U00010000\U0010ffff", ""])
def test_names_are_written_as_utf16_exactly(session, name):
    key = uuid.uuid4()
    session._core.add_filters([(key, name, name[:3], 0, None, V4.value, None, (0, None), (),
                                _core.ACTION_BLOCK, None, 0, None, None)], False)
    got = session._core.get_filter_by_key(key)
    assert (got[1], got[2]) == (name, name[:3])


def test_a_rule_keeps_its_conditions_packed_and_no_filter_tuple():
    packable = Rule(name="p", layer=V4, action=wfp.Action.BLOCK,
                    conditions=[F.IP_REMOTE_PORT == 1, F.IP_REMOTE_ADDRESS == "10.0.0.0/8"])
    assert packable._wire is None and type(packable._conditions_wire) is bytes
    assert len(packable._conditions_wire) == 2 * 48
    blob = Rule(name="b", layer=V4, action=wfp.Action.BLOCK,
                conditions=[F.ALE_APP_ID == b"\\device\\x.exe\0".decode().encode("utf-16-le")])
    assert type(blob._conditions_wire) is tuple  # a blob is not of a packed type
    assert Rule(name="none", layer=V4, action=wfp.Action.BLOCK)._conditions_wire == ()


def test_rules_compose_from_their_fields_as_from_their_filter_tuples(session):
    provider, sublayer = add_base(session)
    rules = [
        Rule(name="fields", layer=V4, action=wfp.Action.PERMIT, sublayer=sublayer,
             provider=provider, weight=2**63 + 5, description="d", data=b"\x01\x02", hard=True,
             persistent=False, conditions=[F.IP_REMOTE_PORT == 443, F.IP_PROTOCOL == 6]),
        Rule(name="range", layer=V6, action=wfp.Action.BLOCK, weight=wfp.WeightRange(9),
             conditions=[F.IP_REMOTE_ADDRESS == "2001:db8::/32"]),
        Rule(name="boot", layer=V4, action=wfp.Action.BLOCK, boot_time=True,
             conditions=[F.IP_LOCAL_PORT.between(1000, 2000)]),
    ]
    twins = [dataclasses.replace(r, key=uuid.uuid4()) for r in rules]
    session.add_rules(rules)
    session._core.add_filters([t._filter_tuple() for t in twins], True, True)
    by_key = {r.key: r for r in session.rules()}
    for rule, twin in zip(rules, twins):
        mine, theirs = by_key[rule.key], by_key[twin.key]
        assert dataclasses.replace(mine, key=twin.key) == theirs
        assert mine.effective_weight == theirs.effective_weight
        assert mine._filter_tuple()[1:] == theirs._filter_tuple()[1:]


def test_the_binding_reaches_rule_slots_directly():
    from wfp.rules import _RULE_FACTORY
    assert _RULE_FACTORY.direct  # found every slot of Rule in its instances


def test_add_rules_refuses_what_is_not_a_rule(session):
    rules = [Rule(name="ok", layer=V4, action=wfp.Action.BLOCK), ("not", "a", "rule")]
    with pytest.raises(wfp.ValidationError) as caught:
        session.add_rules(rules)
    assert caught.value.field == "rules[1]" and session.rules() == []


def test_an_int_subclass_weight_is_an_exact_weight(session):
    class Level(enum.IntEnum):
        FOUR = 4

    rule = Rule(name="w", layer=V4, action=wfp.Action.PERMIT, weight=Level.FOUR)
    session.add_rule(rule)
    back = session.rule(rule.key)
    assert back.weight == 4 and type(back.weight) is int  # UINT64 4, not WeightRange(4)
