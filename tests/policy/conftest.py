"""Fixtures for the policy tests: the examples directory and a writer for policy files."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def make_blocklist():
    """The examples/make_blocklist.py module."""
    spec = importlib.util.spec_from_file_location("make_blocklist", EXAMPLES / "make_blocklist.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_blocklist", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> Path: a file in the test's directory, text dedented."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path
    return _write
