"""Write a deterministic address list for the blocklist example (examples/blocklist.toml).

    python examples/make_blocklist.py                  # 50,000 entries -> examples/blocklist.txt
    python examples/make_blocklist.py --count 1000 --out /tmp/list.txt

The list looks like a threat feed: mostly single IPv4 addresses, some IPv4 prefixes, a tenth
IPv6, with comments, blank lines, duplicates, addresses inside listed prefixes and adjacent
prefixes that collapse into one.  The same count and seed always give the same bytes.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
from pathlib import Path
from typing import Iterator, List

DEFAULT_COUNT = 50_000
DEFAULT_SEED = 20_240_501
DEFAULT_OUT = Path(__file__).resolve().with_name("blocklist.txt")


def _ipv4_address(rng: random.Random) -> ipaddress.IPv4Address:
    # Public-looking unicast space: first octet 1..223 without 10 and 127.
    first = rng.choice([o for o in range(1, 224) if o not in (10, 127)])
    return ipaddress.IPv4Address((first << 24) | rng.getrandbits(24))


def _ipv4_prefix(rng: random.Random) -> ipaddress.IPv4Network:
    prefix = rng.randint(16, 30)
    return ipaddress.IPv4Network((int(_ipv4_address(rng)) >> (32 - prefix) << (32 - prefix), prefix))


def _ipv6_entry(rng: random.Random) -> ipaddress.IPv6Network:
    prefix = rng.choice((32, 48, 56, 64, 128))
    value = (0x2001 << 112) | (rng.getrandbits(16) << 96) | rng.getrandbits(96)
    return ipaddress.IPv6Network((value >> (128 - prefix) << (128 - prefix), prefix))


def entries(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> List[str]:
    """The list's entries (address or CIDR text), ``count`` of them, in file order."""
    rng = random.Random(seed)
    out: List[str] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.70:
            out.append(str(_ipv4_address(rng)))
        elif roll < 0.85:
            out.append(str(_ipv4_prefix(rng)))
        elif roll < 0.95:
            network = _ipv6_entry(rng)
            out.append(str(network.network_address) if network.prefixlen == 128 else str(network))
        elif roll < 0.97 and out:
            out.append(rng.choice(out))                      # a duplicate
        elif roll < 0.99:
            base = _ipv4_prefix(rng)                          # two halves that collapse
            if base.prefixlen < 32:
                low, high = base.subnets(prefixlen_diff=1)
                out.extend((str(low), str(high)))
        else:
            base = _ipv4_prefix(rng)                          # an address inside a prefix
            out.extend((str(base), str(base.network_address + rng.randrange(base.num_addresses))))
    return out[:count]


def lines(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> Iterator[str]:
    """The file's lines: a header, the entries, and now and then a comment or a blank line."""
    rng = random.Random(seed ^ 0x5EED)
    yield f"# wfpkit example blocklist: {count} entries, seed {seed}"
    yield "# one IPv4/IPv6 address or CIDR prefix per line; '#' and ';' start comments"
    for index, entry in enumerate(entries(count, seed)):
        if index and index % 5000 == 0:
            yield ""
            yield f"; section {index // 5000}"
        roll = rng.random()
        yield f"{entry}    # reported {1 + index % 28} times" if roll < 0.02 else entry


def write(path: Path, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> Path:
    """Write the list to ``path`` (LF line ends, UTF-8) and return the path."""
    path.write_text("\n".join(lines(count, seed)) + "\n", encoding="utf-8", newline="\n")
    return path


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="entries to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="file to write")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must not be negative")
    path = write(args.out, args.count, args.seed)
    print(f"wrote {args.count} entries to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
