"""The Python API measured the way the C floor and ctypes baselines are: one process, one N.

    python benchmarks/python_api.py N [--backend sim|fwpuclnt]     # prints one JSON line

Rules are built as wfp.Rule objects before the clock starts (the C floor's structs are prebuilt
too); add is one Session.add_rules call, enumeration is Session.rules() into Rule objects.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _resources import peak_rss_bytes, timed  # noqa: E402
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
        result: dict = {"impl": "python", "backend": session.backend, "n": n}
        before = engine_stats(engine)
        with timed(result, "add"):
            ids = session.add_rules(rules)
        after = engine_stats(engine)
        with timed(result, "enum"):
            read_back = enumerate_rules(session)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--backend", default="sim")
    args = parser.parse_args()
    print(json.dumps(run(args.n, args.backend)))


if __name__ == "__main__":
    main()
