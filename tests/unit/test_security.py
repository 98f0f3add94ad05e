"""SIDs, SDDL and self-relative security descriptors (wfp.security), byte for byte."""

import struct

import pytest
from hypothesis import given, strategies as st

from wfp.errors import ValidationError
from wfp.security import (
    ERROR_INVALID_SECURITY_DESCR, ERROR_INVALID_SID, SDDL_SID_ALIASES, SecurityDescriptor,
    parse_sd, sd_grants, sd_to_sddl, sddl_to_sd, sid_length, sid_to_bytes, sid_to_string,
)

EVERYONE = bytes.fromhex("01 01 000000000001 00000000")
LOCAL_SYSTEM = bytes.fromhex("01 01 000000000005 12000000")
ADMINISTRATORS = bytes.fromhex("01 02 000000000005 20000000 20020000")


# ---------------------------------------------------------------------------------- SIDs

@pytest.mark.parametrize("text, binary", [
    ("S-1-5-18", LOCAL_SYSTEM),
    ("S-1-1-0", EVERYONE),
    ("S-1-5-32-544", ADMINISTRATORS),
    ("S-1-5-21-1004336348-1177238915-682003330-512",
     bytes.fromhex("01 05 000000000005 15000000 dcf4dc3b 833d2b46 828ba628 00020000")),
    ("S-1-15-2-1", bytes.fromhex("01 02 00000000000f 02000000 01000000")),
    ("S-1-5", bytes.fromhex("01 00 000000000005")),
])
def test_sid_known_answers(text, binary):
    assert sid_to_bytes(text) == binary
    assert sid_to_string(binary) == text


def test_sid_48_bit_authority_prints_as_hex_and_parses_both_ways():
    binary = bytes.fromhex("01 01 123456789abc 05000000")
    assert sid_to_string(binary) == "S-1-0x123456789abc-5"
    assert sid_to_bytes("S-1-0x123456789ABC-5") == binary
    # An authority that fits 32 bits is printed in decimal whatever form it came in.
    assert sid_to_string("S-1-0x000000000005-18") == "S-1-5-18"


def test_sid_aliases_resolve_case_insensitively():
    assert sid_to_bytes("SY") == LOCAL_SYSTEM
    assert sid_to_bytes("wd") == EVERYONE
    assert sid_to_string("BA") == "S-1-5-32-544"
    assert sid_to_string("LS") == "S-1-5-19"
    assert sid_to_string("NS") == "S-1-5-20"
    assert sid_to_string("AU") == "S-1-5-11"
    for alias, sid in SDDL_SID_ALIASES.items():
        assert sid_to_string(alias) == sid


def test_sid_length_reads_the_sub_authority_count():
    assert sid_length(ADMINISTRATORS) == 16
    assert sid_length(b"\0\0\0\0" + LOCAL_SYSTEM, 4) == 12


@pytest.mark.parametrize("bad, reason", [
    ("S-2-5-18", "not a SID string"),
    ("S-1-5-", "not a SID string"),
    ("X-1-5-18", "not a SID string"),
    ("S-1-" + "-".join(["1"] * 17), "not a SID string"),      # authority + 16 sub-authorities
    ("S-1-5-4294967296", "exceeds 32 bits"),
    ("S-1-281474976710656-1", "exceeds 48 bits"),
    ("S-1-0x1000000000000-1", "not a SID string"),             # 13 hex digits
    ("ZZ", "not a SID string"),
])
def test_bad_sid_strings_are_rejected_with_error_invalid_sid(bad, reason):
    with pytest.raises(ValidationError) as info:
        sid_to_bytes(bad)
    assert info.value.code == ERROR_INVALID_SID
    assert reason in str(info.value)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad, reason", [
    (LOCAL_SYSTEM[:7], "at least 8 bytes"),
    (b"\x02" + LOCAL_SYSTEM[1:], "revision 2"),
    (LOCAL_SYSTEM[:-1], "truncated"),
    (LOCAL_SYSTEM + b"\0\0\0\0", "after the SID"),
    (bytes([1, 16]) + bytes(6) + bytes(64), "16 sub-authorities"),
])
def test_bad_binary_sids_are_rejected(bad, reason):
    with pytest.raises(ValidationError) as info:
        sid_to_bytes(bad)
    assert info.value.code == ERROR_INVALID_SID
    assert reason in str(info.value)


