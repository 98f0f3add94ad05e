"""The two baselines, run by the suite so they cannot rot: the C floor and the ctypes wrapper.

The report script (benchmarks/report.py) is what compares them with the Python API in one run;
here the ctypes add is timed beside the Python API's (same pytest-benchmark group) and the C floor
is checked for a sane result.
"""
from __future__ import annotations

import json
import subprocess

import pytest

import _build
from conftest import rounds_for
from ctypes_baseline import CtypesSession

pytestmark = pytest.mark.skipif(not _build.compiler_available(), reason=f"no C compiler ({_build.CC})")


def test_c_floor(n_rules, record_property):
    program = _build.build_c_floor()
    completed = subprocess.run([str(program), str(n_rules)], capture_output=True, text=True,
                               check=True, timeout=600)
    result = json.loads(completed.stdout)
    assert result["n"] == n_rules
    assert result["filters_in_engine"] == n_rules
    assert result["add_s"] > 0 and result["enum_s"] > 0
    assert result["engine_bytes_added"] > 0
    record_property("c_floor", result)


@pytest.fixture
def ctypes_session():
    opened = []

    def new():
        while opened:
            opened.pop().close()
        session = CtypesSession()
        session.add_provider_and_sublayer()
        opened.append(session)
        return session

    yield new
    while opened:
        opened.pop().close()


def test_ctypes_add(benchmark, ctypes_session, inputs, n_rules):
    specs = inputs.specs(n_rules)
    current = {}

    def setup():
        current["session"] = ctypes_session()
        return (specs,), {}

    def add(batch):
        return current["session"].add_rules(batch)

    benchmark.group = f"add n={n_rules}"
    ids = benchmark.pedantic(add, setup=setup, rounds=rounds_for(n_rules), iterations=1)
    assert len(set(ids)) == n_rules
    assert current["session"].stats().filters == n_rules
    benchmark.extra_info["rules_per_s"] = round(n_rules / benchmark.stats.stats.min)


def test_ctypes_enumerate(benchmark, ctypes_session, inputs, n_rules):
    session = ctypes_session()
    session.add_rules(inputs.specs(n_rules))

    benchmark.group = f"enumerate n={n_rules}"
    records = benchmark.pedantic(session.rules, rounds=rounds_for(n_rules), iterations=1)
    assert {r.name for r in records} == {f"bench rule {i}" for i in range(n_rules)}
    benchmark.extra_info["rules_per_s"] = round(n_rules / benchmark.stats.stats.min)
