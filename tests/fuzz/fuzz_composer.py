"""Fuzz harness: the condition/value composer fed arbitrary Python values.

Decodes the input into Python values of every kind the library meets (ints at every width's
edges, floats, text with surrogates and NULs, bytes, addresses, networks, UUIDs, Ranges, enum
members, RawValues, nested containers, subclasses of builtins) and pushes them through
``wfp.Condition``, the Field operators, ``wfp.fields.encode_conditions``, ``wfp.Rule`` and
``Session.add_rule`` / ``add_rules``.  The contract under test:

* only :class:`wfp.WFPError` (ValidationError, BulkError, engine errors) may come out;
* a rule the engine accepted reads back equal to itself, by key and in the layer's listing.

Run: ``python tests/fuzz/fuzz_composer.py -max_total_time=3600 corpus/`` (docs/fuzzing.md).
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import math
import sys
import uuid
from pathlib import Path
from typing import Any, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_support  # noqa: E402
from fuzz_support import ByteSource  # noqa: E402

with fuzz_support.instrumented(__name__ == "__main__"):
    import wfp  # noqa: E402
    from wfp import fields as wfp_fields  # noqa: E402

LAYERS = list(wfp.Layer)
FIELDS = list(wfp.Field)
# Layers whose fields cover every data type the composer encodes.
COMMON_LAYERS = [wfp.Layer.ALE_AUTH_CONNECT_V4, wfp.Layer.ALE_AUTH_CONNECT_V6,
                 wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4, wfp.Layer.OUTBOUND_TRANSPORT_V4,
                 wfp.Layer.INBOUND_IPPACKET_V6, wfp.Layer.ALE_FLOW_ESTABLISHED_V4]
PROVIDER_KEY = uuid.UUID("a8c6b1f0-0d6e-4c3e-9c8e-2f7b6a1d0e01")
SUBLAYER_KEY = uuid.UUID("a8c6b1f0-0d6e-4c3e-9c8e-2f7b6a1d0e02")
UNIVERSAL_SUBLAYER = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")
ADDRESS_TEXTS = ["10.0.0.1", "10.0.0.0/8", "10.0.0.1/33", "255.255.255.255", "0.0.0.0/0",
                 "::1", "fe80::1%eth0", "2001:db8::/32", "2001:db8::/129", "1.2.3", "::ffff:1.2.3.4",
                 "10.0.0.0/255.0.0.0", "10.0.0.0/0.255.0.0", "", "*", "localhost", "-1"]
OTHER_TEXTS = ["O:BAG:BAD:(A;;CC;;;WD)", "D:(A;;CCRC;;;S-1-5-18)", "S-1-5-18", "S-1-5-32-544",
               "S-1-", "\\device\\harddiskvolume1\\windows\\system32\\svchost.exe",
               "C:\\Windows\\notepad.exe", "00:11:22:33:44:55", "00-11-22-33-44-5", "tcp",
               "0x10", "1e3", "true"]


class ColourEnum(enum.IntEnum):
    RED = 6
    BIG = 2**40


class TextSubclass(str):
    pass


class IntSubclass(int):
    pass


class BytesSubclass(bytes):
    pass


class Indexable:
    """An object with __index__ (accepted by some int checks, rejected by others)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"Indexable({self.value})"


