"""The wfp command end to end, through real subprocesses sharing a state file."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wfp
from wfp import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KILLSWITCH = EXAMPLES / "killswitch.toml"


@pytest.fixture
def env(tmp_path):
    """A clean environment whose default state file lives in the test's directory."""
    environment = {k: v for k, v in os.environ.items() if k not in ("WFPKIT_STATE",)}
    environment["XDG_STATE_HOME"] = str(tmp_path / "xdg")
    environment["LOCALAPPDATA"] = str(tmp_path / "xdg")
    environment["HOME"] = str(tmp_path / "home")
    return environment


def wfp_run(env, *args, stdin=subprocess.DEVNULL):
    return subprocess.run([sys.executable, "-m", "wfp", *map(str, args)], env=env, text=True,
                          capture_output=True, stdin=stdin, timeout=120)


def test_apply_then_rules_in_a_second_process_shows_what_was_applied(env, tmp_path):
    applied = wfp_run(env, "apply", KILLSWITCH, "--yes")
    assert applied.returncode == 0, applied.stderr
    assert applied.stderr == ""  # no progress when piped
    assert "Applied: 37 to add, 0 to replace, 0 to delete" in applied.stdout
    assert (tmp_path / "xdg" / "wfpkit" / "engine.state").is_file()

    listed = wfp_run(env, "rules", "--provider", "WireGuard kill switch", "--json")
    assert listed.returncode == 0, listed.stderr
    rules = json.loads(listed.stdout)
    assert len(rules) == 35
    expected_keys = {"key", "id", "name", "layer", "sublayer", "weight", "effective_weight",
                     "action", "conditions"}
    assert all(expected_keys <= set(r) for r in rules)
    dns = [r for r in rules if r["name"] == "block dns"]
    assert {r["layer"] for r in dns} == {"ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6",
                                         "ALE_AUTH_RECV_ACCEPT_V4", "ALE_AUTH_RECV_ACCEPT_V6"}
    assert dns[0]["weight"] == {"range": 14} and dns[0]["action"] == "BLOCK"
    assert {"field": "IP_REMOTE_PORT", "match": "EQUAL", "value": 53} in dns[0]["conditions"]
    assert dns[0]["sublayer_name"] == "WireGuard filters"

    table = wfp_run(env, "rules", "--sublayer", "WireGuard filters", "--action", "block",
                    "--layer", "ALE_AUTH_CONNECT_V4")
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "ACTION", "WEIGHT", "LAYER"]
    assert len(lines) == 1 + 2  # block dns and block all at that layer
    assert any("block dns" in line and "ip_remote_port=53" in line for line in lines)


def test_plan_exit_codes(env):
    before = wfp_run(env, "plan", KILLSWITCH, "--exit-code")
    assert before.returncode == 3
    assert "Plan: 37 to add" in before.stdout
    assert wfp_run(env, "plan", KILLSWITCH).returncode == 0
    assert wfp_run(env, "apply", KILLSWITCH, "--yes").returncode == 0
    after = wfp_run(env, "plan", KILLSWITCH, "--exit-code", "--json")
    assert after.returncode == 0
    assert json.loads(after.stdout)["unchanged"] == 37
    reapplied = wfp_run(env, "apply", KILLSWITCH, "--yes")
    assert reapplied.returncode == 0 and reapplied.stdout.startswith("No changes")


def test_plan_json_lists_changes(env):
    planned = wfp_run(env, "plan", EXAMPLES / "app_allowlist.toml", "--json")
    document = json.loads(planned.stdout)
    assert document["add"] == len(document["changes"]) == 12
    rule_changes = [c for c in document["changes"] if c["kind"] == "rule"]
    assert {c["layer"] for c in rule_changes} == {"ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6"}


def test_apply_without_yes_and_without_a_terminal_is_a_usage_error(env):
    refused = wfp_run(env, "apply", KILLSWITCH)
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert wfp_run(env, "rules", "--json").stdout.strip() == "[]"


def test_prune_through_the_cli(env, tmp_path):
    assert wfp_run(env, "apply", KILLSWITCH, "--yes").returncode == 0
    empty = tmp_path / "empty.toml"
    empty.write_text('[provider]\nname = "WireGuard kill switch"\npersistent = true\n'
                     'description = "wfpkit example: WireGuard\'s firewall rules as a policy file"\n')
    kept = wfp_run(env, "apply", empty, "--yes")
    assert kept.returncode == 0 and "37 unchanged" not in kept.stdout
    assert "36 object(s) of the provider not in the file kept" in kept.stdout
    pruned = wfp_run(env, "apply", empty, "--yes", "--prune")
    assert pruned.returncode == 0 and "36 to delete" in pruned.stdout
    assert json.loads(wfp_run(env, "rules", "--json").stdout) == []


