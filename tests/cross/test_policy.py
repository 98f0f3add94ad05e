"""A missing cross tool skips a check on a developer machine and fails it in CI."""
import pytest

import crosscheck


@pytest.fixture
def nothing_installed(monkeypatch):
    monkeypatch.setattr(crosscheck.crosslib, "have", lambda tool: False)


def test_missing_tool_skips_with_the_package_to_install(nothing_installed, monkeypatch):
    monkeypatch.delenv("WFP_REQUIRE_CROSS", raising=False)
    with pytest.raises(pytest.skip.Exception) as caught:
        crosscheck.require("i686", "wine")
    assert "apt-get install gcc-mingw-w64-i686-win32 mingw-w64-i686-dev" in str(caught.value)
    assert "wine64" in str(caught.value)


def test_missing_tool_fails_when_ci_requires_the_cross_checks(nothing_installed, monkeypatch):
    monkeypatch.setenv("WFP_REQUIRE_CROSS", "1")
    with pytest.raises(pytest.fail.Exception) as caught:
        crosscheck.require("x86_64")
    assert "WFP_REQUIRE_CROSS=1" in str(caught.value)


def test_present_tools_neither_skip_nor_fail(monkeypatch):
    monkeypatch.setattr(crosscheck.crosslib, "have", lambda tool: True)
    monkeypatch.setenv("WFP_REQUIRE_CROSS", "1")
    crosscheck.require("x86_64", "i686", "wine")