sid_parts = st.tuples(st.integers(0, (1 << 48) - 1),
                      st.lists(st.integers(0, (1 << 32) - 1), max_size=15))


@given(sid_parts)
def test_sid_round_trips(parts):
    authority, subs = parts
    auth_text = str(authority) if authority < 1 << 32 else f"0x{authority:012x}"
    text = "S-1-" + auth_text + "".join(f"-{s}" for s in subs)
    binary = sid_to_bytes(text)
    assert len(binary) == 8 + 4 * len(subs) == sid_length(binary)
    assert binary[0] == 1 and binary[1] == len(subs)
    assert int.from_bytes(binary[2:8], "big") == authority
    assert list(struct.unpack_from(f"<{len(subs)}I", binary, 8)) == subs
    assert sid_to_string(binary) == text
    assert sid_to_bytes(sid_to_string(binary)) == binary


# ---------------------------------------------------------------------------------- SDDL -> bytes

# Derived by hand from the documented layout (SECURITY_DESCRIPTOR_RELATIVE, ACL, ACCESS_ALLOWED_ACE):
#   header : Revision 01, Sbz1 00, Control 0x8004 (SELF_RELATIVE | DACL_PRESENT) = 04 80,
#            OffsetOwner 0, OffsetGroup 0, OffsetSacl 0, OffsetDacl 0x14
#   ACL    : AclRevision 02, Sbz1 00, AclSize 0x1c (8 + 20), AceCount 1, Sbz2 0
#   ACE    : AceType 00 (allowed), AceFlags 00, AceSize 0x14 (4 + 4 + 12), Mask 0x00000001
#   SID    : S-1-1-0
EVERYONE_MATCH_SD = bytes.fromhex(
    "01 00 04 80 00000000 00000000 00000000 14000000"
    "02 00 1c00 0100 0000"
    "00 00 1400 01000000" "01 01 000000000001 00000000")


def test_dacl_granting_everyone_match_filter_known_answer():
    sd = sddl_to_sd("D:(A;;0x1;;;WD)")
    assert sd == EVERYONE_MATCH_SD
    assert len(sd) == 48


def test_owner_group_dacl_known_answer():
    # Owner, group, then DACL, each right after the previous part.
    expected = bytes.fromhex(
        "01 00 04 80 14000000 20000000 00000000 30000000"
        "01 01 000000000005 12000000"                          # owner SY at 0x14
        "01 02 000000000005 20000000 20020000"                 # group BA at 0x20
        "02 00 1c00 0100 0000"                                 # DACL at 0x30
        "00 00 1400 01000000" "01 01 000000000005 12000000")
    assert sddl_to_sd("O:SYG:BAD:(A;;0x1;;;SY)") == expected
    # Whitespace and the order of the components do not matter.
    assert sddl_to_sd("D:(A;;0x1;;;S-1-5-18) O:SY G:BA") == expected


def test_protected_dacl_with_deny_and_rights_letters_known_answer():
    expected = bytes.fromhex(
        "01 00 04 94 00000000 00000000 00000000 14000000"     # 0x9404: +PROTECTED +AUTO_INHERITED
        "02 00 3000 0200 0000"                                 # 8 + 20 + 20 bytes, 2 ACEs
        "01 00 1400 01000000" "01 01 000000000005 07000000"    # denied CC to ANONYMOUS
        "00 03 1400 ff011f00" "01 01 000000000001 00000000")   # allowed FA, OI|CI, to Everyone
    assert sddl_to_sd("D:PAI(D;;CC;;;AN)(A;OICI;FA;;;WD)") == expected


