"""Persistence through SimEngine(state_path) across processes.

The state file stands for a running Base Filtering Engine: static and persistent objects are
in it, dynamic ones never are, and a simulated BFE restart keeps only the persistent ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import wfp

from .helpers import subprocess_env

# A rule as text, without its run-time id (the engine may number filters anew after a load).
DESCRIBE = """
import dataclasses
def describe(rule):
    return [repr(dataclasses.replace(rule, id=None, effective_weight=None)), rule.effective_weight]
"""

WRITER = DESCRIBE + textwrap.dedent("""
    import json, sys
    import wfp
    engine = wfp.SimEngine(sys.argv[1])
    with wfp.Session(name="writer", dynamic=False, backend=engine) as s:
        provider = s.add_provider(wfp.Provider(name="kept", persistent=True, data=b"pd"))
        sublayer = s.add_sublayer(wfp.Sublayer(name="kept", weight=0x4000, provider=provider,
                                               persistent=True))
        with s.transaction():
            kept = s.add_rules([
                wfp.Rule(name=f"kept {port}", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                         sublayer=sublayer, provider=provider, persistent=True,
                         weight=wfp.WeightRange(port % 16), action=wfp.Action.BLOCK,
                         conditions=[wfp.Field.IP_REMOTE_PORT == port,
                                     wfp.Field.IP_REMOTE_ADDRESS.in_("192.168.0.0/16")])
                for port in range(1, 21)])
            s.add_rule(wfp.Rule(name="static only", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                                sublayer=sublayer, action=wfp.Action.PERMIT))
    with wfp.Session(name="dynamic", backend=engine) as d:
        d.add_provider(wfp.Provider(name="dynamic only"))
        with wfp.Session(name="reader", backend=engine) as r:
            rules = sorted(r.rules(provider=provider), key=lambda rule: rule.name)
            print(json.dumps({"provider": str(provider), "sublayer": str(sublayer),
                              "rules": [describe(rule) for rule in rules]}))
""")

READER = DESCRIBE + textwrap.dedent("""
    import json, sys, uuid
    import wfp
    engine = wfp.SimEngine(sys.argv[1])
    with wfp.Session(name="reader", backend=engine) as s:
        provider = uuid.UUID(sys.argv[2])
        static_names = sorted({rule.name for rule in s.rules()})
    engine.restart()
    with wfp.Session(name="reader", backend=engine) as s:
        rules = sorted(s.rules(provider=provider), key=lambda rule: rule.name)
        print(json.dumps({
            "static_names": static_names,
            "provider": [p.name for p in s.providers() if p.key == provider],
            "provider_data": [p.data.hex() for p in s.providers() if p.key == provider],
            "sublayers": [(sub.name, sub.weight, sub.persistent) for sub in s.sublayers(provider)],
            "rules": [describe(rule) for rule in rules],
            "names": sorted({rule.name for rule in s.rules()}),
            "all_providers": sorted(p.name for p in s.providers()),
        }))
""")


def run(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          env=subprocess_env(), cwd=os.path.dirname(args[0]), timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_objects_survive_a_new_process_and_persistent_ones_a_restart(tmp_path: Path):
    state = tmp_path / "engine.state"
    written = run(WRITER, str(state))
    assert state.exists()
    if os.name != "nt":
        assert state.stat().st_mode & 0o777 == 0o600
    read = run(READER, str(state), written["provider"])
    assert read["provider"] == ["kept"]
    assert read["provider_data"] == [b"pd".hex()]
    assert read["sublayers"] == [["kept", 0x4000, True]]
    assert len(read["rules"]) == 20
    assert read["rules"] == written["rules"]
    assert "static only" in read["static_names"]
    assert "static only" not in read["names"]
    assert "dynamic only" not in read["all_providers"]


def test_state_path_is_reported(tmp_path: Path):
    engine = wfp.SimEngine(tmp_path / "s.state")
    assert engine.state_path == str(tmp_path / "s.state")
    assert wfp.SimEngine().state_path is None


def test_corrupt_state_file_is_an_error_not_an_empty_engine(tmp_path: Path):
    state = tmp_path / "engine.state"
    run(WRITER, str(state))
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    with pytest.raises(wfp.StateFileError) as caught:
        wfp.SimEngine(state)
    assert caught.value.name.startswith("WFPKIT_E_STATE_")
    assert state.read_bytes() == bytes(data)  # left alone


def test_a_state_file_that_cannot_be_saved_at_commit_is_named(tmp_path: Path):
    folder = tmp_path / "gone"
    folder.mkdir()
    state = folder / "engine.state"
    engine = wfp.SimEngine(state)
    rule = wfp.Rule(layer=wfp.Layer.ALE_AUTH_CONNECT_V4, action=wfp.Action.BLOCK, name="kept",
                    persistent=True)
    with wfp.Session(name="writer", dynamic=False, backend=engine) as session:
        shutil.rmtree(folder)  # the save at commit has nowhere to write
        with pytest.raises(wfp.StateFileError) as single:
            session.add_rule(rule)
        assert single.value.filename == os.fspath(state) and str(state) in str(single.value)
        with pytest.raises(wfp.BulkError) as bulk:
            session.add_rules([rule])
        assert isinstance(bulk.value.cause, wfp.StateFileError)
        assert str(state) in str(bulk.value.cause)
        assert session.rules() == []  # the failed commits left nothing behind
