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


@pytest.mark.xfail(strict=True, raises=UnicodeEncodeError,
                   reason="open (fields): lone surrogate in a string condition value")
@pytest.mark.parametrize("field", [wfp.Field.ALE_EFFECTIVE_NAME, wfp.Field.PEER_NAME,
                                   wfp.Field.ALE_PACKAGE_FAMILY_NAME])
def test_lone_surrogate_in_string_condition_is_a_validation_error(field) -> None:
    with pytest.raises(wfp.ValidationError):
        wfp_fields.encode_conditions(V4, [wfp.Condition(field, wfp.Match.EQUAL, "a\udc00b")])


@pytest.mark.xfail(strict=True, reason="open (rules): surrogate code points in names are "
                   "accepted and a pair given as two code points reads back as one character")
def test_name_with_surrogates_is_rejected_or_reads_back_equal(session) -> None:
    rule = None
    try:
        rule = wfp.Rule(name="x\udb24\uddcb", layer=V4, action=wfp.Action.BLOCK)
    except wfp.ValidationError:
        return
    session.add_rule(rule)
    assert session.rule(rule.key).name == rule.name


RAW_PAYLOADS = [(wfp.DataType.UINT8, None), (wfp.DataType.UINT8, 2**70),
                (wfp.DataType.UINT16, "x"), (wfp.DataType.EMPTY, 5),
                (wfp.DataType.BYTE_BLOB, bytearray(b"ab")), (wfp.DataType.BYTE_BLOB, 3)]


@pytest.mark.xfail(strict=True, raises=(TypeError, ValueError, OverflowError),
                   reason="open (fields/binding): RawValue payloads are not checked before the "
                   "binding composes them")
@pytest.mark.parametrize("data_type,payload", RAW_PAYLOADS)
def test_bad_raw_value_payload_is_a_validation_error(session, data_type, payload) -> None:
    condition = wfp.Condition(wfp.Field.IP_REMOTE_PORT, wfp.Match.EQUAL,
                              wfp.RawValue(int(data_type), payload))
    with pytest.raises(wfp.WFPError):
        session.add_rule(wfp.Rule(name="raw", layer=V4, action=wfp.Action.BLOCK,
                                  conditions=[condition]))


@pytest.mark.xfail(strict=True, reason="open (rules/binding): empty data reads back as None")
def test_empty_data_reads_back_equal(session) -> None:
    rule = wfp.Rule(name="empty data", layer=V4, action=wfp.Action.BLOCK, data=b"")
    session.add_rule(rule)
    assert session.rule(rule.key).data == b""


@pytest.mark.xfail(strict=True, reason="open (fields): a condition on a stand-in field reads "
                   "back naming the field it stands in for")
def test_stand_in_field_condition_reads_back_equal(session) -> None:
    layer = wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4
    rule = wfp.Rule(name="stand-in", layer=layer, action=wfp.Action.BLOCK,
                    conditions=[wfp.Field.ALE_REAUTH_REASON.any_set(8)])
    session.add_rule(rule)
    assert session.rule(rule.key).conditions == rule.conditions


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
