"""Helpers shared by the real-Windows tests."""
from __future__ import annotations

import uuid

import wfp
from wfp import _core
from wfp.errors import error_name


class Objects:
    """A provider and a sublayer of this test's own, present in a session."""

    def __init__(self, session: wfp.Session, weight: int = 0x8000) -> None:
        self.provider = uuid.uuid4()
        self.sublayer = uuid.uuid4()
        session.add_provider(wfp.Provider(key=self.provider, name="wfpkit windows tests"))
        session.add_sublayer(wfp.Sublayer(key=self.sublayer, name="wfpkit windows tests",
                                          weight=weight, provider=self.provider))


def engine_outcome(session: wfp.Session, wires) -> str:
    """Add raw filter tuples inside a transaction that is then aborted; "OK" or the error name.

    Raw tuples skip the Python-side validation, so the engine's own answer is what comes back.
    """
    core = session._core
    core.txn_begin(False)
    try:
        core.add_filters(list(wires), False)
        return "OK"
    except _core.CoreError as error:
        return error_name(error.code) or f"0x{error.code:08X}"
    finally:
        core.txn_abort()


def rebase(wire: tuple, objects: Objects) -> tuple:
    """A filter tuple moved into objects' provider and sublayer, with a fresh key."""
    wire = list(wire)
    wire[0] = uuid.uuid4()
    wire[4] = objects.provider
    wire[6] = objects.sublayer
    return tuple(wire)
