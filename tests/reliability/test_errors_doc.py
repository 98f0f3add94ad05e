"""docs/errors.md, row by row: each row's case raises exactly that class with that code name.

The table is parsed from the document; a row whose case is missing, raises something else or
nothing, fails; so does a case no row names, and a public error class no row mentions.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

import wfp
import wfp.errors
import wfp.policy
from wfp.rules import error_code

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
UNIVERSAL = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")
ROW = re.compile(r"^\|\s*`(?P<cls>wfp\.[\w.]+)`\s*\|\s*`(?P<code>\w+)`[^|]*\|(?P<cause>[^|]+)\|"
                 r"(?P<fix>[^|]+)\|\s*`(?P<case>case_\w+)`\s*\|\s*$")


def table_rows() -> list[dict]:
    rows = [m.groupdict() for m in map(ROW.match, DOC.read_text(encoding="utf-8").splitlines())
            if m]
    assert rows, "no rows parsed from docs/errors.md"
    return rows


def resolve(path: str) -> type:
    obj = wfp
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def rule(**kwargs) -> wfp.Rule:
    return wfp.Rule(**{"name": "r", "layer": V4, "action": wfp.Action.BLOCK, **kwargs})


class Context:
    """A fresh engine with a dynamic and a static session; tmp for state files."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.engine = wfp.SimEngine()
        self.dynamic = wfp.Session(name="dynamic", backend=self.engine)
        self.static = wfp.Session(name="static", dynamic=False, backend=self.engine)

    def close(self) -> None:
        self.dynamic.close()
        self.static.close()


# ---- the cases, one per row ----

def case_duplicate_key(c: Context) -> None:
    provider = wfp.Provider(name="p")
    c.static.add_provider(provider)
    c.static.add_provider(provider)


def case_bulk_duplicate_key(c: Context) -> None:
    same = rule()
    c.static.add_rules([same, same])


def case_unknown_provider(c: Context) -> None:
    c.static.add_sublayer(wfp.Sublayer(name="s", provider=uuid.uuid4()))


def case_unknown_sublayer(c: Context) -> None:
    c.static.add_rule(rule(sublayer=uuid.uuid4()))


def case_unknown_rule(c: Context) -> None:
    c.static.delete_rule(uuid.uuid4())


def case_unknown_callout(c: Context) -> None:
    c.static.add_rule(rule(action=wfp.Action.CALLOUT_TERMINATING, callout=uuid.uuid4()))


def case_unknown_layer(c: Context) -> None:
    rule(layer=uuid.uuid4())


def case_field_not_at_layer(c: Context) -> None:
    rule(conditions=[wfp.Field.DIRECTION == 1])


def case_value_of_wrong_type(c: Context) -> None:
    rule(conditions=[wfp.Field.IP_REMOTE_PORT == "https"])


def case_value_out_of_range(c: Context) -> None:
    rule(conditions=[wfp.Field.IP_REMOTE_PORT == 70000])


def case_match_not_for_type(c: Context) -> None:
    rule(conditions=[wfp.Field.IP_REMOTE_PORT.prefix(5)])


def case_range_low_above_high(c: Context) -> None:
    rule(conditions=[wfp.Field.IP_REMOTE_PORT.between(2000, 1000)])


def case_bad_net_mask(c: Context) -> None:
    rule(conditions=[wfp.Field.IP_REMOTE_ADDRESS.in_("10.0.0.0/0.255.0.0")])


def case_unknown_match_type(c: Context) -> None:
    rule(conditions=[wfp.Condition(wfp.Field.IP_REMOTE_PORT, 99, 5)])


def case_bad_weight(c: Context) -> None:
    rule(weight=-1)


def case_bad_action(c: Context) -> None:
    rule(action="drop")


def case_bad_flags(c: Context) -> None:
    rule(persistent=True, boot_time=True)


def case_bad_parameter(c: Context) -> None:
    c.static.rule("not a key")


def case_raw_value_of_wrong_type(c: Context) -> None:
    raw = wfp.RawValue(int(wfp.DataType.UINT32), 53)  # IP_REMOTE_PORT is a UINT16
    c.static.add_rule(rule(conditions=[wfp.Condition(wfp.Field.IP_REMOTE_PORT, 0, raw)]))


def case_delete_sublayer_in_use(c: Context) -> None:
    sublayer = wfp.Sublayer(name="s")
    c.static.add_sublayer(sublayer)
    c.static.add_rule(rule(sublayer=sublayer.key))
    c.static.delete_sublayer(sublayer.key)


def case_persistent_refers_to_static(c: Context) -> None:
    provider = wfp.Provider(name="static provider")
    c.static.add_provider(provider)
    c.static.add_sublayer(wfp.Sublayer(name="s", provider=provider.key, persistent=True))


def case_delete_builtin(c: Context) -> None:
    c.static.delete_sublayer(UNIVERSAL)