def make_value(src: ByteSource, depth: int = 0) -> Any:
    kind = src.int_in(0, 27)
    if kind == 0:
        return None
    if kind == 1:
        return src.boolean()
    if kind == 2:
        return src.interesting_int()
    if kind == 3:
        return src.int_in(0, 300)
    if kind == 4:
        return src.choice([0.0, -0.0, 1.5, 6.0, math.inf, -math.inf, math.nan, 1e300])
    if kind == 5:
        return src.text(24)
    if kind == 6:
        return src.blob(40)
    if kind == 7:
        return bytearray(src.blob(20))
    if kind == 8:
        return ipaddress.IPv4Address(src.uint(4))
    if kind == 9:
        return ipaddress.IPv6Address(src.uint(16))
    if kind == 10:
        return ipaddress.IPv4Network((src.uint(4), src.int_in(0, 32)), strict=False)
    if kind == 11:
        return ipaddress.IPv6Network((src.uint(16), src.int_in(0, 128)), strict=False)
    if kind == 12:
        return src.choice(ADDRESS_TEXTS)
    if kind == 13:
        return src.choice(OTHER_TEXTS)
    if kind == 14:
        return uuid.UUID(int=src.uint(16))
    if kind == 15:
        return wfp.Range(make_value(src, depth + 1), make_value(src, depth + 1))
    if kind == 16:
        return src.choice(FIELDS)
    if kind == 17:
        return src.choice(LAYERS)
    if kind == 18:
        return src.choice(list(wfp.Match))
    if kind == 19:
        return wfp.RawValue(src.int_in(-1, 20), make_value(src, depth + 1))
    if kind == 20 and depth < 3:
        items = [make_value(src, depth + 1) for _ in range(src.int_in(0, 3))]
        return src.choice([list, tuple, set_or_list])(items)
    if kind == 21 and depth < 3:
        return {make_text_key(src): make_value(src, depth + 1) for _ in range(src.int_in(0, 2))}
    if kind == 22:
        return src.choice([ColourEnum.RED, ColourEnum.BIG, TextSubclass("10.1.2.3"),
                           IntSubclass(80), BytesSubclass(b"\x01" * 16), Indexable(443)])
    if kind == 23:
        return make_condition(src, depth + 1)
    if kind == 24:
        return src.choice([object(), complex(1, 2), frozenset({1}), Ellipsis, NotImplemented])
    if kind == 25:
        return wfp.app_id(src.choice(OTHER_TEXTS[5:7]))
    if kind == 26:
        return (src.int_in(0, 2**32 - 1), src.int_in(0, 2**32 - 1))
    return src.interesting_int() if src.boolean() else src.blob(16)


def set_or_list(items: List[Any]) -> Any:
    try:
        return set(items)
    except TypeError:
        return items


def make_text_key(src: ByteSource) -> str:
    return src.choice(["low", "high", "addr", "mask", "field", "value", src.text(4)])


def make_condition(src: ByteSource, depth: int = 0) -> Any:
    """A Condition built by its constructor or a Field operator (either may refuse the input)."""
    field = src.choice(FIELDS) if src.int_in(0, 5) else make_value(src, depth + 1)
    how = src.int_in(0, 10)
    value = make_value(src, depth + 1)
    if how == 0 or not isinstance(field, wfp.Field):
        match = src.choice(list(wfp.Match)) if src.boolean() else make_value(src, depth + 1)
        return wfp.Condition(field, match, value)
    if how == 1:
        return field == value if not isinstance(value, wfp.Field) else wfp.Condition(field, 0, value)
    if how == 2:
        return field != value if not isinstance(value, wfp.Field) else wfp.Condition(field, 10, value)
    if how in (3, 4, 5, 6) and not isinstance(value, wfp.Field):
        return [field < value, field <= value, field > value, field >= value][how - 3]
    if how == 7:
        return field.in_(value)
    if how == 8:
        return field.between(value, make_value(src, depth + 1))
    if how == 9:
        return src.choice([field.all_set, field.any_set, field.none_set])(value)
    return src.choice([field.prefix, field.not_prefix])(value)


def make_conditions(src: ByteSource) -> List[Any]:
    conditions = []
    for _ in range(src.int_in(0, 4)):
        try:
            conditions.append(make_condition(src))
        except wfp.WFPError:
            conditions.append(make_value(src))
    return conditions


RULE_KEYWORDS = ["key", "name", "description", "sublayer", "weight", "provider", "persistent",
                 "boot_time", "hard", "permit_if_callout_missing", "disabled", "callout", "data"]


def make_rule_kwargs(src: ByteSource) -> dict:
    kwargs: dict = {
        "name": src.choice(["fuzz", "r", src.text(8)]),
        "layer": src.choice(COMMON_LAYERS) if src.int_in(0, 4) else make_value(src),
        "action": src.choice(list(wfp.Action)) if src.int_in(0, 4) else make_value(src),
        "conditions": make_conditions(src),
    }
    for _ in range(src.int_in(0, 3)):
        name = src.choice(RULE_KEYWORDS)
        if name == "sublayer" and src.boolean():
            kwargs[name] = src.choice([SUBLAYER_KEY, None, str(SUBLAYER_KEY)])
        elif name == "provider" and src.boolean():
            kwargs[name] = src.choice([PROVIDER_KEY, None])
        elif name == "weight" and src.boolean():
            kwargs[name] = src.choice([None, wfp.WeightRange(src.int_in(0, 15)), src.uint(8)])
        else:
            kwargs[name] = make_value(src)
    return kwargs


