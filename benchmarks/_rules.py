"""The one rule set every benchmark loads, so the C floor, ctypes and the Python API do the same work.

Rule i: name "bench rule <i>", at ALE_AUTH_CONNECT_V4 in the benchmark's sublayer, with three
conditions: remote address 10.0.0.0 + i, remote port 1 + i % 65535, protocol TCP (even i) or UDP
(odd i); even rules block, odd rules permit; automatic weight.  benchmarks/c_floor.c builds the
same structs in C (keep the two in step).
"""
from __future__ import annotations

import importlib
import ipaddress
import os
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

BENCH_PROVIDER = uuid.UUID("6b1f3c2a-41d7-4f0e-9a51-2c7e10b43d01")
BENCH_SUBLAYER = uuid.UUID("6b1f3c2a-41d7-4f0e-9a51-2c7e10b43d02")
FIRST_ADDRESS = int(ipaddress.IPv4Address("10.0.0.0"))
TCP, UDP = 6, 17

SIZES_FULL = (1_000, 10_000, 100_000, 1_000_000)
SIZES_DEFAULT = (1_000, 10_000, 100_000)
SIZES_QUICK = (1_000, 10_000)
CLASSIFY_SIZES = (100, 10_000, 100_000)
CLASSIFY_SIZES_QUICK = (100, 10_000)


class RuleSpec(NamedTuple):
    """What a user's own code would hold before talking to WFP: plain Python values."""

    name: str
    remote_address: ipaddress.IPv4Address
    remote_port: int
    protocol: int
    permit: bool


def rule_spec(index: int) -> RuleSpec:
    return RuleSpec(
        name=f"bench rule {index}",
        remote_address=ipaddress.IPv4Address(FIRST_ADDRESS + index),
        remote_port=1 + index % 65535,
        protocol=UDP if index % 2 else TCP,
        permit=bool(index % 2),
    )


def rule_specs(n: int) -> list[RuleSpec]:
    return [rule_spec(i) for i in range(n)]


def import_wfp() -> ModuleType:
    """The installed wfp package, or else this tree's (built in place with build_ext --inplace)."""
    try:
        return importlib.import_module("wfp")
    except ImportError:
        root = str(Path(__file__).resolve().parent.parent)
        if root in sys.path:
            raise
        sys.path.insert(0, root)
        return importlib.import_module("wfp")


def api_rules(specs: list[RuleSpec]) -> list:
    """The specs as wfp.Rule objects, built the way a user of the library writes them."""
    wfp = import_wfp()

    layer = wfp.Layer.ALE_AUTH_CONNECT_V4
    address, port, protocol = wfp.Field.IP_REMOTE_ADDRESS, wfp.Field.IP_REMOTE_PORT, wfp.Field.IP_PROTOCOL
    permit, block = wfp.Action.PERMIT, wfp.Action.BLOCK
    return [
        wfp.Rule(name=spec.name, layer=layer, sublayer=BENCH_SUBLAYER, provider=BENCH_PROVIDER,
                 action=permit if spec.permit else block,
                 conditions=[address == spec.remote_address, port == spec.remote_port,
                             protocol == spec.protocol])
        for spec in specs
    ]


def add_bench_provider(session) -> None:
    """The provider and sublayer every benchmark rule lives in."""
    wfp = import_wfp()

    session.add_provider(wfp.Provider(key=BENCH_PROVIDER, name="wfpkit benchmark"))
    session.add_sublayer(wfp.Sublayer(key=BENCH_SUBLAYER, name="wfpkit benchmark", weight=0x8000,
                                      provider=BENCH_PROVIDER))


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def quick_mode() -> bool:
    """WFP_BENCH_QUICK=1: the smallest sizes and one round, for CI."""
    return _env_flag("WFP_BENCH_QUICK")


def full_mode() -> bool:
    """WFP_BENCH_FULL=1 (or pytest --full): include 1M rules."""
    return _env_flag("WFP_BENCH_FULL")
