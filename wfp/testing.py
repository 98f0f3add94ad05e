"""pytest plugin: test code that programs WFP on any OS, against a fresh embedded engine.

Installed with the package (entry point ``pytest11``), it provides:

* ``wfp_engine``: a new in-memory :class:`wfp.SimEngine` for each test;
* ``wfp_session``: a dynamic :class:`wfp.Session` on that engine, closed after the test;
* ``wfp_static_session``: a static session on the same engine (its objects outlive it).

Example::

    def test_killswitch_blocks_dns(wfp_session):
        install_my_firewall(wfp_session)
        d = wfp_session.classify(wfp.Layer.ALE_AUTH_CONNECT_V4, {...})
        assert d.action is wfp.Action.BLOCK
"""

from __future__ import annotations

from typing import Iterator

import pytest

import wfp

__all__ = ["wfp_engine", "wfp_session", "wfp_static_session"]


@pytest.fixture
def wfp_engine() -> wfp.SimEngine:
    """A fresh in-memory embedded engine of this test's own."""
    return wfp.SimEngine()


@pytest.fixture
def wfp_session(wfp_engine: wfp.SimEngine) -> Iterator[wfp.Session]:
    """A dynamic session on ``wfp_engine``; its objects go when the test ends."""
    with wfp.Session(name="pytest", backend=wfp_engine) as session:
        yield session


@pytest.fixture
def wfp_static_session(wfp_engine: wfp.SimEngine) -> Iterator[wfp.Session]:
    """A static session on ``wfp_engine``: its objects stay after it closes."""
    with wfp.Session(name="pytest static", dynamic=False, backend=wfp_engine) as session:
        yield session
