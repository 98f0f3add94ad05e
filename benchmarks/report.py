"""One run, one table: the C floor, the Python API and the ctypes baseline at each N.

    python benchmarks/report.py                 # N = 1k, 10k, 100k
    python benchmarks/report.py --full          # and 1M
    python benchmarks/report.py --quick         # N = 1k, 10k, one repeat (a smoke run)

Every measurement runs in its own process (so peak RSS belongs to one N and one implementation),
the three implementations interleaved repeat by repeat so machine noise hits them alike; the
best time of the repeats counts.  Prints a Markdown table with rules/s, the ratios Python/C floor
(how many times slower than the floor) and ctypes/Python (how many times faster than ctypes), peak
RSS and engine bytes per filter, checks issue 6's targets, and writes benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import _build  # noqa: E402
import _rules  # noqa: E402
from _resources import machine_description  # noqa: E402

IMPLEMENTATIONS = ("c_floor", "python", "ctypes")
MIB = 1024 * 1024
GIB = 1024 * MIB

# Issue 6's targets.
TARGET_ADD_VS_FLOOR = 3.0
TARGET_ADD_VS_CTYPES = 20.0
TARGET_ENUM_VS_FLOOR = 4.0
TARGET_ENUM_RATE = 500_000
TARGET_GROWTH = 1.5
TARGET_BYTES_PER_FILTER = 256
TARGET_PEAK_RSS_1M = 2 * GIB


@dataclass
class Measurement:
    """The best of the repeats of one implementation at one N."""

    impl: str
    n: int
    add_s: float = float("inf")
    enum_s: float = float("inf")
    peak_rss_bytes: int = 0
    engine_bytes_added: Optional[int] = None
    name_bytes: Optional[int] = None
    runs: int = 0
    error: Optional[str] = None
    samples: list = field(default_factory=list)

    def record(self, result: dict, clock: str) -> None:
        """Keeps the best time of the clock in use ("cpu" or "wall"); samples keep both."""
        suffix = "_cpu_s" if clock == "cpu" else "_s"
        self.runs += 1
        self.samples.append({key: result[key] for key in
                             ("add_s", "enum_s", "add_cpu_s", "enum_cpu_s") if key in result})
        self.add_s = min(self.add_s, result["add" + suffix])
        self.enum_s = min(self.enum_s, result["enum" + suffix])
        self.peak_rss_bytes = max(self.peak_rss_bytes, result.get("peak_rss_bytes", 0))
        if result.get("engine_bytes_added") is not None:
            self.engine_bytes_added = result["engine_bytes_added"]
        if result.get("name_bytes") is not None:
            self.name_bytes = result["name_bytes"]

    @property
    def ok(self) -> bool:
        return self.runs > 0

    def add_rate(self) -> float:
        return self.n / self.add_s

    def enum_rate(self) -> float:
        return self.n / self.enum_s


def command_for(impl: str, n: int, backend: str) -> list[str]:
    if impl == "c_floor":
        return [str(_build.build_c_floor()), str(n), "--backend", backend]
    if impl == "python":
        return [sys.executable, str(BENCH_DIR / "python_api.py"), str(n), "--backend", backend]
    return [sys.executable, str(BENCH_DIR / "ctypes_baseline.py"), str(n)]


def run_once(impl: str, n: int, backend: str, timeout: float) -> dict:
    completed = subprocess.run(command_for(impl, n, backend), capture_output=True, text=True,
                               timeout=timeout)
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip().splitlines()
        raise RuntimeError(output[-1] if output else f"exit status {completed.returncode}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def repeats_for(n: int, requested: Optional[int], quick: bool) -> int:
    if requested:
        return requested
    if quick:
        return 1
    return 5 if n <= 10_000 else 3 if n <= 100_000 else 2


def measure(sizes: list[int], implementations: list[str], backend: str, repeat: Optional[int],
            quick: bool, ctypes_max: int, clock: str, log) -> dict[tuple[str, int], Measurement]:
    results = {(impl, n): Measurement(impl, n) for n in sizes for impl in implementations}
    for n in sizes:
        for attempt in range(repeats_for(n, repeat, quick)):
            for impl in implementations:
                m = results[(impl, n)]
                if m.error or (impl == "ctypes" and n > ctypes_max):
                    continue
                started = time.perf_counter()
                try:
                    m.record(run_once(impl, n, backend, timeout=3600), clock)
                except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
                    m.error = str(exc)
                    log(f"  {impl:8} n={n:>9,}: FAILED {exc}")
                    continue
                sample = m.samples[-1]
                log(f"  {impl:8} n={n:>9,} run {attempt + 1}: add {sample['add_s']:.4f}s "
                    f"(cpu {sample.get('add_cpu_s', 0):.4f}s) enum {sample['enum_s']:.4f}s "
                    f"(cpu {sample.get('enum_cpu_s', 0):.4f}s) [{time.perf_counter() - started:.1f}s]")
    return results


CLASSIFY_LOOKUPS = 2_000


def measure_classify(sizes: list[int], backend: str, repeats: int, clock: str, log) -> dict[int, float]:
    """Best seconds per decision of Session.classify at each filter count (absent on failure)."""
    key = "classify_cpu_s" if clock == "cpu" else "classify_s"
    best: dict[int, float] = {}
    for n in sizes:
        for _ in range(repeats):
            command = [sys.executable, str(BENCH_DIR / "python_api.py"), str(n), "--backend", backend,
                       "--classify", str(CLASSIFY_LOOKUPS)]
            completed = subprocess.run(command, capture_output=True, text=True, timeout=3600)
            if completed.returncode != 0:
                lines = (completed.stderr or completed.stdout).strip().splitlines()
                log(f"  classify filters={n:,}: FAILED {lines[-1] if lines else completed.returncode}")
                break
            per_decision = json.loads(completed.stdout.strip().splitlines()[-1])[key] / CLASSIFY_LOOKUPS
            best[n] = min(best.get(n, float("inf")), per_decision)
            log(f"  classify filters={n:>9,}: {1 / per_decision:,.0f} decisions/s")
    return best


def classify_table(best: dict[int, float]) -> list[str]:
    if not best:
        return []
    base = best.get(min(best))
    lines = ["| filters | decisions/s | time per decision vs the smallest |", "|---|---|---|"]
    for n, seconds in sorted(best.items()):
        lines.append(f"| {_size(n)} | {_rate(1 / seconds)} | {seconds / base:.2f}x |")
    return lines


def _rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def _ratio(numerator: Optional[float], denominator: Optional[float]) -> str:
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator / denominator:.1f}x"


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k" if n >= 1000 else str(n)


def engine_bytes_per_filter(m: Optional[Measurement]) -> tuple[Optional[float], Optional[float]]:
    """(all engine bytes per filter, the same less the UTF-16 name payload)."""
    if m is None or not m.ok or m.engine_bytes_added is None:
        return None, None
    gross = m.engine_bytes_added / m.n
    names = (m.name_bytes or 0) / m.n
    return gross, gross - names


def build_table(results: dict, sizes: list[int]) -> list[str]:
    def get(impl: str, n: int) -> Optional[Measurement]:
        m = results.get((impl, n))
        return m if m is not None and m.ok else None

    header = ("| N | add: C floor | add: Python | add: ctypes | Python/C | ctypes/Python "
              "| enum: C floor | enum: Python | enum: ctypes | Python/C | ctypes/Python "
              "| peak RSS C / Py / ctypes (MiB) | engine B/filter (excl. names) |")
    lines = [header, "|" + "---|" * header.count(" |")]
    for n in sizes:
        c, py, ct = get("c_floor", n), get("python", n), get("ctypes", n)
        gross, net = engine_bytes_per_filter(c or py)

        def rate(m, attr):
            return _rate(getattr(m, attr)()) if m else "n/a"

        def secs(m, attr):
            return getattr(m, attr) if m else None

        rss = " / ".join(f"{m.peak_rss_bytes / MIB:.0f}" if m else "n/a" for m in (c, py, ct))
        lines.append(
            f"| {_size(n)} | {rate(c, 'add_rate')} | {rate(py, 'add_rate')} | {rate(ct, 'add_rate')} "
            f"| {_ratio(secs(py, 'add_s'), secs(c, 'add_s'))} "
            f"| {_ratio(secs(ct, 'add_s'), secs(py, 'add_s'))} "
            f"| {rate(c, 'enum_rate')} | {rate(py, 'enum_rate')} | {rate(ct, 'enum_rate')} "
            f"| {_ratio(secs(py, 'enum_s'), secs(c, 'enum_s'))} "
            f"| {_ratio(secs(ct, 'enum_s'), secs(py, 'enum_s'))} "
            f"| {rss} | {f'{gross:.0f} ({net:.0f})' if gross is not None else 'n/a'} |")
    return lines


def check_targets(results: dict, sizes: list[int]) -> list[str]:
    """One line per target of issue 6: measured value, target, met or not (or not measured)."""
    def get(impl: str, n: int) -> Optional[Measurement]:
        m = results.get((impl, n))
        return m if m is not None and m.ok else None

    lines = []

    def verdict(name: str, value: Optional[float], target: str, met: Optional[bool]) -> None:
        if value is None:
            lines.append(f"- {name}: not measured in this run (target {target})")
        else:
            lines.append(f"- {name}: **{value:.2f}** (target {target}) {'MET' if met else 'NOT MET'}")

    c, py, ct = get("c_floor", 100_000), get("python", 100_000), get("ctypes", 100_000)
    value = py.add_s / c.add_s if py and c else None
    verdict("add_rules at 100k, Python/C floor time", value, f"<= {TARGET_ADD_VS_FLOOR}",
            value is not None and value <= TARGET_ADD_VS_FLOOR)
    value = ct.add_s / py.add_s if py and ct else None
    verdict("add_rules at 100k, ctypes/Python time", value, f">= {TARGET_ADD_VS_CTYPES}",
            value is not None and value >= TARGET_ADD_VS_CTYPES)
    value = py.enum_s / c.enum_s if py and c else None
    verdict("enumerate at 100k, Python/C floor time", value, f"<= {TARGET_ENUM_VS_FLOOR}",
            value is not None and value <= TARGET_ENUM_VS_FLOOR)
    value = py.enum_rate() / 1000 if py else None
    verdict("enumerate at 100k, Python k rules/s", value, f">= {TARGET_ENUM_RATE // 1000}",
            value is not None and value * 1000 >= TARGET_ENUM_RATE)
    small, big = get("python", 10_000), get("python", 1_000_000)
    for op in ("add", "enum"):
        value = None
        if small and big:
            value = (getattr(big, f"{op}_s") / big.n) / (getattr(small, f"{op}_s") / small.n)
        verdict(f"growth ({op}), Python time per rule at 1M / at 10k", value, f"<= {TARGET_GROWTH}",
                value is not None and value <= TARGET_GROWTH)
    largest = max((n for n in sizes if get("c_floor", n) or get("python", n)), default=None)
    net = engine_bytes_per_filter(get("c_floor", largest) or get("python", largest))[1] if largest else None
    verdict(f"engine bytes per filter, 3 conditions, names excluded (N={_size(largest or 0)})", net,
            f"<= {TARGET_BYTES_PER_FILTER}", net is not None and net <= TARGET_BYTES_PER_FILTER)
    value = big.peak_rss_bytes / GIB if big else None
    verdict("peak RSS, Python, 1M rules added and enumerated (GiB)", value, "< 2",
            value is not None and big.peak_rss_bytes < TARGET_PEAK_RSS_1M)
    return lines


def stale_extension_note() -> Optional[str]:
    """A warning when the compiled wfp._core is older than the C or Cython it is built from:
    the Python API would then run a different engine than the C floor and ctypes."""
    try:
        core = importlib.import_module("wfp._core") if _rules.import_wfp() else None
    except ImportError as exc:
        return f"wfp could not be imported: {exc}"
    built = Path(core.__file__).stat().st_mtime
    root = BENCH_DIR.parent
    sources = [*root.glob("src/core/*.c"), *root.glob("src/sim/*.[ch]"), *root.glob("include/wfp/*.h"),
               root / "wfp" / "_core.pyx"]
    newer = sorted(str(p.relative_to(root)) for p in sources if p.exists() and p.stat().st_mtime > built)
    if not newer:
        return None
    return (f"{core.__file__} is older than {', '.join(newer[:5])}{' ...' if len(newer) > 5 else ''}: "
            "rebuild it (pip install -e . or setup.py build_ext --inplace) so all three measure one engine")


def render(results: dict, sizes: list[int], machine: dict, command: str, backend: str,
           clock: str, classify: dict[int, float]) -> str:
    out = [
        "# Benchmark results",
        "",
        f"Measured {machine['date']} on {machine['cpu']} ({machine['cores']} cores), "
        f"{machine['os']}, {machine['implementation']} {machine['python']}, backend `{backend}`.",
        "",
        f"Rules/s is N divided by the best {'process CPU' if clock == 'cpu' else 'wall-clock'} time "
        "of the repeats; every cell ran in its own process.",
        "Python/C is how many times slower the Python API is than the C floor; ctypes/Python is how",
        "many times faster the Python API is than the ctypes baseline. Engine bytes per filter are",
        "wfp_sim_engine_stats heap bytes added by the N filters, divided by N (in brackets: less",
        "the UTF-16 names).",
        "",
        *build_table(results, sizes),
        "",
        *([f"Classify through the Python API (`Session.classify`, as a user calls it, {CLASSIFY_LOOKUPS} "
           "lookups of random rules' values):", "", *classify_table(classify), ""] if classify else []),
        "Targets (issue 6):",
        "",
        *check_targets(results, sizes),
        "",
    ]
    failed = [m for m in results.values() if m.error]
    if failed:
        out += ["Failed measurements:", ""]
        out += [f"- {m.impl} at N={_size(m.n)}: {m.error}" for m in failed]
        out.append("")
    out += [
        "Reproduce (from the repository root, after `pip install -e '.[test,bench]'`, with gcc):",
        "",
        "```sh",
        command,
        "```",
        "",
        "`benchmarks/README.md` describes what each implementation does.",
        "",
    ]
    return "\n".join(out)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="include 1M rules")
    mode.add_argument("--quick", action="store_true", help="N = 1k and 10k, one repeat")
    parser.add_argument("--sizes", help="comma-separated N values (overrides the mode)")
    parser.add_argument("--repeat", type=int, help="repeats per N (default 5 / 3 / 2 by size)")
    parser.add_argument("--ctypes-max", type=int, default=1_000_000,
                        help="largest N for the ctypes baseline (it is slow)")
    parser.add_argument("--only", help="comma-separated implementations (c_floor,python,ctypes)")
    parser.add_argument("--backend", default="sim", help="sim, or fwpuclnt on Windows")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="process CPU time (default: steadier on a shared machine) or wall time")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md",
                        help="Markdown file to write ('-' for none)")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    parser.add_argument("--no-classify", action="store_true", help="skip the classify table")
    args = parser.parse_args(argv)

    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    elif args.quick:
        sizes = list(_rules.SIZES_QUICK)
    else:
        sizes = list(_rules.SIZES_FULL if args.full else _rules.SIZES_DEFAULT)
    implementations = args.only.split(",") if args.only else list(IMPLEMENTATIONS)
    if args.backend != "sim" and "ctypes" in implementations:
        implementations.remove("ctypes")  # the ctypes baseline drives the embedded engine only

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    stale = stale_extension_note() if "python" in implementations else None
    if stale:
        log(f"WARNING: {stale}")
    log("building the C floor and the engine library ...")
    _build.build_c_floor()
    _build.build_engine_library()
    results = measure(sizes, implementations, args.backend, args.repeat, args.quick,
                      args.ctypes_max, args.clock, log)
    classify: dict[int, float] = {}
    if "python" in implementations and not args.no_classify:
        classify_sizes = list(_rules.CLASSIFY_SIZES_QUICK if args.quick else _rules.CLASSIFY_SIZES)
        classify = measure_classify(classify_sizes, args.backend, 1 if args.quick else 3, args.clock, log)
    machine = machine_description()
    given = list(argv if argv is not None else sys.argv[1:])
    if "--json" in given:  # where this run kept its samples is no part of reproducing it
        at = given.index("--json")
        del given[at:at + 2]
    command = " ".join(["python benchmarks/report.py", *given])
    text = render(results, sizes, machine, command.strip(), args.backend, args.clock, classify)
    if stale:
        text += f"\nWARNING: {stale}\n"
    print(text)
    if str(args.output) != "-":
        args.output.write_text(text, encoding="utf-8")
        log(f"wrote {args.output}")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": machine,
            "results": [vars(m) for m in results.values()],
            "classify_seconds_per_decision": classify,
        }, indent=1, default=str), encoding="utf-8")
    log(f"done in {time.perf_counter() - started:.0f}s")
    return 1 if any(m.error for m in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
