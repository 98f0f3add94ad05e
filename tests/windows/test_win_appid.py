"""FwpmGetAppIdFromFileName0 on real Windows against the documented recipe and our offline rules."""
import ctypes
import os
import sys

import pytest

import wfp


def device_of(drive: str) -> str:
    buffer = ctypes.create_unicode_buffer(1024)
    length = ctypes.windll.kernel32.QueryDosDeviceW(drive, buffer, len(buffer))  # type: ignore[attr-defined]
    assert length, f"QueryDosDeviceW({drive!r}) failed"
    return buffer.value


def lower_like_windows(text: str) -> str:
    buffer = ctypes.create_unicode_buffer(text)
    ctypes.windll.user32.CharLowerW(buffer)  # type: ignore[attr-defined]
    return buffer.value


def test_real_app_id_is_the_lowercased_device_path(real):
    path = os.path.abspath(sys.executable)
    blob = wfp.app_id(path, backend=real)
    drive, rest = os.path.splitdrive(path)
    expected = lower_like_windows(device_of(drive) + rest)
    assert blob == expected.encode("utf-16-le") + b"\0\0"
    assert len(blob) == 2 * (len(expected) + 1)


def test_offline_rules_differ_only_in_the_volume_number(real):
    """The embedded engine numbers volumes by drive letter; Windows by creation order."""
    path = os.path.join(os.environ["SystemRoot"], "System32", "notepad.exe")
    real_blob = wfp.app_id(path, backend=real).decode("utf-16-le")
    offline = wfp.app_id(path, backend="sim").decode("utf-16-le")
    tail = path[2:].lower() + "\0"
    assert real_blob.endswith(tail) and offline.endswith(tail)
    assert real_blob.startswith("\\device\\") and offline.startswith("\\device\\harddiskvolume")


@pytest.mark.parametrize("missing, expected", [
    ("no-such-file.exe", "ERROR_FILE_NOT_FOUND"),
    (os.path.join("no such dir", "x.exe"), "ERROR_PATH_NOT_FOUND"),
])
def test_missing_files_give_win32_codes(real, tmp_path, missing, expected):
    with pytest.raises(wfp.WFPError) as caught:
        wfp.app_id(str(tmp_path / missing), backend=real)
    assert caught.value.name == expected


def test_a_rule_on_the_real_app_id_is_accepted(real, real_objects):
    rule = wfp.Rule(name="app id", layer=wfp.Layer.ALE_AUTH_CONNECT_V4, action=wfp.Action.BLOCK,
                    sublayer=real_objects.sublayer, provider=real_objects.provider,
                    conditions=[wfp.Field.ALE_APP_ID == wfp.app_id(sys.executable, backend=real)])
    rule_id = real.add_rule(rule)
    assert real.rule(rule_id).conditions == rule.conditions
