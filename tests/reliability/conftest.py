"""Markers of the reliability suite: ``slow`` variants run only when asked for."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "slow: a long variant (minutes); runs with WFP_RUN_SLOW=1 or -m slow")


def pytest_collection_modifyitems(config, items) -> None:
    if os.environ.get("WFP_RUN_SLOW") == "1" or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow variant: set WFP_RUN_SLOW=1 or select -m slow")
    for item in items:
        if "slow" in item.keywords and "reliability" in str(item.fspath):
            item.add_marker(skip)
