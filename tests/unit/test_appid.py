"""App ids (wfp.appid): the FwpmGetAppIdFromFileName0 blob, computed off Windows."""

import pathlib

import pytest
from hypothesis import given, settings, strategies as st

from wfp.appid import _app_id_offline, app_id, app_id_to_path
from wfp.errors import Unsupported, ValidationError, WFPError


def blob(device_path: str) -> bytes:
    return device_path.encode("utf-16-le") + b"\0\0"


try:
    from wfp import _core
    CORE_ERROR = None
except ImportError as exc:  # the compiled binding is not built in this tree
    _core = None
    CORE_ERROR = str(exc)

needs_core = pytest.mark.skipif(_core is None, reason=f"wfp._core is not built: {CORE_ERROR}")

CASES = [
    (r"C:\Windows\System32\cmd.exe", r"\device\harddiskvolume3\windows\system32\cmd.exe"),
    (r"c:\Program Files\App\APP.EXE", r"\device\harddiskvolume3\program files\app\app.exe"),
    (r"D:\Tools\x.exe", r"\device\harddiskvolume4\tools\x.exe"),
    (r"A:\x.exe", r"\device\harddiskvolume1\x.exe"),
    (r"Z:\x.exe", r"\device\harddiskvolume26\x.exe"),
    ("C:/Users/Bob/app.exe", r"\device\harddiskvolume3\users\bob\app.exe"),
    (r"\\?\C:\Windows\notepad.exe", r"\device\harddiskvolume3\windows\notepad.exe"),
    (r"\\?\UNC\Server\Share\App.exe", r"\device\mup\server\share\app.exe"),
    (r"\\Server\Share\Dir\App.exe", r"\device\mup\server\share\dir\app.exe"),
    (r"\\.\D:\x.exe", r"\device\harddiskvolume4\x.exe"),
    (r"\\?\unc\srv\s\x.exe", r"\device\mup\srv\s\x.exe"),
    ("C:\\Übung\\ÄÖÜÞ×.exe", "\\device\\harddiskvolume3\\übung\\äöüþ×.exe"),
    ("C:\\ΣΟΦΙΑ\\ΪΫ.exe", "\\device\\harddiskvolume3\\σοφια\\ϊϋ.exe"),
    ("C:\\ЁЖИК\\ЯЂ.exe", "\\device\\harddiskvolume3\\ёжик\\яђ.exe"),
    # Latin Extended-A: capitals on even code points, except in U+0139..U+0148 and U+0179..U+017E.
    ("C:\\ĀĹŇŸŽ.exe", "\\device\\harddiskvolume3\\āĺňÿž.exe"),
    # U+0130 has no one-character lower case; other scripts are kept as written.
    ("C:\\\u0130\u0531\u212a\uff21\U00010400.exe", "\\device\\harddiskvolume3\\\u0130\u0531\u212a\uff21\U00010400.exe"),
]


@pytest.mark.parametrize("path, device", CASES)
def test_offline_rules(path, device):
    assert _app_id_offline(path) == blob(device)


def test_known_answer_bytes():
    expected = bytes.fromhex(
        "5c00 6400 6500 7600 6900 6300 6500"              # \device
        "5c00 6800 6100 7200 6400 6400 6900 7300 6b00"    # \harddisk
        "7600 6f00 6c00 7500 6d00 6500 3300"              # volume3
        "5c00 7800 2e00 6500 7800 6500"                   # \x.exe
        "0000")                                           # the NUL, counted
    assert _app_id_offline(r"C:\X.exe") == expected
    assert len(expected) == (len(r"\device\harddiskvolume3\x.exe") + 1) * 2


def test_path_like_objects():
    assert _app_id_offline(pathlib.PureWindowsPath(r"C:\dir\a.exe")) == blob(r"\device\harddiskvolume3\dir\a.exe")
    assert app_id(pathlib.PureWindowsPath(r"C:\dir\a.exe"), backend="sim") == blob(
        r"\device\harddiskvolume3\dir\a.exe")


BAD_PATHS = ["notepad.exe", r"C:notepad.exe", r".\x.exe", r"\Windows\x.exe", "\\\\", "",
             r"\\\share", r"\Device\HarddiskVolume3\x.exe", "1:\\x.exe", "\u212a:\\x.exe"]


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_offline_rejects_paths_without_a_root(bad):
    with pytest.raises(ValidationError) as info:
        _app_id_offline(bad)
    assert info.value.name == "ERROR_PATH_NOT_FOUND"
    assert repr(bad) in str(info.value)


def test_nul_in_a_path_is_rejected_before_any_backend():
    with pytest.raises(ValidationError) as info:
        app_id("C:\\a\0b.exe", backend="sim")
    assert "NUL" in str(info.value)


def test_unknown_backend_name():
    with pytest.raises(ValidationError) as info:
        app_id(r"C:\x.exe", backend="bfe")
    assert "'bfe'" in str(info.value)


def test_app_id_to_path():
    assert app_id_to_path(blob(r"\device\harddiskvolume3\x.exe")) == r"\device\harddiskvolume3\x.exe"
    assert app_id_to_path(bytearray(blob("\\device\\σ"))) == "\\device\\σ"
    assert app_id_to_path(r"\x".encode("utf-16-le")) == r"\x"  # no NUL: kept whole
    with pytest.raises(ValidationError) as info:
        app_id_to_path(b"\\\0x")
    assert "even" in str(info.value)


@pytest.mark.parametrize("path, device", CASES)
def test_app_id_sim_backend(path, device):
    assert app_id(path, backend="sim") == blob(device)
    assert app_id_to_path(app_id(path, backend="sim")) == device


@pytest.mark.skipif(_core is not None, reason="the binding is built: fwpuclnt is reachable through it")
def test_fwpuclnt_without_the_binding_is_unsupported():
    with pytest.raises(Unsupported):
        app_id(r"C:\x.exe", backend="fwpuclnt")


@needs_core
@pytest.mark.parametrize("path, device", CASES)
def test_binding_and_offline_rules_agree(path, device):
    assert _core.app_id_from_file_name("sim", path) == _app_id_offline(path)


@needs_core
@pytest.mark.parametrize("bad", BAD_PATHS)
def test_binding_and_offline_rules_reject_the_same_paths(bad):
    with pytest.raises(ValidationError) as offline:
        _app_id_offline(bad)
    with pytest.raises(WFPError) as binding:
        app_id(bad, backend="sim")
    assert binding.value.code == offline.value.code == 3
    assert repr(bad) in str(binding.value)


any_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=12)


@needs_core
@settings(max_examples=300)
@given(st.sampled_from(["C:\\", "z:/", "\\\\?\\D:\\", "\\\\srv\\", "\\\\?\\UNC\\", ""]), any_text)
def test_binding_and_offline_rules_agree_on_any_text(prefix, rest):
    path = prefix + rest
    try:
        expected = _app_id_offline(path)
    except ValidationError as error:
        with pytest.raises(WFPError) as binding:
            _core_app_id(path)
        assert binding.value.code == error.code
    else:
        assert _core_app_id(path) == expected


def _core_app_id(path):
    try:
        return _core.app_id_from_file_name("sim", path)
    except _core.CoreError as error:
        raise WFPError(error.code) from None


def test_a_path_with_a_lone_surrogate_is_rejected_before_the_engine():
    with pytest.raises(ValidationError) as info:
        app_id("C:\\bad\ud800.exe")
    assert info.value.field == "path" and "surrogate" in str(info.value)
