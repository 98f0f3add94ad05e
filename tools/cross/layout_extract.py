#!/usr/bin/env python3
"""Read the SDK structs' layout from a Windows cross compiler, without linking or running anything.

For every struct and field listed in tools/layout_golden.json, a probe file defines
`const int L__<struct>__<field> = offsetof(<SDK struct>, <field>);` (plus sizeof and _Alignof);
the compiler's -S output then holds each number next to its label.

    layout_extract.py --check            compare x86_64, i686 and aarch64 with the golden file
    layout_extract.py --write-x86        (re)write the golden "x86" section from i686
"""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import tempfile
from typing import Dict, List, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import crosslib  # noqa: E402

GOLDEN_PATH = crosslib.ROOT / "tools" / "layout_golden.json"

# Mirror struct (abi.h) -> its SDK twin.  Field names are the SDK's on both sides.
SDK_TWIN = {
    "wfp_guid": "GUID",
    "wfp_filetime": "FILETIME",
    "wfp_sid": "SID",
    "wfp_sid_and_attributes": "SID_AND_ATTRIBUTES",
    "wfp_byte_blob": "FWP_BYTE_BLOB",
    "wfp_byte_array16": "FWP_BYTE_ARRAY16",
    "wfp_byte_array6": "FWP_BYTE_ARRAY6",
    "wfp_v4_addr_and_mask": "FWP_V4_ADDR_AND_MASK",
    "wfp_v6_addr_and_mask": "FWP_V6_ADDR_AND_MASK",
    "wfp_value0": "FWP_VALUE0",
    "wfp_condition_value0": "FWP_CONDITION_VALUE0",
    "wfp_range0": "FWP_RANGE0",
    "wfp_token_information": "FWP_TOKEN_INFORMATION",
    "wfp_display_data0": "FWPM_DISPLAY_DATA0",
    "wfp_action0": "FWPM_ACTION0",
    "wfp_filter_condition0": "FWPM_FILTER_CONDITION0",
    "wfp_filter0": "FWPM_FILTER0",
    "wfp_sublayer0": "FWPM_SUBLAYER0",
    "wfp_provider0": "FWPM_PROVIDER0",
    "wfp_session0": "FWPM_SESSION0",
    "wfp_field0": "FWPM_FIELD0",
    "wfp_layer0": "FWPM_LAYER0",
    "wfp_callout0": "FWPM_CALLOUT0",
    "wfp_filter_enum_template0": "FWPM_FILTER_ENUM_TEMPLATE0",
    "wfp_sublayer_enum_template0": "FWPM_SUBLAYER_ENUM_TEMPLATE0",
    "wfp_provider_enum_template0": "FWPM_PROVIDER_ENUM_TEMPLATE0",
    "wfp_layer_enum_template0": "FWPM_LAYER_ENUM_TEMPLATE0",
    "wfp_callout_enum_template0": "FWPM_CALLOUT_ENUM_TEMPLATE0",
    "wfp_provider_context_enum_template0": "FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0",
    "wfp_net_event_header0": "FWPM_NET_EVENT_HEADER0",
    "wfp_net_event0": "FWPM_NET_EVENT0",
    "wfp_net_event_classify_drop0": "FWPM_NET_EVENT_CLASSIFY_DROP0",
    "wfp_net_event_enum_template0": "FWPM_NET_EVENT_ENUM_TEMPLATE0",
}

PRELUDE = """\
#define _WIN32_WINNT 0x0601
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <rpc.h>
#include <fwpmu.h>
#include <stddef.h>
"""

# gcc writes a zero as ".space 4" / ".zero 4"; i686 labels carry a leading underscore.
LABEL_VALUE = re.compile(r"^_?(L__\w+):\s*\n\s*\.(long|word|4byte|space|zero)\s+(-?\d+)", re.M)

Layout = Dict[str, Tuple[int, int, List[Tuple[str, int]]]]


def load_golden() -> dict:
    return json.loads(GOLDEN_PATH.read_text())


def probe_source(reference: Layout) -> str:
    lines = [PRELUDE]
    for struct, (_, _, fields) in reference.items():
        sdk = SDK_TWIN[struct]
        lines.append(f"const int L__{struct}__SIZE = sizeof({sdk});")
        lines.append(f"const int L__{struct}__ALIGN = _Alignof({sdk});")
        for field, _ in fields:
            lines.append(f"const int L__{struct}__F__{field} = offsetof({sdk}, {field});")
    return "\n".join(lines) + "\n"


def extract(arch: str, reference: Layout) -> Layout:
    """The SDK layout on arch, for the structs and fields of reference."""
    with tempfile.TemporaryDirectory(prefix="wfp-layout-") as tmp:
        probe = pathlib.Path(tmp) / "probe.c"
        asm = pathlib.Path(tmp) / "probe.s"
        probe.write_text(probe_source(reference))
        crosslib.Step.run(f"layout extract {arch}",
                          [*crosslib.compiler(arch), "-std=c11", "-O0", "-S", "-o", str(asm),
                           str(probe)])
        values = {m.group(1): 0 if m.group(2) in ("space", "zero") else int(m.group(3))
                  for m in LABEL_VALUE.finditer(asm.read_text())}
    layout: Layout = {}
    for struct, (_, _, fields) in reference.items():
        try:
            layout[struct] = (values[f"L__{struct}__SIZE"], values[f"L__{struct}__ALIGN"],
                              [(f, values[f"L__{struct}__F__{f}"]) for f, _ in fields])
        except KeyError as missing:
            raise AssertionError(f"{arch}: no value for {missing} in the compiler output")
    return layout


def differences(expected: Layout, actual: Layout) -> List[str]:
    out = []
    for struct, (size, align, fields) in expected.items():
        got_size, got_align, got_fields = actual[struct]
        if (size, align) != (got_size, got_align):
            out.append(f"{struct}: size/align {size}/{align} != SDK {got_size}/{got_align}")
        got = dict(got_fields)
        for field, offset in fields:
            if got.get(field) != offset:
                out.append(f"{struct}.{field}: offset {offset} != SDK {got.get(field)}")
    return out


def check(arches=("x86_64", "i686", "aarch64")) -> List[str]:
    golden = load_golden()
    problems = []
    for arch in arches:
        section = "x86" if arch == "i686" else "x64"
        if section not in golden:
            problems.append(f"golden file has no {section!r} section")
            continue
        problems += [f"{arch}: {d}" for d in differences(golden[section],
                                                          extract(arch, golden[section]))]
    return problems


def write_x86() -> None:
    golden = load_golden()
    i686 = extract("i686", golden["x64"])
    golden["x86"] = {s: [size, align, [[f, o] for f, o in fields]]
                     for s, (size, align, fields) in i686.items()}
    GOLDEN_PATH.write_text(json.dumps(golden, indent=1) + "\n")


if __name__ == "__main__":
    if "--write-x86" in sys.argv:
        write_x86()
    problems = check()
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)