def test_sacl_audit_ace_known_answer():
    expected = bytes.fromhex(
        "01 00 10 80 00000000 00000000 14000000 00000000"     # SACL_PRESENT
        "02 00 1c00 0100 0000"
        "02 c0 1400 01000000" "01 01 000000000001 00000000")   # audit, SA|FA
    assert sddl_to_sd("S:(AU;SAFA;0x1;;;WD)") == expected


def test_null_and_empty_dacls():
    assert sddl_to_sd("D:NO_ACCESS_CONTROL") == bytes.fromhex("01 00 04 80" + "00" * 16)
    assert sddl_to_sd("D:") == bytes.fromhex("01 00 04 80 000000000000000000000000 14000000"
                                             "02 00 0800 0000 0000")


def test_rights_as_decimal_hex_and_letters():
    def mask(sddl):
        return parse_sd(sddl_to_sd(sddl)).dacl.aces[0].mask
    assert mask("D:(A;;0x1;;;WD)") == 1
    assert mask("D:(A;;17;;;WD)") == 17
    assert mask("D:(A;;CCDC;;;WD)") == 3
    assert mask("D:(A;;GA;;;WD)") == 0x10000000
    assert mask("D:(A;;0xffffffff;;;WD)") == 0xFFFFFFFF


@pytest.mark.parametrize("bad, reason", [
    ("", "empty"),
    ("X:(A;;0x1;;;WD)", "must start with"),
    ("D:(A;;0x1;;WD)", "6 ';'-separated parts"),
    ("D:(Q;;0x1;;;WD)", "ACE type 'Q'"),
    ("D:(AU;;0x1;;;WD)", "does not belong in a DACL"),
    ("D:(A;;0x1;;;WD", "unterminated"),
    ("D:(A;;ZZ;;;WD)", "unknown access right 'ZZ'"),
    ("D:(A;;0x100000000;;;WD)", "exceed 32 bits"),
    ("D:(A;;;;;WD)", "needs access rights"),
    ("D:(A;XX;0x1;;;WD)", "unknown ACE flag"),
    ("D:(A;;0x1;;;S-1-5-x)", "ACE SID"),
    ("D:(A;;0x1;;;QQ)", "ACE SID"),
    ("D:(OA;;0x1;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)", "ACE type 'OA'"),
    ("D:Q(A;;0x1;;;WD)", "unknown ACL flag"),
    ("D:NO_ACCESS_CONTROL(A;;0x1;;;WD)", "cannot have ACEs"),
    ("O:SYO:BA", "appears twice"),
    ("O:nobody", "O:"),
])
def test_bad_sddl_is_rejected_with_invalid_security_descr(bad, reason):
    with pytest.raises(ValidationError) as info:
        sddl_to_sd(bad)
    assert info.value.code == ERROR_INVALID_SECURITY_DESCR
    assert info.value.name == "ERROR_INVALID_SECURITY_DESCR"
    assert reason in str(info.value)


# ---------------------------------------------------------------------------------- bytes -> SDDL

def test_parse_gives_the_parts():
    parsed = parse_sd(sddl_to_sd("O:SYG:BAD:P(A;CI;0x1;;;S-1-5-21-1-2-3-1001)"))
    assert parsed.owner == "S-1-5-18"
    assert parsed.group == "S-1-5-32-544"
    assert parsed.control == 0x1004
    (ace,) = parsed.dacl.aces
    assert (ace.type, ace.flags, ace.mask, ace.sid) == (0, 0x2, 1, "S-1-5-21-1-2-3-1001")


@pytest.mark.parametrize("sddl", [
    "D:(A;;0x1;;;WD)",
    "O:SYG:BAD:PAI(D;;0x1;;;AN)(A;OICI;0x1f01ff;;;S-1-5-21-7-8-9-500)",
    "D:NO_ACCESS_CONTROL",
    "D:PNO_ACCESS_CONTROL",
    "D:",
    "O:S-1-5-80-1-2-3-4-5",
    "D:(A;;0x1;;;S-1-0x123456789abc-1)S:AI(AU;FA;0x10;;;SY)",
])
def test_canonical_sddl_round_trips(sddl):
    assert sd_to_sddl(sddl_to_sd(sddl)) == sddl


