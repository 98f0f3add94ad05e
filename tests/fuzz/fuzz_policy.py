"""Fuzz harness: the policy file loader (wfp.policy.loads), then plan and apply.

Inputs that start with printable ASCII are text (TOML, or JSON when it starts with ``{``) as the fuzzer mutates it
from the seed corpus (the policy files in examples/); the others decode into a JSON
document built from the schema's own keys with values of every type, valid and not, including
address-list files and app ids.  The contract under test:

* loading raises nothing but :class:`wfp.policy.PolicyError` (or another :class:`wfp.WFPError`);
* a policy that loads applies to an empty engine or fails with a WFPError leaving the engine
  exactly as it was; once applied, planning it again finds nothing to change.

Run: ``python tests/fuzz/fuzz_policy.py -max_total_time=3600 corpus/ examples/``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_support  # noqa: E402
from fuzz_support import ByteSource  # noqa: E402

with fuzz_support.instrumented(__name__ == "__main__"):
    import wfp  # noqa: E402
    from wfp import policy as wfp_policy  # noqa: E402

BASE = Path(tempfile.mkdtemp(prefix="wfp-fuzz-policy-"))
(BASE / "good.txt").write_text("10.0.0.0/8\n# comment\n192.0.2.1\n2001:db8::/32\n10.1.0.0/16\n")
(BASE / "bad.txt").write_text("10.0.0.0/33\nnot an address\n")
(BASE / "empty.txt").write_text("")
(BASE / "binary.txt").write_bytes(b"\xff\xfe\x00garbage\x00")

LAYER_NAMES = ["ALE_AUTH_CONNECT", "ALE_AUTH_CONNECT_V4", "ALE_AUTH_RECV_ACCEPT_V6",
               "OUTBOUND_TRANSPORT", "INBOUND_IPPACKET_V4", "IKEEXT_V4", "NO_SUCH_LAYER",
               "ale_auth_connect", "c38d57d1-05a7-4c33-904f-7fbceee60e82"]
FIELD_NAMES = ["ip_remote_port", "ip_remote_address", "ip_local_port", "ip_protocol",
               "ale_app_id", "ale_user_id", "ip_local_interface", "flags", "no_such_field",
               "IP_REMOTE_PORT", "ip_local_address_type"]
SCALARS = [0, 1, 53, 65535, 65536, -1, 2**64, 1.5, True, "", "tcp", "10.0.0.1", "10.0.0.0/8",
           "2001:db8::1", "10.0.0.0/40", "::/0", "S-1-5-18", "D:(A;;CC;;;WD)", "eth0", "x" * 300,
           "block", "permit", "\u00e9\u00e8", "\0"]


def scalar(src: ByteSource) -> Any:
    kind = src.int_in(0, 5)
    if kind == 0:
        return src.interesting_int()
    if kind == 1:
        return src.text(12)
    return src.choice(SCALARS)


def value_spec(src: ByteSource, depth: int = 0) -> Any:
    kind = src.int_in(0, 8)
    if kind == 0 and depth < 2:
        return [value_spec(src, depth + 1) for _ in range(src.int_in(0, 3))]
    if kind == 1:
        return {"file": src.choice(["good.txt", "bad.txt", "empty.txt", "binary.txt",
                                    "missing.txt", "../etc/passwd", "", 5])}
    if kind == 2:
        return {"range": [value_spec(src, depth + 1), value_spec(src, depth + 1)]}
    if kind == 3:
        return {"match": src.choice(["equal", "not_equal", "greater", "less", "range",
                                     "flags_all_set", "prefix", "bogus", 3]),
                "value": value_spec(src, depth + 1)}
    if kind == 4:
        return {"hex": src.choice(["00ff", "zz", "", "0" * 33, 7])}
    if kind == 5:
        return {"app": src.choice(["C:\\Windows\\notepad.exe", "relative.exe", "", 1,
                                   "\\\\?\\C:\\x"])}
    if kind == 6:
        return {src.choice(["file", "range", "match", "value", "other"]): scalar(src),
                src.choice(["app", "hex", "value"]): scalar(src)}
    return scalar(src)


def maybe(src: ByteSource, table: dict, key: str, make) -> None:
    if src.int_in(0, 3):
        table[key] = make()


def document(src: ByteSource) -> dict:
    doc: dict = {}
    maybe(src, doc, "format", lambda: src.choice([1, 1, 1, 2, "1", 0]))
    provider: dict = {}
    maybe(src, provider, "name", lambda: src.choice(["fuzz provider", "", scalar(src)]))
    maybe(src, provider, "persistent", lambda: src.choice([True, False, scalar(src)]))
    if src.int_in(0, 5) == 0:
        provider["key"] = src.choice(["6f1e2b7c-0000-4000-8000-000000000001", "nope", 3])
    if src.int_in(0, 5) == 0:
        provider[src.text(6)] = scalar(src)
    maybe(src, doc, "provider", lambda: provider if src.int_in(0, 5) else scalar(src))
    sublayer_names = ["main", "second"]
    sublayers = []
    for i in range(src.int_in(0, 2)):
        item: dict = {"name": sublayer_names[i] if src.int_in(0, 5) else scalar(src)}
        maybe(src, item, "weight", lambda: src.choice([0, 65535, 65536, -1, scalar(src)]))
        maybe(src, item, "persistent", lambda: src.boolean())
        sublayers.append(item)
    if sublayers:
        doc["sublayer"] = sublayers
    rules = []
    for i in range(src.int_in(0, 4)):
        rule: dict = {"name": src.choice([f"rule {i}", f"rule {i}", "dup", scalar(src)])}
        maybe(src, rule, "layer", lambda: src.choice(LAYER_NAMES) if src.int_in(0, 3)
              else [src.choice(LAYER_NAMES) for _ in range(src.int_in(0, 3))])
        maybe(src, rule, "action", lambda: src.choice(["block", "permit", "callout", 1]))
        maybe(src, rule, "sublayer", lambda: src.choice([*sublayer_names, "missing",
                                                         "FWPM_SUBLAYER_UNIVERSAL", 4]))
        maybe(src, rule, "weight", lambda: src.choice([None, 0, 2**64 - 1, 2**64,
                                                       {"range": src.int_in(0, 16)},
                                                       {"range": "x"}, scalar(src)]))
        for flag in ("hard", "persistent", "boot_time"):
            if src.int_in(0, 4) == 0:
                rule[flag] = src.choice([True, False, scalar(src)])
        if src.int_in(0, 4):
            rule["conditions"] = {src.choice(FIELD_NAMES): value_spec(src)
                                  for _ in range(src.int_in(0, 3))}
        rule = {k: v for k, v in rule.items() if v is not None}
        rules.append(rule)
    if rules:
        doc["rule"] = rules
    return doc


def is_text_start(byte: int) -> bool:
    """Inputs that start like text (the seed files do) are parsed as they are; the others
    decode into a structured document."""
    return byte in (0x09, 0x0A, 0x0D) or 0x20 <= byte <= 0x7E


class Harness:
    def __init__(self) -> None:
        self.engine = wfp.SimEngine()

    def one_input(self, data: bytes) -> None:
        if data[:1] and not is_text_start(data[0]):
            text = json.dumps(document(ByteSource(data[1:])))
            path = "fuzz.json"
        else:
            text = data.decode("utf-8", "replace")
            path = "fuzz.json" if text.lstrip().startswith("{") else "fuzz.toml"
        try:
            policy = wfp_policy.loads(text, path=path, base=BASE)
        except wfp.WFPError:
            return
        self.apply_twice(policy)

    def apply_twice(self, policy: Any) -> None:
        with wfp.Session(name="fuzz policy", dynamic=False, backend=self.engine) as session:
            before = snapshot(session)
            try:
                policy.apply(session)
            except wfp.WFPError:
                after = snapshot(session)
                if after != before:
                    raise AssertionError(f"a failed apply changed the engine: {before} -> {after}")
                return
            try:
                again = policy.plan(session)
                if again.has_changes:
                    raise AssertionError(f"planning an applied policy finds changes: "
                                         f"{again.summary()}")
            finally:
                wipe(session, policy)


def snapshot(session: wfp.Session) -> tuple:
    return (sorted(str(p.key) for p in session.providers()),
            sorted(str(s.key) for s in session.sublayers()),
            sorted(str(r.key) for r in session.rules()))


def wipe(session: wfp.Session, policy: Any) -> None:
    """Remove what the policy added so the next input starts from the same empty engine."""
    for rule in session.rules(provider=policy.provider.key):
        session.delete_rule(rule.key)
    for sublayer in policy.sublayers:
        try:
            session.delete_sublayer(sublayer.key)
        except wfp.NotFound:
            pass
    session.delete_provider(policy.provider.key)


_HARNESS: Harness | None = None


def test_one_input(data: bytes) -> None:
    """Entry point for atheris and for the regression replays."""
    global _HARNESS
    if _HARNESS is None:
        _HARNESS = Harness()
    try:
        _HARNESS.one_input(data)
    except Exception as error:  # noqa: BLE001 - anything but a known open bug is a finding
        if fuzz_support.known_open_bug(error) is None:
            raise


if __name__ == "__main__":
    fuzz_support.run(test_one_input)
