"""A writer process for the crash-safety and concurrency tests (run as a script).

    python state_writer.py replace STATE_PATH RULES            # crash-safety writer
    python state_writer.py batches STATE_PATH WRITER BATCHES SIZE   # concurrency writer

``replace``: forever, replace the whole rule set of the "crash" provider by a new generation of
RULES rules in one transaction, printing "committed <generation>" after each commit; the test
kills it with SIGKILL at a random moment.

``batches``: add BATCHES batches of SIZE rules (one transaction each), deleting every third
batch again, and print the keys of the batches that should remain as JSON at the end.
"""

from __future__ import annotations

import json
import sys
import uuid

import wfp

CRASH_PROVIDER = uuid.UUID("c4a5f0e1-0000-4000-8000-00000000c0de")
NAMESPACE = uuid.UUID("c4a5f0e1-0000-4000-8000-00000000feed")


def generation_rules(generation: int, count: int) -> list[wfp.Rule]:
    layers = (wfp.Layer.ALE_AUTH_CONNECT_V4, wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4)
    return [wfp.Rule(key=uuid.uuid5(NAMESPACE, f"{generation}/{i}"), name=f"gen {generation} #{i}",
                     layer=layers[i % 2], action=wfp.Action.BLOCK, provider=CRASH_PROVIDER,
                     persistent=True, weight=i,
                     conditions=[wfp.Field.IP_REMOTE_PORT == i % 65536,
                                 wfp.Field.IP_REMOTE_ADDRESS == f"10.{generation % 256}.{i // 256 % 256}.{i % 256}"])
            for i in range(count)]


def generation_of(rule: wfp.Rule) -> int:
    return int(rule.name.split()[1])


def replace_forever(path: str, count: int) -> None:
    engine = wfp.SimEngine(path)
    with wfp.Session(name="crash writer", dynamic=False, backend=engine,
                     txn_timeout_ms=60000) as session:
        if not any(p.key == CRASH_PROVIDER for p in session.providers()):
            session.add_provider(wfp.Provider(key=CRASH_PROVIDER, name="crash", persistent=True))
        current = session.rules(provider=CRASH_PROVIDER)
        generation = max((generation_of(r) for r in current), default=0)
        while True:
            generation += 1
            new_rules = generation_rules(generation, count)
            with session.transaction():
                session.delete_rules([r.id for r in session.rules(provider=CRASH_PROVIDER)])
                session.add_rules(new_rules)
            print(f"committed {generation}", flush=True)


def add_batches(path: str, writer: str, batches: int, size: int) -> None:
    engine = wfp.SimEngine(path)
    kept = []
    with wfp.Session(name=f"writer {writer}", dynamic=False, backend=engine,
                     txn_timeout_ms=60000) as session:
        for batch in range(batches):
            rules = [wfp.Rule(key=uuid.uuid5(NAMESPACE, f"{writer}/{batch}/{i}"),
                              name=f"batch {writer}/{batch} {i}/{size}",
                              layer=wfp.Layer.ALE_AUTH_CONNECT_V4, action=wfp.Action.PERMIT,
                              persistent=bool(batch % 2), weight=batch)
                     for i in range(size)]
            ids = session.add_rules(rules)
            if batch % 3 == 2:
                with session.transaction():
                    session.delete_rules(ids)
            else:
                kept.extend(str(r.key) for r in rules)
            # Read through the same engine while others write: the view must be whole batches.
            session.rules(layer=wfp.Layer.ALE_AUTH_CONNECT_V4)
    print(json.dumps(kept), flush=True)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "replace":
        replace_forever(sys.argv[2], int(sys.argv[3]))
    elif command == "batches":
        add_batches(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit(f"unknown command {command!r}")
