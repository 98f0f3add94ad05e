"""Markers and options of the fuzz suite (harnesses: fuzz_*.py; docs/fuzzing.md)."""

from __future__ import annotations


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "fuzz: a time-boxed fuzzing run in a subprocess (budget: WFP_FUZZ_SECONDS)")