def expected_read_back(rule: wfp.Rule) -> wfp.Rule:
    """The rule as the engine gives it back, as documented on wfp.Rule: a rule added without a
    sublayer lands in the layer's default sublayer, FWPM_SUBLAYER_UNIVERSAL, and is read back
    naming it; a condition reads back on its field's canonical field (a stand-in field on the
    field it stands in for).  Everything else reads back exactly as given."""
    conditions = tuple(
        wfp.Condition(c.field.canonical, c.match, c.value)
        if isinstance(c.field, wfp.Field) and c.field.canonical is not c.field else c
        for c in rule.conditions)
    return dataclasses.replace(
        rule, sublayer=UNIVERSAL_SUBLAYER if rule.sublayer is None else rule.sublayer,
        conditions=conditions)


class Harness:
    """One engine for the whole run; each input works in a dynamic session of its own."""

    def __init__(self) -> None:
        self.engine = wfp.SimEngine()
        self.setup = wfp.Session(name="fuzz setup", dynamic=False, backend=self.engine)
        self.setup.add_provider(wfp.Provider(key=PROVIDER_KEY, name="fuzz provider"))
        self.setup.add_sublayer(wfp.Sublayer(key=SUBLAYER_KEY, name="fuzz sublayer",
                                             provider=PROVIDER_KEY, weight=0x100))

    def check_round_trip(self, session: wfp.Session, rule: wfp.Rule, rule_id: int) -> None:
        rule = expected_read_back(rule)
        by_key = session.rule(rule.key)
        by_id = session.rule(rule_id)
        if by_key != rule or by_id != rule or by_key.id != rule_id:
            raise AssertionError(f"rule read back differs:\n added {rule!r}\n by key {by_key!r}"
                                 f"\n by id {by_id!r}")
        listed = [r for r in session.rules(layer=rule.layer) if r.key == rule.key]
        if listed != [rule]:
            raise AssertionError(f"rule listing differs: {listed!r} vs {rule!r}")

    def one_input(self, data: bytes) -> None:
        src = ByteSource(data)
        with wfp.Session(name="fuzz", backend=self.engine) as session:
            while src.remaining:
                self.one_call(src, session)

    def one_call(self, src: ByteSource, session: wfp.Session) -> None:
        op = src.int_in(0, 5)
        try:
            if op == 0:
                layer = src.choice(COMMON_LAYERS) if src.int_in(0, 5) else make_value(src)
                wfp_fields.encode_conditions(layer, make_conditions(src),
                                             template=src.boolean())
            elif op == 1:
                condition = make_condition(src)
                if isinstance(condition, wfp.Condition):
                    repr(condition)
                    wfp_fields.encode_conditions(src.choice(COMMON_LAYERS), [condition])
            elif op in (2, 3):
                rule = wfp.Rule(**make_rule_kwargs(src))
                rule_id = session.add_rule(rule)
                self.check_round_trip(session, rule, rule_id)
                session.delete_rule(rule_id)
            elif op == 4:
                rules = [wfp.Rule(**make_rule_kwargs(src)) for _ in range(src.int_in(1, 3))]
                ids = session.add_rules(rules)
                for rule, rule_id in zip(rules, ids):
                    self.check_round_trip(session, rule, rule_id)
                session.delete_rules(ids)
            else:
                layer = src.choice(COMMON_LAYERS)
                field_info = layer.fields
                field = src.choice(sorted(field_info, key=lambda f: f.name))
                wfp_fields.encode_conditions(layer, [wfp.Condition(field, src.choice(list(wfp.Match)),
                                                                   make_value(src))])
        except wfp.WFPError:
            pass
        except Exception as error:  # noqa: BLE001 - anything else is a finding
            if fuzz_support.known_open_bug(error) is None:
                raise


_HARNESS: Harness | None = None


def test_one_input(data: bytes) -> None:
    """Entry point for atheris and for the regression replays."""
    global _HARNESS
    if _HARNESS is None:
        _HARNESS = Harness()
    _HARNESS.one_input(data)


if __name__ == "__main__":
    fuzz_support.run(test_one_input)
