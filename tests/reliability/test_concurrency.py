"""Concurrency: processes sharing a state file, threads sharing a session, sessions sharing an
engine.  No corruption (every batch all or nothing, ids unique), no deadlock (every wait is
bounded by a timeout here), and a waiter that gives up raises wfp.Timeout.

Sizes: WFP_CONCURRENCY_BATCHES (default 12) batches per writer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

import wfp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import state_writer  # noqa: E402

BATCHES = int(os.environ.get("WFP_CONCURRENCY_BATCHES", "12"))
V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
DEADLOCK_SECONDS = 120


def writer_env() -> dict:
    env = dict(os.environ)
    package_root = str(Path(wfp.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def batch_counts(rules) -> Counter:
    """Rules per batch, from names "batch <writer>/<batch> <i>/<size>"."""
    return Counter(r.name.split()[1] for r in rules if r.name.startswith("batch "))


def assert_whole_batches(rules) -> None:
    sizes = {r.name.split()[1]: int(r.name.split()[2].split("/")[1])
             for r in rules if r.name.startswith("batch ")}
    for batch, count in batch_counts(rules).items():
        assert count == sizes[batch], f"batch {batch} is partial: {count} of {sizes[batch]}"
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids)), "duplicate rule ids"


def test_processes_apply_and_read_one_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.wfp"
    writers = [subprocess.Popen([sys.executable, str(HERE / "state_writer.py"), "batches",
                                 str(path), str(n), str(BATCHES), "40"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=writer_env())
               for n in range(3)]
    deadline = time.monotonic() + DEADLOCK_SECONDS
    reads = 0
    try:
        # Read through engines of this process while the writers work: every view is whole.
        while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
            if path.exists():
                engine = wfp.SimEngine(path)
                with wfp.Session(name="reader", dynamic=False, backend=engine,
                                 txn_timeout_ms=30000) as session:
                    assert_whole_batches(session.rules())
                reads += 1
            time.sleep(0.01)
        outputs = [w.communicate(timeout=max(1, deadline - time.monotonic())) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    for w, (out, err) in zip(writers, outputs):
        assert w.returncode == 0, err
    expected = {key for out, _ in outputs for key in json.loads(out)}
    engine = wfp.SimEngine(path)
    with wfp.Session(name="final", dynamic=False, backend=engine) as session:
        final = session.rules()
    assert_whole_batches(final)
    assert {str(r.key) for r in final} == expected
    assert reads > 0


def run_threads(target, count: int) -> list:
    errors: list = []

    def guarded(n: int) -> None:
        try:
            target(n)
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(n,), daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLOCK_SECONDS)
    assert not any(t.is_alive() for t in threads), "deadlock: threads still running"
    return errors


def test_threads_share_one_session() -> None:
    engine = wfp.SimEngine()
    with wfp.Session(name="shared", backend=engine, txn_timeout_ms=30000) as session:
        kept: dict = {}

        def work(n: int) -> None:
            mine = []
            for i in range(60):
                rule = wfp.Rule(name=f"t{n} r{i}", layer=V4, action=wfp.Action.BLOCK,
                                conditions=[wfp.Field.IP_REMOTE_PORT == i])
                rule_id = session.add_rule(rule)
                mine.append((rule.key, rule_id))
                if i % 4 == 3:
                    session.delete_rule(mine.pop(0)[1])
                if i % 10 == 0:
                    listed = session.rules(layer=V4)
                    assert len({r.id for r in listed}) == len(listed)
                    assert session.rule(rule_id).key == rule.key
                if i % 15 == 0:
                    session.add_rules([wfp.Rule(name=f"t{n} bulk{i} {j}", layer=V4,
                                                action=wfp.Action.PERMIT) for j in range(5)])
            kept[n] = mine

        errors = run_threads(work, 4)
        assert not errors, errors
        rules = session.rules()
        expected = {key for mine in kept.values() for key, _ in mine}
        assert {r.key for r in rules if " bulk" not in r.name} == expected
        assert sum(" bulk" in r.name for r in rules) == 4 * 4 * 5
        assert len({r.id for r in rules}) == len(rules)


def test_sessions_share_one_engine_with_transactions() -> None:
    engine = wfp.SimEngine()
    with wfp.Session(name="observer", backend=engine, txn_timeout_ms=30000) as observer:
        def work(n: int) -> None:
            with wfp.Session(name=f"s{n}", dynamic=False, backend=engine,
                             txn_timeout_ms=30000) as session:
                for batch in range(BATCHES):
                    with session.transaction():
                        for i in range(10):
                            session.add_rule(wfp.Rule(
                                key=uuid.uuid5(uuid.NAMESPACE_OID, f"{n}/{batch}/{i}"),
                                name=f"batch {n}/{batch} {i}/10", layer=V4,
                                action=wfp.Action.BLOCK))
                    if batch % 4 == 1:
                        with pytest.raises(RuntimeError), session.transaction():
                            session.add_rule(wfp.Rule(name=f"batch {n}/x{batch} 0/1",
                                                      layer=V4, action=wfp.Action.BLOCK))
                            raise RuntimeError("abort")
                    with session.transaction(read_only=True):
                        assert_whole_batches(session.rules())
                    assert_whole_batches(observer.rules())

        errors = run_threads(work, 3)
        assert not errors, errors
        rules = observer.rules()
        assert_whole_batches(rules)
        assert len(rules) == 3 * BATCHES * 10


def test_waiter_times_out_with_wfp_timeout() -> None:
    engine = wfp.SimEngine()
    with wfp.Session(name="holder", backend=engine) as holder, \
            wfp.Session(name="waiter", backend=engine, txn_timeout_ms=200) as waiter:
        rule = wfp.Rule(name="late", layer=V4, action=wfp.Action.BLOCK)
        with holder.transaction():
            started = time.monotonic()
            with pytest.raises(wfp.Timeout) as caught:
                waiter.add_rule(rule)
            waited = time.monotonic() - started
            assert caught.value.name == "FWP_E_TIMEOUT"
            assert isinstance(caught.value, TimeoutError)
            assert 0.15 <= waited < 10
            with pytest.raises(wfp.Timeout):
                with waiter.transaction():
                    pass
            assert not waiter.in_transaction
        waiter.add_rule(rule)  # the lock is free again
        assert holder.rule(rule.key) is not None


def test_waiter_in_another_process_times_out(tmp_path: Path) -> None:
    path = tmp_path / "state.wfp"
    engine = wfp.SimEngine(path)
    script = (
        "import sys, time, wfp\n"
        "engine = wfp.SimEngine(sys.argv[1])\n"
        "s = wfp.Session(name='waiter', dynamic=False, backend=engine, txn_timeout_ms=300)\n"
        "t = time.monotonic()\n"
        "try:\n"
        "    s.add_rule(wfp.Rule(name='w', layer=wfp.Layer.ALE_AUTH_CONNECT_V4,\n"
        "                        action=wfp.Action.BLOCK))\n"
        "except wfp.Timeout as e:\n"
        "    print('timeout', e.name, round(time.monotonic() - t, 2))\n"
        "else:\n"
        "    print('added')\n")
    with wfp.Session(name="holder", dynamic=False, backend=engine) as holder:
        with holder.transaction():
            holder.add_rule(wfp.Rule(name="held", layer=V4, action=wfp.Action.BLOCK))
            run = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                                 text=True, env=writer_env(), timeout=DEADLOCK_SECONDS)
        assert run.returncode == 0, run.stderr
        word, name, waited = run.stdout.split()
        assert (word, name) == ("timeout", "FWP_E_TIMEOUT")
        assert 0.25 <= float(waited) < 10
        run = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                             text=True, env=writer_env(), timeout=DEADLOCK_SECONDS)
        assert run.stdout.strip() == "added", run.stderr
        assert {r.name for r in holder.rules()} == {"held", "w"}
