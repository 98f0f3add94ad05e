"""wfp/_ids.py against an independent reading of wfp/data/wfp-ids.tsv and wfp/data/errors.tsv,
and tools/gen_ids.py's --check mode."""
import ast
import importlib.util
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IDS_TSV = ROOT / "wfp" / "data" / "wfp-ids.tsv"
ERRORS_TSV = ROOT / "wfp" / "data" / "errors.tsv"
REFERENCE = Path("/work/shared/reference/wfp-semantics.md")

# FWP_DATA_TYPE and FWPM_FIELD_TYPE values (fwptypes.h / fwpmtypes.h).
UINT8, UINT16, UINT32, UINT64 = 1, 2, 3, 4
BYTE_ARRAY16, BYTE_BLOB, SID, SECURITY_DESCRIPTOR, TOKEN_ACCESS_INFORMATION = 11, 12, 13, 14, 16
BYTE_ARRAY6, BITMAP_INDEX = 18, 19
FWP_TYPES = {"FWP_UINT8": UINT8, "FWP_UINT16": UINT16, "FWP_UINT32": UINT32, "FWP_UINT64": UINT64,
             "FWP_BYTE_ARRAY16_TYPE": BYTE_ARRAY16, "FWP_BYTE_BLOB_TYPE": BYTE_BLOB, "FWP_SID": SID,
             "FWP_SECURITY_DESCRIPTOR_TYPE": SECURITY_DESCRIPTOR, "FWP_BYTE_ARRAY6_TYPE": BYTE_ARRAY6}
FIELD_RAW, FIELD_IP, FIELD_FLAGS = 0, 1, 2


