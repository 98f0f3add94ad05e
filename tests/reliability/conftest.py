"""Markers of the reliability suite."""

from __future__ import annotations


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "slow: a long variant (minutes); deselect with -m 'not slow'")