def test_bad_policy_is_one_line_exit_1_and_debug_shows_the_traceback(env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[provider]\nname = "p"\n[[rule]]\nname = "r"\nlayer = "ALE_AUTH_CONNECT_V4"\n'
                   'action = "block"\n[rule.conditions]\nip_remote_prot = 1\n')
    result = wfp_run(env, "apply", bad, "--yes")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"wfp: {bad}:8: rule[0] 'r': conditions.ip_remote_prot: "
                                    "unknown field")
    debug = wfp_run(env, "--debug", "apply", bad, "--yes")
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert json.loads(wfp_run(env, "rules", "--json").stdout) == []


@pytest.mark.parametrize("args", [["bogus"], ["rules", "--nope"], ["rules", "--layer", "NOPE"],
                                  ["rules", "--provider", "nobody"], ["fields", "NOPE"],
                                  ["explain", "ALE_AUTH_CONNECT_V4", "not-a-pair"], []])
def test_usage_errors_exit_2(env, args):
    result = wfp_run(env, *args)
    assert result.returncode == 2
    assert "usage: wfp" in result.stderr


def test_explain_names_the_deciding_rule(env):
    assert wfp_run(env, "apply", KILLSWITCH, "--yes").returncode == 0
    text = wfp_run(env, "explain", "ALE_AUTH_CONNECT_V4", "ip_remote_address=8.8.8.8",
                   "ip_remote_port=53", "ip_protocol=17")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("BLOCK at ALE_AUTH_CONNECT_V4 by rule 'block dns'")
    allowed = wfp_run(env, "explain", "ALE_AUTH_CONNECT_V4", "ip_remote_address=10.64.0.1",
                      "ip_remote_port=53", "ip_protocol=17", "--json")
    document = json.loads(allowed.stdout)
    assert document["action"] == "PERMIT"
    assert document["rule"]["name"] == "permit dns to tunnel resolvers"
    assert document["trace"][0]["weight"] == 0xFFFF


def test_explain_without_classification_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.delattr(wfp.Session, "classify")
    code = cli.main(["--state", str(tmp_path / "s.state"), "explain", "ALE_AUTH_CONNECT_V4",
                     "ip_remote_port=53"])
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "not available in this version" in captured.err


def test_export_and_import_between_state_files(env, tmp_path):
    assert wfp_run(env, "apply", KILLSWITCH, "--yes").returncode == 0
    snapshot = tmp_path / "snap.toml"
    assert wfp_run(env, "export", "-o", snapshot).returncode == 0
    exported_json = wfp_run(env, "export", "--json")
    assert json.loads(exported_json.stdout)["format"] == "wfpkit-snapshot"
    other = tmp_path / "other.state"
    imported = wfp_run(env, "--state", other, "import", snapshot, "--yes")
    assert imported.returncode == 0, imported.stderr
    assert "37 to add" in imported.stdout
    mine = json.loads(wfp_run(env, "rules", "--json").stdout)
    theirs = json.loads(wfp_run(env, "--state", other, "rules", "--json").stdout)
    strip = lambda rules: sorted((r["key"], r["name"], r["layer"], json.dumps(r["conditions"]),
                                  json.dumps(r["weight"])) for r in rules)
    assert strip(mine) == strip(theirs)
    again = wfp_run(env, "--state", other, "import", snapshot, "--yes")
    assert again.returncode == 0 and again.stdout.startswith("No changes")


def test_small_commands(env):
    app = wfp_run(env, "app-id", r"C:\Windows\System32\svchost.exe")
    assert app.stdout.strip() == r"\device\harddiskvolume3\windows\system32\svchost.exe"
    fields = wfp_run(env, "fields", "ale_auth_connect_v4", "--json")
    names = {f["field"]: f for f in json.loads(fields.stdout)}
    assert names["IP_REMOTE_PORT"]["data_type"] == "UINT16"
    assert names["IP_REMOTE_ADDRESS"]["field_type"] == "IP_ADDRESS"
    providers = json.loads(wfp_run(env, "providers", "--json").stdout)
    assert all({"key", "name", "persistent"} <= set(p) for p in providers)
    assert json.loads(wfp_run(env, "events", "--json").stdout) == []
    assert wfp_run(env, "--version").stdout.strip() == f"wfpkit {wfp.__version__}"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_after_a_second_only():
    terminal = FakeTerminal()
    with cli.Progress(terminal) as progress:
        progress.phase("adding rules")
        time.sleep(cli.Progress.DELAY + 2 * cli.Progress.INTERVAL)
    assert "wfp: adding rules... 1s" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[K")
    quick = FakeTerminal()
    with cli.Progress(quick) as progress:
        progress.phase("quick")
    assert quick.getvalue() == ""
    piped = io.StringIO()
    with cli.Progress(piped) as progress:
        progress.phase("slow")
        time.sleep(cli.Progress.DELAY + cli.Progress.INTERVAL)
    assert piped.getvalue() == ""