def load_module(path: Path, name: str):
    """Import a file by path, so the test does not depend on the wfp package's compiled parts."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ids = load_module(ROOT / "wfp" / "_ids.py", "wfp_ids_under_test")


def tsv_rows(kind: str) -> list[list[str]]:
    rows = []
    for line in IDS_TSV.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if cells[0] == kind:
            rows.append(cells)
    return rows


def short(name: str) -> str:
    """FWPM_LAYER_X / FWPM_CONDITION_X / ... -> X."""
    return re.sub(r"^FWPM_(LAYER|CONDITION|SUBLAYER|PROVIDER|CALLOUT)_", "", name)


def tsv_layer_fields() -> dict[str, list[tuple[int, str, str]]]:
    """layer -> [(fwps index, condition name, GUID)] in file order."""
    fields: dict[str, list[tuple[int, str, str]]] = {}
    for _, pair, guid, notes in tsv_rows("layer_field"):
        layer, condition = pair.split("|")
        index = int(re.search(r"fwps_index=(\d+)", notes).group(1))
        fields.setdefault(short(layer), []).append((index, short(condition), guid))
    return fields


def condition_notes() -> dict[str, str]:
    return {short(name): notes for _, name, _, notes in tsv_rows("condition")}


def all_fields():
    for layer, row in ids.LAYERS.items():
        for index, (name, data_type, field_type) in enumerate(row[6]):
            yield layer, index, name, data_type, field_type


# ---- layers --------------------------------------------------------------------------------

def test_every_layer_has_its_tsv_guid_id_and_flags():
    rows = tsv_rows("layer")
    assert len(rows) == len(ids.LAYERS) == 97
    for _, name, guid, notes in rows:
        guid_str, layer_id, flags, is_v6, is_ale, is_user_mode, _ = ids.LAYERS[short(name)]
        assert guid_str == guid
        assert layer_id == int(re.search(r"layerId=(\d+)", notes).group(1))
        user = "mode=user" in notes
        assert user != ("mode=kernel" in notes)
        assert is_user_mode is user
        assert flags == (0x2 if user else 0x3)  # BUILTIN, plus KERNEL for kernel-mode layers
        assert is_ale is ("ale=yes" in notes)
        assert is_v6 is ("V6" in short(name).split("_"))


def test_layer_guids_and_ids_are_unique():
    assert len({row[0] for row in ids.LAYERS.values()}) == len(ids.LAYERS)
    assert len({row[1] for row in ids.LAYERS.values()}) == len(ids.LAYERS)


def test_every_layer_lists_its_tsv_fields_in_fwps_index_order():
    tsv = tsv_layer_fields()
    assert sum(len(v) for v in tsv.values()) == 940
    for layer, rows in tsv.items():
        assert [index for index, _, _ in rows] == list(range(len(rows))), layer
        assert [f[0] for f in ids.LAYERS[layer][6]] == [name for _, name, _ in rows], layer
        for _, name, guid in rows:
            assert ids.CONDITIONS[name] == guid, (layer, name)


def test_discard_layers_share_the_fields_of_their_layer():
    tsv = tsv_layer_fields()
    discard = [name for name in ids.LAYERS if name.endswith("_DISCARD")]
    assert len(discard) == 28
    for name in discard:
        assert name not in tsv  # the TSV lists each FWPS enum once, under the base layer
        assert ids.LAYERS[name][6] == ids.LAYERS[name.removesuffix("_DISCARD")][6], name
    # A real Windows box reports 8 fields for STREAM_V4_DISCARD.
    assert len(ids.LAYERS["STREAM_V4_DISCARD"][6]) == 8


def test_layers_without_fields_are_exactly_those_without_rows_or_base():
    tsv = tsv_layer_fields()
    empty = {name for name, row in ids.LAYERS.items() if not row[6]}
    assert empty == {name for name in ids.LAYERS
                     if name not in tsv and name.removesuffix("_DISCARD") not in tsv}
    assert "INBOUND_TRANSPORT_FAST" in empty


def test_known_layer_values():
    guid, layer_id, flags, is_v6, is_ale, is_user, fields = ids.LAYERS["ALE_AUTH_CONNECT_V4"]
    assert (guid, layer_id, flags, is_v6, is_ale, is_user) == (
        "c38d57d1-05a7-4c33-904f-7fbceee60e82", 48, 3, False, True, False)
    assert fields[0] == ("ALE_APP_ID", BYTE_BLOB, FIELD_RAW)
    assert len(fields) == 42
    recv = ids.LAYERS["ALE_AUTH_RECV_ACCEPT_V4"]
    assert (recv[0], recv[1], len(recv[6])) == ("e1cd9fe7-f4b5-4273-96c0-592e487b8650", 44, 40)
    assert ids.LAYERS["RPC_UM"][1:6] == (93, 2, False, False, True)
    assert ids.LAYERS["ALE_AUTH_CONNECT_V6"][3] is True


def test_sdk_comment_typos_use_the_define_guid_values():
    assert ids.LAYERS["INBOUND_MAC_FRAME_ETHERNET"][0] == "effb7edb-0055-4f9a-a231-4ff8131ad191"
    assert ids.SUBLAYERS["MPSSVC_EDP"] == "09a47e38-fa97-471b-b123-18bcd7e65071"
    assert ids.CONDITIONS["MAC_LOCAL_ADDRESS"] == "d999e981-7948-4c83-b742-c84e3b678f8f"


# ---- field types ---------------------------------------------------------------------------

IP_ADDRESS_CONDITIONS = {"IP_LOCAL_ADDRESS", "IP_REMOTE_ADDRESS", "IP_SOURCE_ADDRESS",
                         "IP_DESTINATION_ADDRESS", "EMBEDDED_REMOTE_ADDRESS", "IP_NEXTHOP_ADDRESS"}


def test_ip_address_fields_are_uint32_at_v4_layers_and_byte_array16_at_v6_layers():
    seen = {UINT32: 0, BYTE_ARRAY16: 0}
    for layer, _, name, data_type, field_type in all_fields():
        if name in IP_ADDRESS_CONDITIONS:
            is_v6 = "V6" in layer.split("_")
            assert is_v6 or "V4" in layer.split("_"), layer
            assert (data_type, field_type) == (BYTE_ARRAY16 if is_v6 else UINT32, FIELD_IP), (layer, name)
            seen[data_type] += 1
    assert seen[UINT32] > 50 and seen[BYTE_ARRAY16] > 50


def test_version_named_address_fields_keep_their_version_at_any_layer():
    fields = {f[0]: f for f in ids.LAYERS["RPC_UM"][6]}
    assert fields["IP_LOCAL_ADDRESS_V4"][1:] == (UINT32, FIELD_IP)
    assert fields["IP_REMOTE_ADDRESS_V4"][1:] == (UINT32, FIELD_IP)
    assert fields["IP_LOCAL_ADDRESS_V6"][1:] == (BYTE_ARRAY16, FIELD_IP)
    assert fields["IP_REMOTE_ADDRESS_V6"][1:] == (BYTE_ARRAY16, FIELD_IP)


def test_only_address_fields_have_the_ip_address_field_type():
    for layer, _, name, _, field_type in all_fields():
        is_address = name in IP_ADDRESS_CONDITIONS or re.fullmatch(r"IP_(LOCAL|REMOTE)_ADDRESS_V[46]", name)
        assert (field_type == FIELD_IP) == bool(is_address), (layer, name)


def test_fields_with_one_documented_value_type_use_it():
    notes = condition_notes()
    checked = 0
    for layer, _, name, data_type, _ in all_fields():
        note = notes.get(name) or notes[ids.ALIASES[name]]
        match = re.search(r"\bvalue=(FWP_\w+);", note)
        if match and "field=" not in note and "ADDR_MASK" not in match.group(1):
            assert data_type == FWP_TYPES[match.group(1)], (layer, name)
            checked += 1
    assert checked > 600


@pytest.mark.parametrize("name, data_type", [
    ("ALE_USER_ID", TOKEN_ACCESS_INFORMATION),  # a security descriptor only as a condition value
    ("ALE_REMOTE_USER_ID", TOKEN_ACCESS_INFORMATION),
    ("ALE_REMOTE_MACHINE_ID", TOKEN_ACCESS_INFORMATION),
    ("BITMAP_IP_LOCAL_ADDRESS", BITMAP_INDEX),
    ("BITMAP_IP_REMOTE_PORT", BITMAP_INDEX),
    ("ALE_PACKAGE_FAMILY_NAME", BYTE_BLOB),  # undocumented
    ("ALE_EFFECTIVE_NAME", BYTE_BLOB),
    ("RPC_OPNUM", BYTE_BLOB),
    ("RESERVED0", BYTE_BLOB),
    ("KM_TYPE", UINT32),  # IKEEXT_KEY_MODULE_TYPE
    ("KM_MODE", UINT32),  # IPSEC_TOKEN_MODE
    ("AUTHENTICATION_TYPE", UINT32),  # IKEEXT_AUTHENTICATION_METHOD_TYPE
    ("COMPARTMENT_ID", UINT32),  # observed
    ("ALE_SECURITY_ATTRIBUTE_FQBN_VALUE", BYTE_BLOB),  # observed
    ("ALE_PACKAGE_ID", SID),
    ("MAC_LOCAL_ADDRESS", BYTE_ARRAY6),
    ("IP_LOCAL_INTERFACE", UINT64),
    ("IP_PROTOCOL", UINT8),
    ("IP_LOCAL_PORT", UINT16),
])
def test_field_data_type_everywhere(name, data_type):
    found = [(layer, t) for layer, _, n, t, _ in all_fields() if n == name]
    assert found, name
    assert all(t == data_type for _, t in found), found


def test_flag_fields_have_the_flags_field_type():
    flags = {n for _, _, n, _, field_type in all_fields() if field_type == FIELD_FLAGS}
    assert flags == {n for _, _, n, _, _ in all_fields() if n.endswith("FLAGS")}
    assert {"FLAGS", "L2_FLAGS", "RPC_EP_FLAGS"} <= flags


def test_reauth_reason_stands_in_for_reauthorize_reason():
    assert ids.FIELD_STAND_INS == {"ALE_REAUTH_REASON": "REAUTHORIZE_REASON"}
    assert ids.CONDITIONS["ALE_REAUTH_REASON"] == "b482d227-1979-4a98-8044-18bbe6237542"
    assert not any(n == "ALE_REAUTH_REASON" for _, _, n, _, _ in all_fields())
    with_field = {layer for layer, _, n, _, _ in all_fields() if n == "REAUTHORIZE_REASON"}
    assert {"ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6", "ALE_AUTH_RECV_ACCEPT_V4",
            "ALE_AUTH_RECV_ACCEPT_V6"} <= with_field


# ---- named GUIDs ---------------------------------------------------------------------------

def test_conditions_include_every_condition_and_condition_alias():
    expected = {short(n): g for _, n, g, _ in tsv_rows("condition")}
    expected.update({short(n): g for _, n, g, _ in tsv_rows("alias") if n.startswith("FWPM_CONDITION_")})
    assert ids.CONDITIONS == expected
    assert len(ids.CONDITIONS) == 153


def test_condition_aliases_resolve_to_the_same_guid():
    expected = {}
    for _, name, guid, notes in tsv_rows("alias"):
        if name.startswith("FWPM_CONDITION_"):
            expected[short(name)] = short(re.search(r"alias of (\w+)", notes).group(1))
    assert ids.ALIASES == expected and len(expected) == 10
    for alias, canonical in ids.ALIASES.items():
        assert ids.CONDITIONS[alias] == ids.CONDITIONS[canonical]
        assert canonical not in ids.ALIASES


@pytest.mark.parametrize("kind, table", [("sublayer", "SUBLAYERS"), ("provider", "PROVIDERS"),
                                         ("callout", "CALLOUTS")])
def test_builtin_objects_match_tsv(kind, table):
    prefix = f"FWPM_{kind.upper()}_"
    expected = {n.removeprefix(prefix): g for _, n, g, _ in tsv_rows(kind)}
    assert getattr(ids, table) == expected
    assert all(uuid.UUID(g) for g in expected.values())


def test_sublayer_and_callout_aliases():
    assert ids.SUBLAYER_ALIASES == {"EDGE_TRAVERSAL": "TEREDO"}
    assert ids.CALLOUT_ALIASES == {
        "EDGE_TRAVERSAL_ALE_RESOURCE_ASSIGNMENT_V6": "TEREDO_ALE_RESOURCE_ASSIGNMENT_V6",
        "EDGE_TRAVERSAL_ALE_LISTEN_V6": "TEREDO_ALE_LISTEN_V6"}


def test_universal_sublayer_and_the_sdk_provider_spelling():
    assert ids.SUBLAYERS["UNIVERSAL"] == "eebecc03-ced4-4380-819a-2734397b2b74"
    assert ids.PROVIDERS["IPSEC_DOSP_CONFIG"] == "3c6c05a9-c05c-4bb9-8338-2327814ce8bf"
    assert "3c6c0519-c05c-4bb9-8338-2327814ce8bf" not in ids.PROVIDERS.values()  # mingw typo
    assert (len(ids.SUBLAYERS), len(ids.PROVIDERS), len(ids.CALLOUTS)) == (18, 9, 51)


# ---- errors --------------------------------------------------------------------------------

def errors_tsv() -> dict[int, tuple[str, str]]:
    rows = [ln.split("\t") for ln in ERRORS_TSV.read_text(encoding="utf-8").splitlines()
            if ln and not ln.startswith("#")][1:]
    return {int(code, 16): (name, message) for name, code, message in rows}


def test_errors_match_errors_tsv():
    assert ids.ERRORS == errors_tsv()


def test_every_fwp_e_code_has_a_name_and_message():
    fwp = {code: v for code, v in ids.ERRORS.items() if v[0].startswith("FWP_E_")}
    assert sorted(fwp) == list(range(0x80320001, 0x80320045)) + [0x80320104]
    assert all(message.strip() for _, message in fwp.values())
    assert ids.ERRORS[0x80320009] == ("FWP_E_ALREADY_EXISTS",
                                      "An object with that GUID or LUID already exists.")
    assert ids.ERRORS[0x80320104][0] == "FWP_E_DROP_NOICMP"


def test_win32_and_library_codes():
    assert ids.ERRORS[0][0] == "ERROR_SUCCESS"
    assert ids.ERRORS[5] == ("ERROR_ACCESS_DENIED", "Access is denied.")
    assert ids.ERRORS[1764][0] == "RPC_S_CANNOT_SUPPORT"
    assert ids.ERRORS[1753][0] == "EPT_S_NOT_REGISTERED"
    library = {code: name for code, (name, _) in ids.ERRORS.items() if name.startswith("WFPKIT_E_")}
    assert library == {0xE0320001: "WFPKIT_E_STATE_CORRUPT", 0xE0320002: "WFPKIT_E_STATE_VERSION",
                       0xE0320003: "WFPKIT_E_STATE_IO", 0xE0320004: "WFPKIT_E_STATE_LOCKED",
                       0xE0320005: "WFPKIT_E_UNSUPPORTED", 0xE0320006: "WFPKIT_E_SESSION_CLOSED"}
    assert all(code & 0x20000000 for code in library)  # customer bit


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference not present")
def test_fwp_e_codes_match_the_reference_table():
    text = REFERENCE.read_text(encoding="utf-8")
    section = text[text.index("## 9. FWP_E_* error codes"):text.index("## 10.")]
    reference = {int(m[2], 16): (m[1], m[3]) for m in re.finditer(
        r"^\| (FWP_E_\w+) \| (0x[0-9A-F]{8}) \|[^|]+\|[^|]+\| (.*) \|$", section, re.M)}
    assert len(reference) == 69
    assert {c: v for c, v in ids.ERRORS.items() if v[0].startswith("FWP_E_")} == reference


# ---- the generated module and the generator ------------------------------------------------

def test_ids_module_is_plain_data():
    tree = ast.parse((ROOT / "wfp" / "_ids.py").read_text(encoding="utf-8"))
    assert "Generated by tools/gen_ids.py" in ast.get_docstring(tree)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(isinstance(n, ast.ImportFrom) and n.module == "typing" for n in imports)


def test_generator_check_passes_on_the_tree():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_ids.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_generator_check_reports_missing_and_stale_files(tmp_path, monkeypatch):
    gen = load_module(ROOT / "tools" / "gen_ids.py", "gen_ids_under_test")
    (tmp_path / "wfp" / "data").mkdir(parents=True)
    for tsv in (IDS_TSV, ERRORS_TSV):
        shutil.copy(tsv, tmp_path / "wfp" / "data" / tsv.name)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1  # nothing generated yet
    assert not (tmp_path / "src").exists()  # --check writes nothing
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
    for relative in ("src/core/ids.c", "src/core/errors.c", "include/wfp/errors.h", "wfp/_ids.py"):
        generated = tmp_path / relative
        assert generated.read_bytes() == (ROOT / relative).read_bytes(), relative
    ids_c = tmp_path / "src" / "core" / "ids.c"
    ids_c.write_text(ids_c.read_text() + "\n", encoding="utf-8")
    assert gen.main(["--check"]) == 1
    errors_tsv_copy = tmp_path / "wfp" / "data" / "errors.tsv"
    gen.main([])
    errors_tsv_copy.write_text(errors_tsv_copy.read_text() + "ERROR_X\t0x00000063\tX.\n")
    assert gen.main(["--check"]) == 1  # a data change makes the outputs stale
