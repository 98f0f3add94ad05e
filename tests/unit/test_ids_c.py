"""The generated C tables (src/core/ids.c, src/core/errors.c, include/wfp/errors.h) against the TSVs.

tests/c/test_ids.c prints every table row and lookup result; it is built with the project's
warning flags and the address and undefined-behaviour sanitizers.
"""
import importlib.util
import re
import shutil
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IDS_TSV = ROOT / "wfp" / "data" / "wfp-ids.tsv"
ERRORS_TSV = ROOT / "wfp" / "data" / "errors.tsv"
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
          "-fno-sanitize-recover=all", "-I" + str(ROOT / "include")]
SOURCES = [ROOT / "src" / "core" / "ids.c", ROOT / "src" / "core" / "errors.c",
           ROOT / "tests" / "c" / "test_ids.c"]


def short(name: str) -> str:
    return re.sub(r"^FWPM_(LAYER|CONDITION|SUBLAYER|PROVIDER|CALLOUT)_", "", name)


def tsv_rows(kind: str) -> list[list[str]]:
    lines = IDS_TSV.read_text(encoding="utf-8").splitlines()
    return [cells for cells in (line.split("\t") for line in lines) if cells[0] == kind]


def tsv_fields() -> dict[str, list[tuple[str, str]]]:
    """layer -> [(GUID, condition name)] in FWPS index order; discard layers take their base's."""
    fields: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for _, pair, guid, notes in tsv_rows("layer_field"):
        layer, condition = pair.split("|")
        fields[short(layer)].append((int(re.search(r"fwps_index=(\d+)", notes).group(1)), guid, short(condition)))
    result = {layer: [(g, n) for _, g, n in sorted(rows)] for layer, rows in fields.items()}
    for _, name, _, _ in tsv_rows("layer"):
        layer = short(name)
        if layer not in result:
            result[layer] = result.get(layer.removesuffix("_DISCARD"), [])
    return result


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> dict[str, list[list[str]]]:
    """The test program's output lines, grouped by kind."""
    compiler = shutil.which("gcc")
    if compiler is None:
        pytest.skip("gcc not available")
    binary = tmp_path_factory.mktemp("ids_c") / "test_ids"
    subprocess.run([compiler, *CFLAGS, *map(str, SOURCES), "-o", str(binary)], check=True)
    run = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and not run.stderr, run.stderr
    lines: dict[str, list[list[str]]] = defaultdict(list)
    for line in run.stdout.splitlines():
        kind, *cells = line.split("\t")
        lines[kind].append(cells)
    return lines


