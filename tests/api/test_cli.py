"""The command line: --version, layers (table and JSON), python -m wfp, backend errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import wfp
from wfp import cli

from .helpers import subprocess_env


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """Keep the CLI's default state file inside the test's directory."""
    monkeypatch.setenv("WFPKIT_STATE", str(tmp_path / "state" / "engine.state"))
    return tmp_path / "state" / "engine.state"


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"wfpkit {wfp.__version__}"


def test_layers_table(capsys):
    assert cli.main(["--backend", "sim", "layers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ID", "FIELDS"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert len(rows) == len(set(wfp.Layer))
    connect = wfp.Layer.ALE_AUTH_CONNECT_V4
    assert rows["ALE_AUTH_CONNECT_V4"] == [str(connect.layer_id), str(len(connect.fields))]


def test_layers_json(capsys, tmp_path):
    assert cli.main(["--state", str(tmp_path / "explicit.state"), "layers", "--json"]) == 0
    layers = json.loads(capsys.readouterr().out)
    by_name = {layer["name"]: layer for layer in layers}
    connect = by_name["INBOUND_TRANSPORT_V6"]
    layer = wfp.Layer.INBOUND_TRANSPORT_V6
    assert connect["key"] == str(layer.value)
    assert connect["id"] == layer.layer_id
    assert connect["field_count"] == len(layer.fields) == len(connect["fields"])
    assert connect["fields"] == [f.name for f in layer.fields]


def test_default_state_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WFPKIT_STATE", str(tmp_path / "x.state"))
    assert cli.default_state_path() == tmp_path / "x.state"
    monkeypatch.delenv("WFPKIT_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "xdg"))
    assert cli.default_state_path() == tmp_path / "xdg" / "wfpkit" / "engine.state"


@pytest.mark.skipif(os.name == "nt", reason="fwpuclnt exists on Windows")
def test_unavailable_backend_exits_1(capsys):
    assert cli.main(["--backend", "fwpuclnt", "layers"]) == 1
    assert "WFPKIT_E_UNSUPPORTED" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    for argv in ([], ["nonsense"], ["--backend", "windows", "layers"]):
        with pytest.raises(SystemExit) as done:
            cli.main(argv)
        assert done.value.code == 2


def test_python_dash_m_runs_the_same_cli(private_state, tmp_path):
    env = {**subprocess_env(), "WFPKIT_STATE": str(private_state)}
    done = subprocess.run([sys.executable, "-m", "wfp", "--backend", "sim", "layers", "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert {layer["name"] for layer in json.loads(done.stdout)} == {m.name for m in wfp.Layer}
    version = subprocess.run([sys.executable, "-m", "wfp", "--version"], capture_output=True,
                             text=True, env=env, cwd=tmp_path, timeout=60)
    assert version.stdout.strip() == f"wfpkit {wfp.__version__}"