def test_sddl_display_prefers_aliases_and_hex_rights():
    assert sd_to_sddl(sddl_to_sd("D:(A;;CC;;;S-1-1-0)")) == "D:(A;;0x1;;;WD)"


def test_parser_accepts_windows_part_order():
    # Windows' own serialiser may put the DACL before the owner; offsets decide, not order.
    dacl = bytes.fromhex("02 00 1c00 0100 0000" "00 00 1400 01000000" "01 01 000000000001 00000000")
    header = struct.pack("<BBHIIII", 1, 0, 0x8004, 20 + len(dacl), 0, 0, 20)
    sd = header + dacl + LOCAL_SYSTEM
    assert sd_to_sddl(sd) == "O:SYD:(A;;0x1;;;WD)"


def _header(control=0x8004, owner=0, group=0, sacl=0, dacl=20, revision=1):
    return struct.pack("<BBHIIII", revision, 0, control, owner, group, sacl, dacl)


@pytest.mark.parametrize("blob, reason", [
    (EVERYONE_MATCH_SD[:19], "shorter than the 20-byte header"),
    (b"\x02" + EVERYONE_MATCH_SD[1:], "revision 2"),
    (EVERYONE_MATCH_SD[:2] + b"\x04\x00" + EVERYONE_MATCH_SD[4:], "not self-relative"),
    (_header(dacl=100) + EVERYONE_MATCH_SD[20:], "runs past the end"),
    (_header(dacl=8) + EVERYONE_MATCH_SD[20:], "points into the header"),
    (_header(owner=60) + EVERYONE_MATCH_SD[20:], "owner at offset 60"),
    (EVERYONE_MATCH_SD[:20] + b"\x03" + EVERYONE_MATCH_SD[21:], "DACL revision 3"),
    (EVERYONE_MATCH_SD[:22] + b"\x40\x00" + EVERYONE_MATCH_SD[24:], "size 64"),
    (EVERYONE_MATCH_SD[:24] + b"\x02\x00" + EVERYONE_MATCH_SD[26:], "ACE 1 runs past"),
    (EVERYONE_MATCH_SD[:28] + b"\x05" + EVERYONE_MATCH_SD[29:], "type 5"),
    (EVERYONE_MATCH_SD[:30] + b"\x30\x00" + EVERYONE_MATCH_SD[32:], "ACE 0 size 48"),
    (EVERYONE_MATCH_SD[:37] + b"\x0f" + EVERYONE_MATCH_SD[38:], "ACE 0"),
])
def test_malformed_descriptors_are_rejected_with_1338(blob, reason):
    with pytest.raises(ValidationError) as info:
        parse_sd(blob)
    assert info.value.code == ERROR_INVALID_SECURITY_DESCR == 1338
    assert reason in str(info.value)
    with pytest.raises(ValidationError):
        SecurityDescriptor(blob)


# ---------------------------------------------------------------------------------- value type

def test_security_descriptor_is_its_bytes():
    sd = SecurityDescriptor("D:(A;;0x1;;;WD)")
    assert sd == EVERYONE_MATCH_SD
    assert hash(sd) == hash(EVERYONE_MATCH_SD)
    assert SecurityDescriptor(EVERYONE_MATCH_SD) == sd
    assert sd.sddl == "D:(A;;0x1;;;WD)"
    assert str(sd) == "D:(A;;0x1;;;WD)"
    assert repr(sd) == "SecurityDescriptor('D:(A;;0x1;;;WD)')"
    assert SecurityDescriptor.from_sddl("D:(A;;0x1;;;WD)") == sd


def test_security_descriptor_pickles():
    import pickle
    sd = SecurityDescriptor("O:SYD:(A;;0x1;;;BA)")
    again = pickle.loads(pickle.dumps(sd))
    assert type(again) is SecurityDescriptor and again == sd


# ---------------------------------------------------------------------------------- access check