@pytest.fixture(scope="module")
def python_ids():
    spec = importlib.util.spec_from_file_location("wfp_ids_for_c_test", ROOT / "wfp" / "_ids.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layer_table_matches_tsv(dump):
    expected = {}
    for _, name, guid, notes in tsv_rows("layer"):
        user = "mode=user" in notes
        expected[short(name)] = [guid, short(name), re.search(r"layerId=(\d+)", notes).group(1),
                                 "2" if user else "3", str(int("V6" in short(name).split("_"))),
                                 str(int("ale=yes" in notes)), str(int(user))]
    rows = dump["layer"]
    assert len(rows) == len(expected) == 97
    for row in rows:
        assert row[:7] == expected[row[1]]


def test_layer_table_is_sorted_by_guid_and_binary_search_finds_every_layer(dump):
    keys = [uuid.UUID(row[0]).bytes for row in dump["layer"]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for row in dump["layer"]:
        assert row[8:] == ["1", "1"], row[1]  # found by key and by name


def test_every_layer_has_its_tsv_fields_in_index_order(dump):
    expected = tsv_fields()
    by_layer = defaultdict(list)
    for layer, index, guid, name, *_ in dump["field"]:
        by_layer[layer].append((int(index), guid, name))
    counts = {row[1]: int(row[7]) for row in dump["layer"]}
    for layer, fields in expected.items():
        got = by_layer.get(layer, [])
        assert [i for i, _, _ in got] == list(range(len(fields))), layer
        assert [(g, n) for _, g, n in got] == fields, layer
        assert counts[layer] == len(fields)


def test_field_lookup_finds_every_field_of_every_layer(dump):
    for layer, index, _, name, _, _, found, found_in_copy in dump["field"]:
        assert found == index and found_in_copy == index, (layer, name)


def test_c_and_python_field_types_agree(dump, python_ids):
    for layer, index, _, name, data_type, field_type, *_ in dump["field"]:
        assert python_ids.LAYERS[layer][6][int(index)] == (name, int(data_type), int(field_type))


def test_address_fields_by_layer_version(dump):
    is_v6 = {row[1]: row[4] == "1" for row in dump["layer"]}
    checked = 0
    for layer, _, _, name, data_type, field_type, *_ in dump["field"]:
        if name in ("IP_LOCAL_ADDRESS", "IP_REMOTE_ADDRESS"):
            assert (data_type, field_type) == (("11" if is_v6[layer] else "3"), "1"), (layer, name)
            checked += 1
    assert checked > 100


def test_reauth_reason_resolves_to_reauthorize_reason_where_that_field_exists(dump):
    has_field = {layer for layer, _, _, name, *_ in dump["field"] if name == "REAUTHORIZE_REASON"}
    assert len(has_field) == 8  # ALE auth connect / recv-accept, V4 and V6, and their discard layers
    for layer, resolved in dump["stand_in"]:
        assert resolved == ("REAUTHORIZE_REASON" if layer in has_field else "-"), layer


def test_condition_table_has_conditions_then_aliases(dump):
    canonical = [(g, short(n)) for _, n, g, _ in tsv_rows("condition")]
    aliases = {short(n): (g, short(re.search(r"alias of (\w+)", notes).group(1)))
               for _, n, g, notes in tsv_rows("alias") if n.startswith("FWPM_CONDITION_")}
    rows = dump["condition"]
    assert [(g, n) for g, n, _ in rows[:len(canonical)]] == canonical
    assert {n: g for g, n, _ in rows[len(canonical):]} == {a: g for a, (g, _) in aliases.items()}
    for guid, name, found in rows:
        assert found == aliases.get(name, (guid, name))[1]  # an alias's GUID finds the canonical name


@pytest.mark.parametrize("kind", ["sublayer", "provider", "callout"])
def test_builtin_object_tables_match_tsv(dump, kind):
    expected = [[g, short(n)] for _, n, g, _ in tsv_rows(kind)]
    assert [row[:2] for row in dump[kind]] == expected
    assert all(found == name for _, name, found in dump[kind])


def test_universal_sublayer(dump):
    assert dump["universal"] == [["eebecc03-ced4-4380-819a-2734397b2b74"]]
    assert ["eebecc03-ced4-4380-819a-2734397b2b74", "UNIVERSAL", "UNIVERSAL"] in dump["sublayer"]


def test_lookups_of_unknown_or_null_keys_return_null(dump):
    checks = dict(dump["check"])
    assert set(checks.values()) == {"1"}, checks
    assert {"unknown_layer_key", "null_layer_key", "unknown_layer_name", "unknown_field",
            "field_of_other_layer", "field_of_stranger_layer", "unknown_named_guid"} <= set(checks)


def errors_tsv() -> dict[int, tuple[str, str]]:
    rows = [ln.split("\t") for ln in ERRORS_TSV.read_text(encoding="utf-8").splitlines()
            if ln and not ln.startswith("#")][1:]
    return {int(code, 16): (name, message) for name, code, message in rows}


def test_error_names_and_messages_match_tsv_and_python(dump, python_ids):
    found = {int(code, 16): (name, message) for code, name, message in dump["error"]}
    assert found == errors_tsv() == python_ids.ERRORS
    fwp = sorted(code for code, (name, _) in found.items() if name.startswith("FWP_E_"))
    assert fwp == list(range(0x80320001, 0x80320045)) + [0x80320104]


def test_error_macros_compile_to_their_codes(dump):
    assert dict(dump["macro"]) == {
        "WFP_OK": "0", "WFP_E_ALREADY_EXISTS": str(0x80320009), "WFP_E_DROP_NOICMP": str(0x80320104),
        "WFP_ERROR_ACCESS_DENIED": "5", "WFP_ERROR_RPC_S_CANNOT_SUPPORT": "1764",
        "WFPKIT_E_SESSION_CLOSED": str(0xE0320006)}


def test_errors_header_defines_one_macro_per_code():
    header = (ROOT / "include" / "wfp" / "errors.h").read_text(encoding="utf-8")
    defines = {m[1]: int(m[2].rstrip("u"), 0) for m in re.finditer(r"^#define (\w+)\s+(\w+)$", header, re.M)
               if m[1] != "WFP_ERRORS_H"}
    expected = {"WFP_OK": 0}
    for code, (name, _) in errors_tsv().items():
        if name.startswith("FWP_E_"):
            expected["WFP_E_" + name.removeprefix("FWP_E_")] = code
        elif name.startswith("WFPKIT_E_"):
            expected[name] = code
        else:
            expected["WFP_ERROR_" + name.removeprefix("ERROR_")] = code
    assert defines == expected
