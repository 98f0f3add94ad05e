"""What the fuzz harnesses share: a byte decoder and a runner with or without atheris.

Every harness is a script with ``test_one_input(data: bytes)`` that turns the bytes into calls
through a :class:`ByteSource` and raises when the library misbehaves.  Run as a script it fuzzes:

* with atheris installed, coverage-guided (libFuzzer's options apply: ``-max_total_time=60``,
  ``-runs=N``, corpus directories, ``-artifact_prefix=dir/``);
* without atheris (or with ``WFP_FUZZ_ENGINE=random``), with seeded random and mutated inputs
  under the same options, so a missing atheris never means no fuzzing.

A failing input is written as ``crash-<sha1>`` (to ``-artifact_prefix``) and the run exits
non-zero; copying that file into ``tests/fuzz/regressions/<harness>/`` makes it a regression test.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Sequence, TypeVar

T = TypeVar("T")


def atheris_module() -> Any:
    """atheris if it is installed and not switched off by WFP_FUZZ_ENGINE=random, else None."""
    if os.environ.get("WFP_FUZZ_ENGINE", "") == "random":
        return None
    try:
        import atheris  # noqa: PLC0415 - optional dependency
    except ImportError:
        return None
    return atheris


@contextlib.contextmanager
def instrumented(enabled: bool) -> Iterator[None]:
    """Instrument the modules imported inside the block for atheris' coverage feedback."""
    atheris = atheris_module() if enabled else None
    if atheris is None:
        yield
        return
    with atheris.instrument_imports(include=["wfp"]):
        yield


class ByteSource:
    """Deterministic decoding of fuzzer bytes into choices; exhausted input decodes as zeros."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, n: int) -> bytes:
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk

    def uint(self, nbytes: int) -> int:
        return int.from_bytes(self.take(nbytes).ljust(nbytes, b"\0"), "little")

    def int_in(self, low: int, high: int) -> int:
        """An int in [low, high]."""
        if high <= low:
            return low
        span = high - low + 1
        nbytes = max(1, (span.bit_length() + 7) // 8)
        return low + self.uint(nbytes) % span

    def boolean(self) -> bool:
        return bool(self.uint(1) & 1)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.int_in(0, len(options) - 1)]

    def blob(self, max_len: int) -> bytes:
        return self.take(self.int_in(0, max_len))

    def text(self, max_len: int) -> str:
        """Text from a mix of ASCII, BMP, astral code points, surrogates and NUL."""
        chars = []
        for _ in range(self.int_in(0, max_len)):
            kind = self.int_in(0, 7)
            if kind < 4:
                chars.append(chr(self.int_in(0x20, 0x7E)))
            elif kind == 4:
                chars.append(chr(self.int_in(0, 0xFFFF)))
            elif kind == 5:
                chars.append(chr(self.int_in(0x10000, 0x10FFFF)))
            elif kind == 6:
                chars.append(chr(self.int_in(0xD800, 0xDFFF)))
            else:
                chars.append(self.choice(["\0", ".", "/", ":", "-", "0", "f", " ", "\n"]))
        return "".join(chars)

    def interesting_int(self) -> int:
        """Boundaries of every integer width, signed and unsigned, and small or huge values."""
        base = self.choice([0, 1, 15, 16, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**32 - 1,
                            2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**128, 10**40])
        value = base + self.int_in(-2, 2)
        return -value if self.boolean() else value


class KnownOpenBug:
    """A failure already reported to its owner and pinned by a strict-xfail regression test in
    tests/fuzz/test_fuzz_regressions.py; the harnesses step over it so fuzzing can look for
    others.  Remove the entry when the fix lands (the xfail test then starts failing: XPASS)."""

    def __init__(self, ident: str, exc_type: Any, message: str, note: str,
                 raised_in: str = "") -> None:
        self.ident, self.exc_type, self.message, self.note = ident, exc_type, message, note
        self.raised_in = raised_in

    def matches(self, error: BaseException) -> bool:
        if not isinstance(error, self.exc_type) or re.search(self.message, str(error)) is None:
            return False
        if not self.raised_in:
            return True
        frames = traceback.extract_tb(error.__traceback__)
        return any(self.raised_in in f"{frame.filename}:{frame.name}" for frame in frames)


KNOWN_OPEN_BUGS: List[KnownOpenBug] = []


def known_open_bug(error: BaseException) -> Optional[KnownOpenBug]:
    """The KNOWN_OPEN_BUGS entry this error is, if any."""
    return next((bug for bug in KNOWN_OPEN_BUGS if bug.matches(error)), None)


def _parse_options(argv: Sequence[str]) -> tuple[dict, List[str]]:
    options, paths = {}, []
    for arg in argv:
        if arg.startswith("-") and "=" in arg:
            name, value = arg.lstrip("-").split("=", 1)
            options[name] = value
        elif not arg.startswith("-"):
            paths.append(arg)
    return options, paths


def _corpus(paths: Sequence[str]) -> List[bytes]:
    inputs = []
    for path in map(Path, paths):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        inputs.extend(p.read_bytes() for p in files if p.exists())
    return inputs


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(4)
        if op == 0 and buf:
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        elif op == 1:
            at = rng.randint(0, len(buf))
            buf[at:at] = rng.randbytes(rng.randint(1, 16))
        elif op == 2 and buf:
            at = rng.randrange(len(buf))
            del buf[at:at + rng.randint(1, 16)]
        elif buf:
            at = rng.randrange(len(buf))
            buf[at] = rng.choice([0, 0xFF, 0x7F, 0x80, ord("\""), ord("["), ord("\n")])
    return bytes(buf)


def _random_fuzz(test_one_input: Callable[[bytes], None], argv: Sequence[str]) -> None:
    options, paths = _parse_options(argv)
    budget = float(options.get("max_total_time", 10))
    max_runs = int(options.get("runs", -1))
    seed = int(options.get("seed", time.time_ns() % 2**32))
    prefix = options.get("artifact_prefix", "./")
    rng = random.Random(seed)
    corpus = _corpus(paths)
    print(f"fuzz (random inputs, atheris not in use): seed={seed} budget={budget}s "
          f"corpus={len(corpus)}", flush=True)
    deadline = time.monotonic() + budget
    runs = 0

    def attempt(data: bytes) -> None:
        try:
            test_one_input(data)
        except Exception:  # noqa: BLE001 - every escape is a finding
            traceback.print_exc()
            name = f"{prefix}crash-{hashlib.sha1(data).hexdigest()}"
            Path(name).write_bytes(data)
            print(f"fuzz: failing input written to {name} ({data.hex()[:400]})", flush=True)
            sys.exit(1)

    for data in corpus:
        attempt(data)
        runs += 1
    while time.monotonic() < deadline and (max_runs < 0 or runs < max_runs):
        if corpus and rng.random() < 0.5:
            data = _mutate(rng, rng.choice(corpus))
        else:
            data = rng.randbytes(rng.choice([8, 64, 256, 1024, 4096]))
            data = data[:rng.randint(0, len(data))]
        attempt(data)
        runs += 1
    print(f"fuzz: {runs} inputs, no failure", flush=True)


def run(test_one_input: Callable[[bytes], None], argv: Optional[Sequence[str]] = None) -> None:
    """Fuzz test_one_input with the command line's libFuzzer-style options."""
    argv = list(sys.argv if argv is None else argv)
    atheris = atheris_module()
    if atheris is None:
        _random_fuzz(test_one_input, argv[1:])
        return
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