def case_delete_other_dynamic(c: Context) -> None:
    with wfp.Session(name="other", backend=c.engine) as other:
        rule_id = other.add_rule(rule())
        c.dynamic.delete_rule(rule_id)


def case_persistent_from_dynamic(c: Context) -> None:
    c.dynamic.add_provider(wfp.Provider(name="p", persistent=True))


def case_nested_transaction(c: Context) -> None:
    with c.static.transaction():
        with c.static.transaction():
            pass


def case_write_in_read_only(c: Context) -> None:
    with c.static.transaction(read_only=True):
        c.static.add_rule(rule())


def case_lock_wait_times_out(c: Context) -> None:
    with wfp.Session(name="waiter", backend=c.engine, txn_timeout_ms=50) as waiter:
        with c.static.transaction():
            waiter.add_rule(rule())


def case_boot_time_at_user_mode_layer(c: Context) -> None:
    c.static.add_rule(rule(layer=wfp.Layer.IKEEXT_V4, boot_time=True))


def case_bulk_failure(c: Context) -> None:
    c.static.add_rules([rule(), rule(sublayer=uuid.uuid4()), rule()])


def case_closed_session(c: Context) -> None:
    session = wfp.Session(name="short", backend=c.engine)
    session.close()
    session.rules()


def case_corrupt_state(c: Context) -> None:
    path = c.tmp / "corrupt.wfp"
    engine = wfp.SimEngine(path)
    with wfp.Session(name="w", dynamic=False, backend=engine) as session:
        session.add_rule(rule())
    path.write_bytes(path.read_bytes()[:-3])
    wfp.SimEngine(path)


def case_foreign_state(c: Context) -> None:
    path = c.tmp / "foreign.wfp"
    path.write_text("[provider]\nname = 'not a state file'\n")
    wfp.SimEngine(path)


def case_unreadable_state(c: Context) -> None:
    wfp.SimEngine(c.tmp)  # a directory


def case_fwpuclnt_unavailable(c: Context) -> None:
    if os.name == "nt":
        pytest.skip("fwpuclnt.dll loads on Windows")
    wfp.Session(name="win", backend="fwpuclnt")


def case_app_id_of_empty_path(c: Context) -> None:
    wfp.app_id("")


def case_bad_policy(c: Context) -> None:
    wfp.policy.loads('format = 1\n[provider]\nname = "p"\n[[rule]]\nname = "r"\n'
                     'layer = "NO_SUCH_LAYER"\naction = "block"\n')


def case_malformed_policy(c: Context) -> None:
    wfp.policy.loads("format = ", path="broken.toml")


def case_access_denied_mapping(c: Context) -> None:
    error = wfp.error_from_code(error_code("ERROR_ACCESS_DENIED"), "FwpmEngineOpen0")
    assert isinstance(error, PermissionError) and "elevated" in str(error)
    raise error


def case_service_unavailable_mapping(c: Context) -> None:
    error = wfp.error_from_code(error_code("RPC_S_SERVER_UNAVAILABLE"), "FwpmEngineOpen0")
    assert "sc query bfe" in str(error)
    raise error


CASES = {name: value for name, value in globals().items() if name.startswith("case_")}


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row["case"])
def test_row_is_raised_as_documented(row: dict, tmp_path: Path) -> None:
    expected = resolve(row["cls"])
    case = CASES.get(row["case"])
    assert case is not None, f"docs/errors.md names {row['case']}, which does not exist"
    context = Context(tmp_path)
    try:
        with pytest.raises(wfp.WFPError) as caught:
            case(context)
    finally:
        context.close()
    error = caught.value
    assert type(error) is expected, f"{row['case']} raised {type(error).__name__}: {error}"
    name = error.cause.name if isinstance(error, wfp.BulkError) else error.name
    assert name == row["code"], f"{row['case']} raised {name}: {error}"
    assert str(error), "an error without a message"
    if isinstance(error, wfp.BulkError):
        assert error.index == 1 and error.rule is not None


def test_every_case_has_a_row() -> None:
    named = {row["case"] for row in table_rows()}
    assert set(CASES) == named


def test_every_public_error_class_is_in_the_table() -> None:
    documented = {resolve(row["cls"]) for row in table_rows()}
    public = {getattr(wfp.errors, name) for name in wfp.errors.__all__}
    classes = {obj for obj in public if isinstance(obj, type) and issubclass(obj, wfp.WFPError)}
    # Base classes are documented through their subclasses; these are raised only for codes
    # the engine never returns through this API (FWP_E_NOT_FOUND, FWP_E_CONDITION_NOT_FOUND
    # after the library's own check, WFPKIT_E_STATE_LOCKED).
    bases = {wfp.WFPError, wfp.NotFound, wfp.LayerNotFound, wfp.ConditionNotFound}
    missing = classes - documented - bases
    assert not missing, f"error classes missing from docs/errors.md: {sorted(c.__name__ for c in missing)}"
