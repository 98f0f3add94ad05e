"""Crash safety of the embedded engine's state file.

A writer process replaces a large persistent rule set generation after generation, one
transaction each; the test kills it with SIGKILL at random moments, many times, and after each
kill opens the file in a fresh engine: it must open, and hold exactly one whole generation (the
last one the writer reported or the one it was committing), never a mix and never nothing.

Damaged files (truncated, bit-flipped, empty, foreign) must fail with wfp.StateFileError and be
left as they are; the previous good state must be kept as a backup.

Sizes: WFP_CRASH_KILLS (default 6) kills of a writer applying WFP_CRASH_RULES (default 1500)
rules; the slow variant does 40 kills of 5000 rules.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wfp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import state_writer  # noqa: E402

KILLS = int(os.environ.get("WFP_CRASH_KILLS", "6"))
RULES = int(os.environ.get("WFP_CRASH_RULES", "1500"))


def writer_env() -> dict:
    env = dict(os.environ)
    package_root = str(Path(wfp.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def read_state(path: Path) -> tuple[int, list[wfp.Rule]]:
    """The generation held by the file and its rules; fails unless it is one whole generation."""
    engine = wfp.SimEngine(path)
    with wfp.Session(name="checker", dynamic=False, backend=engine) as session:
        rules = session.rules(provider=state_writer.CRASH_PROVIDER)
    generations = {state_writer.generation_of(r) for r in rules}
    assert len(generations) <= 1, f"a mix of generations {sorted(generations)}"
    generation = generations.pop() if generations else 0
    if generation:
        expected = {r.key: r for r in state_writer.generation_rules(generation, len(rules))}
        assert len(rules) == RULES_IN_USE[0], f"generation {generation} has {len(rules)} rules"
        assert {r.key: r for r in rules} == {k: _read_back(r) for k, r in expected.items()}
    return generation, rules


RULES_IN_USE = [RULES]
UNIVERSAL = "eebecc03-ced4-4380-819a-2734397b2b74"


def _read_back(rule: wfp.Rule) -> wfp.Rule:
    import dataclasses
    import uuid
    return dataclasses.replace(rule, sublayer=uuid.UUID(UNIVERSAL))


def kill_writer_repeatedly(path: Path, kills: int, rules: int, seed: int) -> list[tuple[int, int]]:
    """Runs and kills the writer `kills` times; returns (last reported, found) generations."""
    rng = random.Random(seed)
    RULES_IN_USE[0] = rules
    history = []
    for _ in range(kills):
        before, _ = read_state(path) if path.exists() else (0, [])
        writer = subprocess.Popen([sys.executable, str(HERE / "state_writer.py"), "replace",
                                   str(path), str(rules)], stdout=subprocess.PIPE,
                                  env=writer_env(), text=True)
        try:
            # Let it commit a few generations, then kill it at a random point of the next.
            reported = before
            for _ in range(rng.randint(1, 3)):
                line = writer.stdout.readline()
                assert line.startswith("committed"), f"writer said {line!r}"
                reported = int(line.split()[1])
            time.sleep(rng.uniform(0, 0.6))
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=30)
        for line in writer.stdout.read().splitlines():
            reported = int(line.split()[1])
        writer.stdout.close()
        found, found_rules = read_state(path)
        assert found in (reported, reported + 1), (reported, found)
        assert found_rules, "the state file holds nothing after a kill"
        history.append((reported, found))
    return history


def test_sigkill_leaves_old_or_new_state(tmp_path: Path) -> None:
    history = kill_writer_repeatedly(tmp_path / "state.wfp", KILLS, RULES, seed=KILLS * RULES)
    assert len(history) == KILLS
    assert stat.S_IMODE((tmp_path / "state.wfp").stat().st_mode) == 0o600


@pytest.mark.slow
def test_sigkill_many_times_with_large_rule_sets(tmp_path: Path) -> None:
    history = kill_writer_repeatedly(tmp_path / "state.wfp", 40, 5000, seed=1)
    assert len(history) == 40


# --------------------------------------------------------------------------------------------
# Damaged files
# --------------------------------------------------------------------------------------------

@pytest.fixture
def good_state(tmp_path: Path) -> Path:
    """A state file with two committed generations of 50 rules."""
    path = tmp_path / "state.wfp"
    engine = wfp.SimEngine(path)
    with wfp.Session(name="setup", dynamic=False, backend=engine) as session:
        session.add_provider(wfp.Provider(key=state_writer.CRASH_PROVIDER, name="crash",
                                          persistent=True))
        for generation in (1, 2):
            with session.transaction():
                session.delete_rules([r.id for r in session.rules()])
                session.add_rules(state_writer.generation_rules(generation, 50))
    return path


def assert_rejected(path: Path) -> None:
    damaged = path.read_bytes()
    with pytest.raises(wfp.StateFileError) as caught:
        wfp.SimEngine(path)
    assert caught.value.name.startswith("WFPKIT_E_STATE_")
    assert "state file" in str(caught.value)
    assert str(path) in str(caught.value), "the error does not name the state file"
    assert path.read_bytes() == damaged, "a rejected state file was changed"


def test_state_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "named state.wfp"
    path.write_bytes(b"not a state file" * 8)
    with pytest.raises(wfp.StateFileError) as caught:
        wfp.SimEngine(path)
    assert str(path) in str(caught.value) and caught.value.filename == str(path)
    with pytest.raises(wfp.StateFileError, match="named state.wfp"):
        wfp.SimEngine(os.fsencode(path))


def test_unreadable_state_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "state.wfp"
    with pytest.raises(wfp.StateFileError) as caught:
        wfp.SimEngine(path)
    assert str(path) in str(caught.value)


def test_state_path_with_nul_is_a_validation_error() -> None:
    with pytest.raises(wfp.ValidationError) as caught:
        wfp.SimEngine("state\0.wfp")
    assert caught.value.field == "state_path"


@pytest.mark.parametrize("keep", [0, 1, 8, 39, 40, 41, 100, -1])
def test_truncated_file_is_rejected(good_state: Path, keep: int) -> None:
    data = good_state.read_bytes()
    good_state.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    assert_rejected(good_state)


GENERATION_BYTES = range(16, 24)  # the header's generation counter


def flip_and_check(path: Path, positions) -> None:
    data = path.read_bytes()
    rng = random.Random(7)
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(flipped))
        assert_rejected(path)
    path.write_bytes(data)
    assert read_state_generation(path) == 2


def test_bit_flips_are_rejected(good_state: Path) -> None:
    size = good_state.stat().st_size
    payload = random.Random(size).sample(range(40, size), min(200, size - 40))
    header = [i for i in range(40) if i not in GENERATION_BYTES]
    flip_and_check(good_state, sorted({*header, *payload, size - 1}))


def test_bit_flip_in_the_generation_field_is_rejected(good_state: Path) -> None:
    flip_and_check(good_state, GENERATION_BYTES)


def read_state_generation(path: Path) -> int:
    RULES_IN_USE[0] = 50
    return read_state(path)[0]


@pytest.mark.parametrize("content", [b"", b"\0" * 64, b"[provider]\nname = 'x'\n",
                                     b"WFPKSIM1", b"WFPKSIM2" + b"\0" * 100])
def test_empty_or_foreign_file_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.wfp"
    path.write_bytes(content)
    assert_rejected(path)


def test_missing_file_starts_empty_and_is_created_on_first_durable_commit(tmp_path: Path) -> None:
    path = tmp_path / "state.wfp"
    engine = wfp.SimEngine(path)
    with wfp.Session(name="first", dynamic=False, backend=engine) as session:
        assert session.rules() == []
        session.add_rule(wfp.Rule(name="static", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                                  action=wfp.Action.BLOCK))
    assert path.exists()


def test_previous_good_state_is_kept_as_backup(good_state: Path) -> None:
    data = bytearray(good_state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    good_state.write_bytes(bytes(data))
    assert_rejected(good_state)
    backups = [p for p in good_state.parent.iterdir()
               if p.name.startswith(good_state.name) and p != good_state
               and not p.name.endswith(".lock") and ".tmp." not in p.name]
    assert backups, f"no backup beside the state file: {sorted(p.name for p in good_state.parent.iterdir())}"
    assert any(read_state_generation(backup) in (1, 2) for backup in backups)
