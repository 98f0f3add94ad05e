"""Every input the fuzzers found, replayed; and each finding as a readable test.

Inputs live in tests/fuzz/regressions/<harness>/ (the ``crash-*`` files the harnesses write).
Findings whose fix belongs to another part of the library and has not landed are strict xfails:
the day the fix lands they XPASS, which fails the run, and the xfail marker and the matching
entry of fuzz_support.KNOWN_OPEN_BUGS come out.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import uuid
from pathlib import Path

import pytest

import wfp
from wfp import fields as wfp_fields

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
UNIVERSAL = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")


def regression_inputs():
    for harness in ("composer", "engine", "policy"):
        for path in sorted((HERE / "regressions" / harness).glob("*")):
            yield pytest.param(harness, path, id=f"{harness}/{path.name[:20]}")


@pytest.mark.parametrize("harness,path", list(regression_inputs()))
def test_replay_found_input(harness: str, path: Path) -> None:
    module = importlib.import_module(f"fuzz_{harness}")
    module.test_one_input(path.read_bytes())


# ---- composer findings ----

def test_rule_without_sublayer_reads_back_in_the_universal_sublayer(session) -> None:
    rule = wfp.Rule(name="no sublayer", layer=V4, action=wfp.Action.BLOCK)
    session.add_rule(rule)
    assert session.rule(rule.key) == dataclasses.replace(rule, sublayer=UNIVERSAL)
    assert "FWPM_SUBLAYER_UNIVERSAL" in wfp.Rule.__doc__


@pytest.mark.parametrize("field", [wfp.Field.ALE_EFFECTIVE_NAME, wfp.Field.PEER_NAME,
                                   wfp.Field.ALE_PACKAGE_FAMILY_NAME])
@pytest.mark.parametrize("text", ["a\udc00b", "\ud800", "x\udb24\uddcb"])
def test_lone_surrogate_in_string_condition_is_a_validation_error(field, text) -> None:
    with pytest.raises(wfp.ValidationError) as caught:
        wfp_fields.encode_conditions(V4, [wfp.Condition(field, wfp.Match.EQUAL, text)])
    assert caught.value.field == f"conditions[0] {field.name}"
    assert caught.value.value == text and "surrogate" in caught.value.reason


def test_text_beyond_the_bmp_in_a_string_condition_reads_back_equal(session) -> None:
    rule = wfp.Rule(name="astral", layer=V4, action=wfp.Action.BLOCK,
                    conditions=[wfp.Field.ALE_PACKAGE_FAMILY_NAME == "pkg\U0001f525\u00e9"])
    session.add_rule(rule)
    assert session.rule(rule.key).conditions == rule.conditions


SURROGATE_TEXTS = ["x\udb24\uddcb", "\ud800", "caf\u00e9 \udfff"]


@pytest.mark.parametrize("text", SURROGATE_TEXTS)
@pytest.mark.parametrize("make,field", [
    (lambda t: wfp.Rule(name=t, layer=V4, action=wfp.Action.BLOCK), "name"),
    (lambda t: wfp.Rule(name="r", description=t, layer=V4, action=wfp.Action.BLOCK),
     "description"),
    (lambda t: wfp.Provider(name=t), "name"),
    (lambda t: wfp.Provider(name="p", description=t), "description"),
    (lambda t: wfp.Provider(name="p", service_name=t), "service_name"),
    (lambda t: wfp.Sublayer(name=t), "name"),
    (lambda t: wfp.Sublayer(name="s", description=t), "description"),
    (lambda t: wfp.Session(name=t, backend=wfp.SimEngine()), "name"),
    (lambda t: wfp.Session(name="s", description=t, backend=wfp.SimEngine()), "description"),
], ids=["rule.name", "rule.description", "provider.name", "provider.description",
        "provider.service_name", "sublayer.name", "sublayer.description", "session.name",
        "session.description"])
def test_surrogates_in_text_for_the_engine_are_rejected_naming_the_field(make, field,
                                                                         text) -> None:
    with pytest.raises(wfp.ValidationError) as caught:
        make(text)
    assert caught.value.field == field and caught.value.value == text
    assert "surrogate" in caught.value.reason


def test_rule_made_again_from_its_fields_is_checked_too() -> None:
    rule = wfp.Rule(name="fine", layer=V4, action=wfp.Action.BLOCK)
    with pytest.raises(wfp.ValidationError, match="name"):
        dataclasses.replace(rule, name="x\udb24\uddcb")


@pytest.mark.parametrize("name", ["caf\u00e9", "\U0001f525 fire", "\uffff\U00010000\U0010ffff"])
def test_non_ascii_names_read_back_equal(session, name) -> None:
    rule = wfp.Rule(name=name, description=name[::-1], layer=V4, action=wfp.Action.BLOCK,
                    sublayer=UNIVERSAL)
    session.add_rule(rule)
    assert session.rule(rule.key) == rule
    provider = wfp.Provider(name=name, description=name, service_name=name)
    session.add_provider(provider)
    assert session.provider(provider.key) == provider


RAW_PAYLOADS = [(wfp.DataType.UINT8, None), (wfp.DataType.UINT8, 2**70),
                (wfp.DataType.UINT16, "x"), (wfp.DataType.EMPTY, 5),
                (wfp.DataType.BYTE_BLOB, bytearray(b"ab")), (wfp.DataType.BYTE_BLOB, 3)]


@pytest.mark.parametrize("data_type,payload", RAW_PAYLOADS)
def test_bad_raw_value_payload_is_a_validation_error(session, data_type, payload) -> None:
    condition = wfp.Condition(wfp.Field.IP_REMOTE_PORT, wfp.Match.EQUAL,
                              wfp.RawValue(int(data_type), payload))
    with pytest.raises(wfp.WFPError):
        session.add_rule(wfp.Rule(name="raw", layer=V4, action=wfp.Action.BLOCK,
                                  conditions=[condition]))


D = wfp.DataType
BAD_RAW_VALUES = [
    (D.UINT8, -1), (D.UINT16, 65536), (D.UINT32, 2**32), (D.UINT64, 2**64), (D.UINT64, 1.0),
    (D.INT8, 128), (D.INT16, -32769), (D.INT32, 2**31), (D.INT64, -(2**63) - 1), (D.INT8, "1"),
    (D.FLOAT, 1e39), (D.FLOAT, "1.5"), (D.DOUBLE, 10**400), (D.DOUBLE, True),
    (D.BYTE_ARRAY16, b"\0" * 15), (D.BYTE_ARRAY16, "x" * 16), (D.BYTE_ARRAY6, b"\0" * 7),
    (D.BYTE_BLOB, None), (D.BYTE_BLOB, "text"), (D.SECURITY_DESCRIPTOR, 5),
    (D.TOKEN_ACCESS_INFORMATION, [1]), (D.SID, b"\x01\x01" + b"\0" * 6),
    (D.SID, b"\x01"), (D.SID, "S-1-5-18"), (D.UNICODE_STRING, b"x"), (D.UNICODE_STRING, "a\0b"),
    (D.UNICODE_STRING, "a\udc00"), (D.TOKEN_INFORMATION, b""), (D.BITMAP_INDEX, 1),
    (D.BITMAP_ARRAY64, b"\0" * 8),
    (D.V4_ADDR_MASK, 5), (D.V4_ADDR_MASK, (1, 2, 3)), (D.V4_ADDR_MASK, ("1", 0xFFFFFF00)),
    (D.V4_ADDR_MASK, (2**32, 0xFFFFFF00)), (D.V4_ADDR_MASK, (1, 0xFF00FF00)),
    (D.V6_ADDR_MASK, (b"\0" * 15, 64)), (D.V6_ADDR_MASK, (b"\0" * 16, 129)),
    (D.V6_ADDR_MASK, (b"\0" * 16, "64")), (D.V6_ADDR_MASK, b"\0" * 17),
    (D.RANGE, 5), (D.RANGE, ((2, 1),)), (D.RANGE, ((2, 1), (2, 70000))),
    (D.RANGE, ((2, 1), (0x100, (1, 0xFFFFFFFF)))), (D.RANGE, ((2, 1), (0x102, ((2, 1), (2, 2))))),
    (D.RANGE, ((2, 1), 7)), (D.RANGE, ((99, 1), (2, 2))),
    (99, 1), (-1, None), ("UINT8", 1), (None, None), (1.0, 1),
]


@pytest.mark.parametrize("data_type,payload", BAD_RAW_VALUES)
def test_raw_value_payload_is_checked_against_its_data_type(data_type, payload) -> None:
    """Every layer and match: nothing but a ValidationError naming the condition comes out,
    before the binding composes anything."""
    raw = wfp.RawValue(int(data_type) if isinstance(data_type, D) else data_type, payload)
    with pytest.raises(wfp.ValidationError) as caught:
        wfp_fields.encode_conditions(V4, [wfp.Condition(wfp.Field.IP_REMOTE_PORT,
                                                        wfp.Match.EQUAL, raw)])
    assert caught.value.field == "conditions[0] IP_REMOTE_PORT" and caught.value.value is raw


GOOD_RAW_VALUES = [
    (D.EMPTY, None, None), (D.UINT8, 255, 255), (D.UINT16, True, 1), (D.INT8, -128, -128),
    (D.INT64, 2**63 - 1, 2**63 - 1), (D.UINT64, 2**64 - 1, 2**64 - 1), (D.FLOAT, 3, 3.0),
    (D.DOUBLE, 1e300, 1e300), (D.BYTE_ARRAY16, bytearray(16), b"\0" * 16),
    (D.BYTE_ARRAY6, memoryview(b"abcdef"), b"abcdef"), (D.BYTE_BLOB, bytearray(b"ab"), b"ab"),
    (D.BYTE_BLOB, b"", b""), (D.SID, b"\x01\x01" + b"\0" * 10, b"\x01\x01" + b"\0" * 10),
    (D.UNICODE_STRING, "\U0001f525", "\U0001f525"),
    (D.V4_ADDR_MASK, [0x0A000000, 0xFF000000], (0x0A000000, 0xFF000000)),
    (D.V6_ADDR_MASK, (bytearray(16), 0), (b"\0" * 16, 0)),
    (D.RANGE, [(2, 1), wfp.RawValue(2, 80)], ((2, 1), (2, 80))),
]


@pytest.mark.parametrize("data_type,payload,wire", GOOD_RAW_VALUES)
def test_raw_value_payload_is_passed_on_in_the_form_the_binding_composes(data_type, payload,
                                                                         wire) -> None:
    match = wfp.Match.RANGE if data_type == D.RANGE else wfp.Match.EQUAL
    [(_, _, encoded)] = wfp_fields.encode_conditions(
        V4, [wfp.Condition(wfp.Field.IP_REMOTE_PORT, match, wfp.RawValue(int(data_type), payload))])
    assert encoded == (int(data_type), wire) and type(encoded[1]) is type(wire)


def test_raw_value_of_the_fields_type_is_added_and_reads_back(session) -> None:
    rule = wfp.Rule(name="raw", layer=V4, action=wfp.Action.BLOCK, sublayer=UNIVERSAL,
                    conditions=[wfp.Condition(wfp.Field.IP_REMOTE_PORT, wfp.Match.RANGE,
                                              wfp.RawValue(int(D.RANGE), ((2, 80), (2, 443))))])
    session.add_rule(rule)
    assert session.rule(rule.key).conditions == (wfp.Field.IP_REMOTE_PORT.between(80, 443),)


def test_empty_data_is_none_and_reads_back_equal(session) -> None:
    rule = wfp.Rule(name="empty data", layer=V4, action=wfp.Action.BLOCK, data=b"")
    assert rule.data is None and rule == wfp.Rule(key=rule.key, name="empty data", layer=V4,
                                                  action=wfp.Action.BLOCK)
    session.add_rule(rule)
    assert session.rule(rule.key) == dataclasses.replace(rule, sublayer=UNIVERSAL)
    assert session.rule(rule.key).data is None
    provider = wfp.Provider(name="p", data=bytearray())
    sublayer = wfp.Sublayer(name="s", data=memoryview(b""))
    assert provider.data is None and sublayer.data is None
    session.add_provider(provider)
    session.add_sublayer(sublayer)
    assert session.provider(provider.key) == provider
    assert session.sublayer(sublayer.key) == sublayer


def test_one_byte_of_data_reads_back_equal(session) -> None:
    rule = wfp.Rule(name="data", layer=V4, action=wfp.Action.BLOCK, data=b"\0",
                    sublayer=UNIVERSAL)
    session.add_rule(rule)
    assert session.rule(rule.key).data == b"\0"


def test_empty_blob_condition_reads_back_equal(session) -> None:
    rule = wfp.Rule(name="empty blob", layer=V4, action=wfp.Action.BLOCK, sublayer=UNIVERSAL,
                    conditions=[wfp.Field.ALE_APP_ID == b""])
    session.add_rule(rule)
    read_back = session.rule(rule.key)
    assert read_back == rule and read_back.conditions[0].value == b""


def test_stand_in_field_condition_reads_back_on_the_field_it_stands_in_for(session) -> None:
    """The engine keeps the run-time field of a condition, not the GUID given: the condition
    reads back on Field.canonical, as documented on Field."""
    layer = wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4
    given = wfp.Field.ALE_REAUTH_REASON.any_set(8)
    rule = wfp.Rule(name="stand-in", layer=layer, action=wfp.Action.BLOCK, conditions=[given])
    session.add_rule(rule)
    read_back = session.rule(rule.key)
    assert wfp.Field.ALE_REAUTH_REASON.canonical is wfp.Field.REAUTHORIZE_REASON
    assert read_back.conditions == (wfp.Field.REAUTHORIZE_REASON.any_set(8),)
    assert read_back.conditions != rule.conditions
    canonical = tuple(wfp.Condition(c.field.canonical, c.match, c.value) for c in rule.conditions)
    assert read_back == dataclasses.replace(rule, sublayer=UNIVERSAL, conditions=canonical)
    assert "ALE_REAUTH_REASON" in wfp.Field.__doc__ and "canonical" in wfp.Field.__doc__


def test_every_field_but_a_stand_in_is_its_own_canonical_field() -> None:
    stand_ins = {f for f in wfp.Field if f.canonical is not f}
    assert stand_ins == {wfp.Field.ALE_REAUTH_REASON}
    assert all(f.canonical.canonical is f.canonical for f in wfp.Field)


# ---- binding findings ----

EVENT_FUNCTIONS = ["FwpmNetEventCreateEnumHandle0", "FwpmNetEventEnum0",
                   "FwpmNetEventDestroyEnumHandle0", "FwpmFreeMemory0"]


@pytest.mark.parametrize("function", EVENT_FUNCTIONS)
def test_net_events_without_a_backend_function_is_unsupported(engine, function) -> None:
    """Every slot the net-event pager calls is checked before a handle is made: a missing one
    is wfp.Unsupported naming it, never a call through NULL nor a stranded enum handle."""
    with wfp.Session(name="events", backend=engine) as session:
        session.add_rule(wfp.Rule(name="drop 53", layer=V4, action=wfp.Action.BLOCK,
                                  conditions=[wfp.Field.IP_REMOTE_PORT == 53]))
        session.classify(V4, {wfp.Field.IP_REMOTE_PORT: 53, wfp.Field.IP_PROTOCOL: 17})
        before = session.events()
        assert len(before) == 1
        session._core._without_function(function)
        with pytest.raises(wfp.Unsupported) as caught:
            session.events()
        assert caught.value.name == "WFPKIT_E_UNSUPPORTED" and function in str(caught.value)
        if function != "FwpmFreeMemory0":  # every read-back needs FreeMemory
            assert [r.name for r in session.rules()] == ["drop 53"]
        with wfp.Session(name="observer", backend=engine) as observer:
            assert observer.events() == before


# ---- engine findings and the differential model's scenarios ----

def test_empty_bulk_add_needs_no_lock(engine) -> None:
    with wfp.Session(name="holder", backend=engine) as holder, \
            wfp.Session(name="other", backend=engine, txn_timeout_ms=1) as other:
        with holder.transaction():
            assert other.add_rules([]) == []


def test_abort_does_not_bring_back_a_closed_sessions_objects(engine) -> None:
    with wfp.Session(name="static", dynamic=False, backend=engine) as static:
        dynamic = wfp.Session(name="dynamic", backend=engine)
        rule = wfp.Rule(name="dynamic rule", layer=V4, action=wfp.Action.BLOCK)
        rule_id = dynamic.add_rule(rule)
        with pytest.raises(RuntimeError), static.transaction():
            static.delete_rule(rule_id)
            dynamic.close()
            raise RuntimeError("abort")
        assert static.rules() == []


def test_closing_session_objects_go_when_a_foreign_write_transaction_ends(engine) -> None:
    """fuzz_engine: a dynamic session closes while a static session's read/write transaction is
    open.  The transaction is exclusive (reference §4), so its holder keeps seeing the closed
    session's objects (here a provider: a static sublayer on it is a lifetime mismatch, not
    PROVIDER_NOT_FOUND) until it commits or aborts; after either they are gone for good."""
    provider = wfp.Provider(key=uuid.UUID(int=0xB0_0000), name="p")
    for commit in (True, False):
        with wfp.Session(name="static", dynamic=False, backend=engine) as static:
            dynamic = wfp.Session(name="dynamic", backend=engine)
            dynamic.add_provider(provider)
            try:
                with static.transaction():
                    dynamic.close()
                    assert provider.key in [p.key for p in static.providers()]
                    with pytest.raises(wfp.WFPError) as caught:
                        static.add_sublayer(wfp.Sublayer(name="s", provider=provider.key))
                    assert caught.value.name == "FWP_E_LIFETIME_MISMATCH"
                    if not commit:
                        raise RuntimeError("abort")
            except RuntimeError:
                pass
            assert provider.key not in [p.key for p in static.providers()]
            with pytest.raises(wfp.WFPError) as caught:
                static.add_sublayer(wfp.Sublayer(name="s", provider=provider.key))
            assert caught.value.name == "FWP_E_PROVIDER_NOT_FOUND"
