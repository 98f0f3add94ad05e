"""The Python API measured the way the C floor and ctypes baselines are: one process, one N.

    python benchmarks/python_api.py N [--backend sim|fwpuclnt]     # prints one JSON line
    python benchmarks/python_api.py N --classify LOOKUPS            # classify decisions/s

Rules are built as wfp.Rule objects before the clock starts (the C floor's structs are prebuilt
too); add is one Session.add_rules call, enumeration is Session.rules() into Rule objects.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _resources import current_rss_bytes, peak_rss_bytes, timed  # noqa: E402
from _rules import BENCH_PROVIDER, add_bench_provider, api_rules, import_wfp, rule_specs  # noqa: E402


def open_session(backend: str) -> tuple[Any, Optional[Any]]:
    """A session on a fresh embedded engine (or on fwpuclnt), and the engine if it is one."""
    wfp = import_wfp()

    if backend == "sim":
        engine = wfp.SimEngine()
        return wfp.Session(name="wfpkit benchmark", backend=engine), engine
    return wfp.Session(name="wfpkit benchmark", backend=backend), None


def engine_stats(engine: Optional[Any]) -> dict:
    """wfp_sim_engine_stats of the engine, or {} for a backend without them."""
    if engine is None:
        return {}
    return dict(engine.stats())


def enumerate_rules(session) -> list:
    wfp = import_wfp()

    return list(session.rules(layer=wfp.Layer.ALE_AUTH_CONNECT_V4, provider=BENCH_PROVIDER))


def run(n: int, backend: str = "sim") -> dict:
    rules = api_rules(rule_specs(n))
    session, engine = open_session(backend)
    try:
        add_bench_provider(session)
        result: dict = {"impl": "python", "backend": session.backend, "n": n,
                        "rss_input_bytes": current_rss_bytes()}
        before = engine_stats(engine)
        with timed(result, "add"):
            ids = session.add_rules(rules)
        after = engine_stats(engine)
        result["rss_after_add_bytes"] = current_rss_bytes()
        result["peak_rss_add_bytes"] = peak_rss_bytes()
        with timed(result, "enum"):
            read_back = enumerate_rules(session)
        result["rss_after_enum_bytes"] = current_rss_bytes()
        if len(ids) != n or len(read_back) != n:
            raise RuntimeError(f"python api: added {len(ids)}, enumerated {len(read_back)}, wanted {n}")
        result["peak_rss_bytes"] = peak_rss_bytes()
        if after:
            result.update(heap_bytes=after["heap_bytes"],
                          engine_bytes_added=after["heap_bytes"] - before["heap_bytes"],
                          filters_in_engine=after["filters"])
        return result
    finally:
        session.close()


def classify_lookups(specs: list, count: int, seed: int) -> list:
    """count lookups, each the values of a random rule of specs (so a rule decides each)."""
    wfp = import_wfp()
    picker = random.Random(seed)
    chosen = [specs[picker.randrange(len(specs))] for _ in range(count)]
    return [(spec, {wfp.Field.IP_REMOTE_ADDRESS: spec.remote_address,
                    wfp.Field.IP_REMOTE_PORT: spec.remote_port,
                    wfp.Field.IP_PROTOCOL: spec.protocol}) for spec in chosen]


def run_classify(n: int, lookups: int = 2_000, backend: str = "sim") -> dict:
    """Decisions per second of Session.classify (called as a user calls it) with n filters."""
    wfp = import_wfp()
    specs = rule_specs(n)
    session, _ = open_session(backend)
    try:
        add_bench_provider(session)
        session.add_rules(api_rules(specs))
        queries = classify_lookups(specs, lookups, seed=n)
        layer = wfp.Layer.ALE_AUTH_CONNECT_V4
        result: dict = {"impl": "python", "op": "classify", "n": n, "lookups": lookups}
        with timed(result, "classify"):
            decisions = [session.classify(layer, values) for _, values in queries]
        for (spec, _), decision in zip(queries, decisions):
            if decision.rule is None or decision.rule.name != spec.name:
                raise RuntimeError(f"classify: {spec.name} was decided by {decision.rule}")
        return result
    finally:
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--backend", default="sim")
    parser.add_argument("--classify", type=int, metavar="LOOKUPS",
                        help="measure LOOKUPS Session.classify calls against n filters instead")
    args = parser.parse_args()
    if args.classify:
        print(json.dumps(run_classify(args.n, args.classify, args.backend)))
    else:
        print(json.dumps(run(args.n, args.backend)))


if __name__ == "__main__":
    main()
