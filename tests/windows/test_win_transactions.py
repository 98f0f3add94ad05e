"""Transactions on the real engine: rollback, misuse codes, and the lock timeout between sessions."""
import time
import uuid

import pytest

import wfp
from wfp import _core
from wfp.errors import error_name

from winhelpers import Objects


def block_rule(objects, port):
    return wfp.Rule(name=f"txn {port}", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                    action=wfp.Action.BLOCK, sublayer=objects.sublayer, provider=objects.provider,
                    conditions=[wfp.Field.IP_REMOTE_PORT == port])


def test_exception_in_transaction_rolls_everything_back(real, real_objects):
    kept = real.add_rule(block_rule(real_objects, 1001))
    doomed = block_rule(real_objects, 1002)
    with pytest.raises(RuntimeError):
        with real.transaction():
            real.add_rule(doomed)
            real.delete_rule(kept)
            raise RuntimeError("abort")
    assert real.rule(kept).id == kept
    with pytest.raises(wfp.FilterNotFound):
        real.rule(doomed.key)


def test_bulk_failure_leaves_nothing(real, real_objects):
    rules = [block_rule(real_objects, 2000 + i) for i in range(200)]
    bad = wfp.Rule(name="bad sublayer", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                   action=wfp.Action.BLOCK, sublayer=uuid.uuid4(), provider=real_objects.provider)
    with pytest.raises(wfp.BulkError) as caught:
        real.add_rules(rules[:150] + [bad] + rules[150:])
    assert caught.value.index == 150
    assert real.rules(provider=real_objects.provider) == []


def raw_code(call, *args) -> str:
    try:
        call(*args)
    except _core.CoreError as error:
        return error_name(error.code) or hex(error.code)
    return "OK"


def test_misuse_codes_match_the_embedded_engine(real, sim):
    outcomes = {}
    for label, session in (("BFE", real), ("embedded", sim)):
        core = session._core
        steps = [raw_code(core.txn_commit)]                 # no transaction
        steps.append(raw_code(core.txn_begin, False))
        steps.append(raw_code(core.txn_begin, False))       # nested
        steps.append(raw_code(core.txn_abort))
        steps.append(raw_code(core.txn_begin, True))        # read-only ...
        steps.append(raw_code(core.add_provider,            # ... then a write
                              (uuid.uuid4(), "ro", None, 0, None, None)))
        steps.append(raw_code(core.txn_abort))
        outcomes[label] = steps
    print(outcomes)
    assert outcomes["BFE"][1] == "OK" and outcomes["BFE"][3] == "OK"
    assert outcomes["BFE"] == outcomes["embedded"]


def test_a_competing_session_times_out_on_the_transaction_lock():
    with wfp.Session(name="holder", backend="fwpuclnt") as holder, \
            wfp.Session(name="waiter", backend="fwpuclnt", txn_timeout_ms=500) as waiter:
        objects = Objects(waiter)
        with holder.transaction():
            started = time.monotonic()
            with pytest.raises(wfp.Timeout) as caught:
                waiter.add_rule(block_rule(objects, 3001))
            waited = time.monotonic() - started
        assert caught.value.name == "FWP_E_TIMEOUT"
        assert 0.3 < waited < 10, waited
        # Once the holder commits, the waiter gets through.
        assert waiter.add_rule(block_rule(objects, 3002)) > 0
