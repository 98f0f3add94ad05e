"""Fixtures shared by the test suites: a fresh embedded engine and sessions on it."""

from __future__ import annotations

import pytest

import wfp


@pytest.fixture
def engine() -> wfp.SimEngine:
    """An embedded engine of this test's own, in memory."""
    return wfp.SimEngine()


@pytest.fixture
def session(engine: wfp.SimEngine):
    """A dynamic session on the test's engine, closed afterwards."""
    with wfp.Session(name="test", backend=engine) as s:
        yield s


@pytest.fixture
def static_session(engine: wfp.SimEngine):
    """A static session (objects outlive it) on the test's engine, closed afterwards."""
    with wfp.Session(name="test static", dynamic=False, backend=engine) as s:
        yield s
