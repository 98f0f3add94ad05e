"""A damaged state file: the error names the backup, and SimEngine.recover restores it."""

import uuid

import pytest

import wfp


def _add_provider(engine: wfp.SimEngine, name: str) -> uuid.UUID:
    key = uuid.uuid4()
    with wfp.Session(dynamic=False, backend=engine) as s:
        s.add_provider(wfp.Provider(key=key, name=name))
    return key


def _providers(engine: wfp.SimEngine) -> set:
    with wfp.Session(backend=engine) as s:
        return {p.key for p in s.providers()}


def test_corrupt_file_names_the_backup_and_recover_restores_it(tmp_path):
    path = tmp_path / "engine.state"
    engine = wfp.SimEngine(path)
    first = _add_provider(engine, "first")      # saved, then becomes the backup
    second = _add_provider(engine, "second")    # the newest state
    del engine
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))

    with pytest.raises(wfp.StateFileError) as info:
        wfp.SimEngine(path)
    assert info.value.name == "WFPKIT_E_STATE_CORRUPT"
    assert "good backup" in str(info.value) and "recover" in str(info.value)
    assert path.read_bytes() == bytes(data)     # the damaged file is left for inspection

    recovered = wfp.SimEngine.recover(path)
    keys = _providers(recovered)
    assert first in keys and second not in keys  # the last good state before the newest save


def test_recover_without_a_backup_fails_clearly(tmp_path):
    path = tmp_path / "engine.state"
    engine = wfp.SimEngine(path)
    _add_provider(engine, "only save")          # the first save has no older file to back up
    del engine
    assert not (tmp_path / "engine.state.bak").exists()
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(wfp.StateFileError) as info:
        wfp.SimEngine(path)
    assert "no usable backup" in str(info.value)
    with pytest.raises(wfp.WFPError) as info:
        wfp.SimEngine.recover(path)
    assert info.value.name == "ERROR_FILE_NOT_FOUND" and str(path) in str(info.value)


def test_recover_refuses_to_overwrite_a_foreign_file(tmp_path):
    path = tmp_path / "engine.state"
    path.write_bytes(b"not a state file at all")
    with pytest.raises(wfp.StateFileError) as info:
        wfp.SimEngine.recover(path)
    assert info.value.name == "WFPKIT_E_STATE_VERSION"
    assert path.read_bytes() == b"not a state file at all"


def test_recover_leaves_a_good_file_alone(tmp_path):
    path = tmp_path / "engine.state"
    engine = wfp.SimEngine(path)
    key = _add_provider(engine, "kept")
    before = path.read_bytes()
    del engine
    assert key in _providers(wfp.SimEngine.recover(path))
    assert path.read_bytes() == before
