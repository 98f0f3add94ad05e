"""Fixtures shared by the test suites: a fresh embedded engine and sessions on it."""

from __future__ import annotations

import os

import pytest

import wfp

# pytester drives the wfp.testing plugin's own tests (tests/plugin).
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session", autouse=True)
def _work_outside_the_source_tree(tmp_path_factory):
    """Run tests from an empty directory.

    A child ``python -c``/``python -m wfp`` puts its working directory first on sys.path; from the
    repository root that is the unbuilt source tree, which would shadow the installed package.
    """
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(previous)


@pytest.fixture(autouse=True)
def _policy_cache_of_the_test(tmp_path_factory, monkeypatch):
    """Each test's own re-apply cache of policy files (never the user's), child processes
    included."""
    path = tmp_path_factory.mktemp("policy-cache") / "policy-cache.json"
    monkeypatch.setenv("WFPKIT_POLICY_CACHE", str(path))
    return path


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