USER = "S-1-5-21-1-2-3-1001"
ADMIN = "S-1-5-21-1-2-3-500"


@pytest.mark.parametrize("sddl, sids, access, granted", [
    ("D:(A;;0x1;;;WD)", ["WD"], 1, True),
    ("D:(A;;0x1;;;BA)", [USER, "WD"], 1, False),
    ("D:(D;;0x1;;;%s)(A;;0x1;;;WD)" % ADMIN, [ADMIN, "WD"], 1, False),
    ("D:(D;;0x1;;;%s)(A;;0x1;;;WD)" % ADMIN, [USER, "WD"], 1, True),
    # An allow before a deny wins: the bit is granted before the deny is read.
    ("D:(A;;0x1;;;WD)(D;;0x1;;;%s)" % ADMIN, [ADMIN, "WD"], 1, True),
    # A deny of other bits does not deny.
    ("D:(D;;0x2;;;WD)(A;;0x1;;;WD)", ["WD"], 1, True),
    # Allowed bits accumulate across ACEs and SIDs.
    ("D:(A;;0x1;;;WD)(A;;0x2;;;BA)", ["WD"], 3, False),
    ("D:(A;;0x1;;;WD)(A;;0x2;;;BA)", ["WD", "BA"], 3, True),
    # A deny for a bit still missing denies even after a partial grant.
    ("D:(A;;0x1;;;WD)(D;;0x3;;;WD)(A;;0x2;;;WD)", ["WD"], 3, False),
    # Inherit-only ACEs do not apply to the object itself.
    ("D:(A;IO;0x1;;;WD)", ["WD"], 1, False),
    ("D:", ["WD"], 1, False),
    ("D:NO_ACCESS_CONTROL", [USER], 1, True),
    ("O:SY", [USER], 1, True),
    # Generic rights are not mapped onto FWP_ACTRL_MATCH_FILTER.
    ("D:(A;;GA;;;WD)", ["WD"], 1, False),
])
def test_sd_grants(sddl, sids, access, granted):
    assert sd_grants(sddl_to_sd(sddl), sids, access) is granted
    assert sd_grants(sddl, sids, access) is granted
    assert SecurityDescriptor(sddl).grants(sids, access) is granted


def test_sd_grants_takes_binary_sids():
    assert sd_grants(EVERYONE_MATCH_SD, [EVERYONE])
    assert not sd_grants(EVERYONE_MATCH_SD, [LOCAL_SYSTEM])


# ---------------------------------------------------------------------------------- properties

aces = st.lists(st.tuples(st.sampled_from(["A", "D"]),
                          st.sets(st.sampled_from(["OI", "CI", "NP", "IO", "ID"])),
                          st.integers(0, 0xFFFFFFFF), sid_parts), max_size=6)


@given(aces, st.booleans(), st.sets(st.sampled_from(["P", "AI", "AR"])))
def test_generated_dacls_round_trip(ace_list, with_owner, flags):
    def sid_text(parts):
        authority, subs = parts
        auth = str(authority) if authority < 1 << 32 else f"0x{authority:012x}"
        text = "S-1-" + auth + "".join(f"-{s}" for s in subs)
        return {v: k for k, v in SDDL_SID_ALIASES.items()}.get(text, text)
    order = ["OI", "CI", "NP", "IO", "ID"]
    body = "".join(f"({kind};{''.join(f for f in order if f in fl)};0x{mask:x};;;{sid_text(sid)})"
                   for kind, fl, mask, sid in ace_list)
    acl_flags = "".join(f for f in ("P", "AI", "AR") if f in flags)
    sddl = ("O:SY" if with_owner else "") + "D:" + acl_flags + body
    sd = sddl_to_sd(sddl)
    assert sd_to_sddl(sd) == sddl
    parsed = parse_sd(sd)
    assert len(parsed.dacl.aces) == len(ace_list)
    assert struct.unpack_from("<H", sd, 20 + (12 if with_owner else 0) + 2)[0] == len(parsed.dacl.to_bytes())
