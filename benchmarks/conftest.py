"""pytest-benchmark suite: `pytest benchmarks/` (quick: WFP_BENCH_QUICK=1, with 1M: --full).

Not part of the default test run (the root config collects tests/ only).  Each test builds its
input before the clock starts and times one operation per round on a fresh engine.
"""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _rules  # noqa: E402
from python_api import open_session  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wfpkit benchmarks")
    group.addoption("--full", action="store_true", default=False,
                    help="also run 1M rules (same as WFP_BENCH_FULL=1)")
    group.addoption("--wfp-backend", default=os.environ.get("WFP_BENCH_BACKEND", "sim"),
                    help="backend to measure: sim (default) or fwpuclnt (Windows)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--full"):
        os.environ["WFP_BENCH_FULL"] = "1"


def bench_sizes() -> tuple[int, ...]:
    if _rules.quick_mode():
        return _rules.SIZES_QUICK
    return _rules.SIZES_FULL if _rules.full_mode() else _rules.SIZES_DEFAULT


def classify_sizes() -> tuple[int, ...]:
    return _rules.CLASSIFY_SIZES_QUICK if _rules.quick_mode() else _rules.CLASSIFY_SIZES


def rounds_for(n: int) -> int:
    """Fewer rounds for bigger N: each round is already long enough to average out noise."""
    if _rules.quick_mode():
        return 1
    if n <= 1_000:
        return 10
    if n <= 10_000:
        return 5
    if n <= 100_000:
        return 3
    return 1


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "n_rules" in metafunc.fixturenames:
        metafunc.parametrize("n_rules", bench_sizes(), ids=lambda n: f"n={n}")
    if "n_filters" in metafunc.fixturenames:
        metafunc.parametrize("n_filters", classify_sizes(), ids=lambda n: f"filters={n}")


@pytest.fixture(scope="session")
def backend_name(pytestconfig: pytest.Config) -> str:
    return pytestconfig.getoption("--wfp-backend")


class SpecCache:
    """Holds the input of one size at a time: 1M rules as objects take hundreds of MB."""

    def __init__(self) -> None:
        self._n = None
        self._specs: list = []
        self._rules: list = []

    def _reset(self, n: int) -> None:
        if self._n != n:
            self._specs, self._rules = [], []
            gc.collect()
            self._n = n

    def specs(self, n: int) -> list:
        self._reset(n)
        if not self._specs:
            self._specs = _rules.rule_specs(n)
        return self._specs

    def rules(self, n: int) -> list:
        self._reset(n)
        if not self._rules:
            self._rules = _rules.api_rules(self.specs(n))
        return self._rules


@pytest.fixture(scope="session")
def inputs() -> SpecCache:
    return SpecCache()


class SessionFactory:
    """Fresh sessions (each on a fresh embedded engine) that are all closed at teardown."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._open: list = []

    def new(self, with_provider: bool = True):
        self.close_all()
        session, engine = open_session(self.backend)
        self._open.append(session)
        if with_provider:
            _rules.add_bench_provider(session)
        return session, engine

    def close_all(self) -> None:
        while self._open:
            self._open.pop().close()


@pytest.fixture
def sessions(backend_name: str):
    factory = SessionFactory(backend_name)
    yield factory
    factory.close_all()
