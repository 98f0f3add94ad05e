"""A backend table whose slot is NULL (fwpuclnt.dll of an older Windows that lacks an export):
every call that needs the slot raises wfp.Unsupported naming the function, before anything is
called, and the session stays usable for everything else."""

from __future__ import annotations

import uuid

import pytest

import wfp
from wfp import _core

from .helpers import add_base, port_rule


def _unsupported(error: BaseException, function: str) -> None:
    if isinstance(error, wfp.BulkError):  # add_rules wraps the cause, with no failing index
        assert error.index is None
        error = error.cause
    assert isinstance(error, wfp.Unsupported)
    assert error.name == "WFPKIT_E_UNSUPPORTED"
    assert function in str(error)


# (function removed from the table, the call that needs it)
CALLS = [
    ("FwpmFilterAdd0", lambda s, p, sl: s.add_rule(port_rule(1, sublayer=sl))),
    ("FwpmFilterAdd0", lambda s, p, sl: s.add_rules([port_rule(1, sublayer=sl)])),
    ("FwpmTransactionBegin0", lambda s, p, sl: s.add_rules([port_rule(1, sublayer=sl)])),
    ("FwpmTransactionCommit0", lambda s, p, sl: s.add_rules([port_rule(1, sublayer=sl)])),
    ("FwpmTransactionAbort0", lambda s, p, sl: s.add_rules([port_rule(1, sublayer=sl)])),
    ("FwpmTransactionBegin0", lambda s, p, sl: s.transaction().__enter__()),
    ("FwpmFilterEnum0", lambda s, p, sl: s.rules()),
    ("FwpmFilterCreateEnumHandle0", lambda s, p, sl: s.rules()),
    ("FwpmFilterDestroyEnumHandle0", lambda s, p, sl: s.rules()),
    ("FwpmFreeMemory0", lambda s, p, sl: s.rules()),
    ("FwpmFreeMemory0", lambda s, p, sl: s.provider(p)),
    ("FwpmProviderEnum0", lambda s, p, sl: s.providers()),
    ("FwpmProviderGetByKey0", lambda s, p, sl: s.provider(p)),
    ("FwpmProviderAdd0", lambda s, p, sl: s.add_provider(wfp.Provider(name="x"))),
    ("FwpmProviderDeleteByKey0", lambda s, p, sl: s.delete_provider(p)),
    ("FwpmSubLayerEnum0", lambda s, p, sl: s.sublayers()),
    ("FwpmSubLayerGetByKey0", lambda s, p, sl: s.sublayer(sl)),
    ("FwpmSubLayerAdd0", lambda s, p, sl: s.add_sublayer(wfp.Sublayer(name="x"))),
    ("FwpmSubLayerDeleteByKey0", lambda s, p, sl: s.delete_sublayer(sl)),
    ("FwpmFilterGetById0", lambda s, p, sl: s.rule(1)),
    ("FwpmFilterGetByKey0", lambda s, p, sl: s.rule(uuid.uuid4())),
    ("FwpmFilterDeleteById0", lambda s, p, sl: s.delete_rule(1)),
    ("FwpmFilterDeleteByKey0", lambda s, p, sl: s.delete_rule(uuid.uuid4())),
    ("FwpmLayerEnum0", lambda s, p, sl: s.layers()),
    ("FwpmLayerDestroyEnumHandle0", lambda s, p, sl: s.layers()),
]


@pytest.mark.parametrize("function,call", CALLS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(CALLS)])
def test_missing_function_is_unsupported_and_nothing_changes(session, function, call):
    provider, sublayer = add_base(session)
    kept = session.add_rule(port_rule(80, sublayer=sublayer))
    before = (session.providers(), session.sublayers(), session.rules())
    session._core._without_function(function)
    with pytest.raises(wfp.WFPError) as excinfo:
        call(session, provider, sublayer)
    _unsupported(excinfo.value, function)
    assert not session.in_transaction
    # Only this session's table lost the slot: a second session sees the same, unchanged state.
    with wfp.Session(name="observer", backend=session.engine) as observer:
        assert (observer.providers(), observer.sublayers(), observer.rules()) == before
        assert observer.rule(kept).id == kept


def test_only_the_missing_function_fails(session):
    _, sublayer = add_base(session)
    session._core._without_function("FwpmFilterDeleteByKey0")
    rule = port_rule(443, sublayer=sublayer)
    rule_id = session.add_rule(rule)
    assert session.rule(rule_id) == rule
    with pytest.raises(wfp.Unsupported):
        session.delete_rule(rule.key)
    session.delete_rule(rule_id)  # by id: a slot of its own
    assert session.rules() == []


def test_add_rules_inside_a_transaction_needs_delete_by_id_to_undo(session):
    _, sublayer = add_base(session)
    session._core._without_function("FwpmFilterDeleteById0")
    with session.transaction():
        with pytest.raises(wfp.BulkError) as excinfo:
            session.add_rules([port_rule(1, sublayer=sublayer)])
        _unsupported(excinfo.value, "FwpmFilterDeleteById0")
    assert session.rules() == []


def test_engine_close_and_unknown_names_cannot_be_removed(session):
    with pytest.raises(ValueError, match="FwpmEngineClose0"):
        session._core._without_function("FwpmEngineClose0")
    with pytest.raises(ValueError, match="not a function"):
        session._core._without_function("FwpmNoSuchThing0")
    session.close()  # still closable


def test_closed_session_reports_closed_before_unsupported(engine):
    session = wfp.Session(name="t", backend=engine)
    session._core._without_function("FwpmFilterEnum0")
    session.close()
    with pytest.raises(wfp.SessionClosed):
        session.rules()


def test_every_backend_slot_has_an_export_name():
    names = {function for function, _ in CALLS}
    for name in names | {"FwpmEngineOpen0", "FwpmNetEventEnum0", "FwpmGetAppIdFromFileName0"}:
        core = _core.CoreSession("sim", None, uuid.uuid4(), "n", None, True, 0)
        try:
            core._without_function(name)  # found in the table, or ValueError
        finally:
            core.close()
