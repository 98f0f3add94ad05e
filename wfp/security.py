"""SIDs and security descriptors in the binary forms Windows uses, without Windows.

WFP carries a SID (``FWPM_CONDITION_ALE_PACKAGE_ID``) as a binary ``SID`` and a user match
(``FWPM_CONDITION_ALE_USER_ID`` and friends) as a *self-relative* security descriptor whose DACL
grants ``FWP_ACTRL_MATCH_FILTER`` (0x1) to the users that match.  This module converts between
those binary forms and their text forms:

* SID strings ``S-R-I-S-S...`` (revision 1, identifier authority up to 48 bits, at most 15
  sub-authorities) and the well-known two-letter SDDL aliases (``WD``, ``SY``, ``BA``, ...);
* the subset of SDDL that WFP conditions use: ``O:`` owner, ``G:`` group, ``D:`` DACL and ``S:``
  SACL with their flags (``P``, ``AI``, ``AR``, ``NO_ACCESS_CONTROL``) and ACEs
  ``(A|D|AU;flags;rights;;;sid)`` whose rights are a number (``0x1``) or rights letters (``CC``,
  ``GA``, ``FA``, ...).

Layout of the self-relative descriptor built here (SECURITY_DESCRIPTOR_RELATIVE): a 20-byte
header (Revision 1, Sbz1 0, Control with SE_SELF_RELATIVE, then the 32-bit offsets of owner,
group, SACL and DACL, 0 when absent) followed by the owner SID, the group SID, the SACL and the
DACL in that order.  Windows accepts any order when it reads one; parsing here does too.

Canonical text forms (what :func:`sid_to_string` and :func:`sd_to_sddl` print): ``S-1-...``
with a decimal identifier authority below 2**32 and ``0x`` plus 12 hex digits above; SDDL with
components in the order O, G, D, S, a SID printed as its alias when it has one, and access
masks printed as hex (``0x1``).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Tuple, Union

from wfp.errors import ValidationError

__all__ = [
    "FWP_ACTRL_MATCH_FILTER", "SDDL_SID_ALIASES", "ERROR_INVALID_SID",
    "ERROR_INVALID_SECURITY_DESCR", "Ace", "Acl", "SecurityDescriptor", "sid_to_bytes",
    "sid_to_string", "sid_length", "sddl_to_sd", "sd_to_sddl", "parse_sd", "sd_grants",
    "is_sid_string",
]

FWP_ACTRL_MATCH_FILTER = 0x1
ERROR_INVALID_SID = 1337
ERROR_INVALID_SECURITY_DESCR = 1338

SID_REVISION = 1
SID_MAX_SUB_AUTHORITIES = 15
SECURITY_DESCRIPTOR_REVISION = 1
ACL_REVISION = 2
ACL_REVISION_DS = 4

ACCESS_ALLOWED_ACE_TYPE = 0
ACCESS_DENIED_ACE_TYPE = 1
SYSTEM_AUDIT_ACE_TYPE = 2

SE_OWNER_DEFAULTED = 0x0001
SE_GROUP_DEFAULTED = 0x0002
SE_DACL_PRESENT = 0x0004
SE_DACL_DEFAULTED = 0x0008
SE_SACL_PRESENT = 0x0010
SE_SACL_DEFAULTED = 0x0020
SE_DACL_AUTO_INHERIT_REQ = 0x0100
SE_SACL_AUTO_INHERIT_REQ = 0x0200
SE_DACL_AUTO_INHERITED = 0x0400
SE_SACL_AUTO_INHERITED = 0x0800
SE_DACL_PROTECTED = 0x1000
SE_SACL_PROTECTED = 0x2000
SE_SELF_RELATIVE = 0x8000

INHERIT_ONLY_ACE = 0x08

# Two-letter SID aliases of SDDL whose SID does not depend on the machine or domain.
SDDL_SID_ALIASES: Mapping[str, str] = {
    "WD": "S-1-1-0",           # Everyone
    "CO": "S-1-3-0",           # Creator owner
    "CG": "S-1-3-1",           # Creator group
    "OW": "S-1-3-4",           # Owner rights
    "NU": "S-1-5-2",           # Network logon users
    "IU": "S-1-5-4",           # Interactive users
    "SU": "S-1-5-6",           # Service logon users
    "AN": "S-1-5-7",           # Anonymous
    "ED": "S-1-5-9",           # Enterprise domain controllers
    "PS": "S-1-5-10",          # Principal self
    "AU": "S-1-5-11",          # Authenticated users
    "RC": "S-1-5-12",          # Restricted code
    "SY": "S-1-5-18",          # Local system
    "LS": "S-1-5-19",          # Local service
    "NS": "S-1-5-20",          # Network service
    "WR": "S-1-5-33",          # Write restricted code
    "BA": "S-1-5-32-544",      # Builtin administrators
    "BU": "S-1-5-32-545",      # Builtin users
    "BG": "S-1-5-32-546",      # Builtin guests
    "PU": "S-1-5-32-547",      # Power users
    "AO": "S-1-5-32-548",      # Account operators
    "SO": "S-1-5-32-549",      # Server operators
    "PO": "S-1-5-32-550",      # Printer operators
    "BO": "S-1-5-32-551",      # Backup operators
    "RE": "S-1-5-32-552",      # Replicator
    "RU": "S-1-5-32-554",      # Pre-Windows 2000 compatible access
    "RD": "S-1-5-32-555",      # Remote desktop users
    "NO": "S-1-5-32-556",      # Network configuration operators
    "MU": "S-1-5-32-558",      # Performance monitor users
    "LU": "S-1-5-32-559",      # Performance log users
    "IS": "S-1-5-32-568",      # IIS users
    "CY": "S-1-5-32-569",      # Cryptographic operators
    "ER": "S-1-5-32-573",      # Event log readers
    "RA": "S-1-5-32-575",      # RDS remote access servers
    "HA": "S-1-5-32-578",      # Hyper-V administrators
    "AA": "S-1-5-32-579",      # Access control assistance operators
    "RM": "S-1-5-32-580",      # Remote management users
    "UD": "S-1-5-84-0-0-0-0-0",  # User-mode drivers
    "AC": "S-1-15-2-1",        # All application packages
    "LW": "S-1-16-4096",       # Low integrity
    "ME": "S-1-16-8192",       # Medium integrity
    "MP": "S-1-16-8448",       # Medium-plus integrity
    "HI": "S-1-16-12288",      # High integrity
    "SI": "S-1-16-16384",      # System integrity
    "AS": "S-1-18-1",          # Authentication authority asserted identity
    "SS": "S-1-18-2",          # Service asserted identity
}
_ALIAS_OF_SID = {sid: alias for alias, sid in SDDL_SID_ALIASES.items()}

_ACE_TYPES = {"A": ACCESS_ALLOWED_ACE_TYPE, "D": ACCESS_DENIED_ACE_TYPE, "AU": SYSTEM_AUDIT_ACE_TYPE}
_ACE_TYPE_NAMES = {v: k for k, v in _ACE_TYPES.items()}
_ACE_FLAGS = {"OI": 0x01, "CI": 0x02, "NP": 0x04, "IO": 0x08, "ID": 0x10, "SA": 0x40, "FA": 0x80}
_ACE_FLAG_ORDER = ("OI", "CI", "NP", "IO", "ID", "SA", "FA")
_RIGHTS = {
    "GA": 0x10000000, "GR": 0x80000000, "GW": 0x40000000, "GX": 0x20000000,
    "RC": 0x00020000, "SD": 0x00010000, "WD": 0x00040000, "WO": 0x00080000,
    "RP": 0x00000010, "WP": 0x00000020, "CC": 0x00000001, "DC": 0x00000002,
    "LC": 0x00000004, "SW": 0x00000008, "LO": 0x00000080, "DT": 0x00000040,
    "CR": 0x00000100,
    "FA": 0x001F01FF, "FR": 0x00120089, "FW": 0x00120116, "FX": 0x001200A0,
    "KA": 0x000F003F, "KR": 0x00020019, "KW": 0x00020006, "KX": 0x00020019,
}
_ACL_FLAGS = {  # SDDL flag -> (DACL control bit, SACL control bit)
    "P": (SE_DACL_PROTECTED, SE_SACL_PROTECTED),
    "AI": (SE_DACL_AUTO_INHERITED, SE_SACL_AUTO_INHERITED),
    "AR": (SE_DACL_AUTO_INHERIT_REQ, SE_SACL_AUTO_INHERIT_REQ),
}

_SID_STRING = re.compile(r"^[sS]-1-(0[xX][0-9a-fA-F]{1,12}|[0-9]{1,15})((?:-[0-9]{1,10}){0,15})$")

SidLike = Union[str, bytes, bytearray, memoryview]


# --------------------------------------------------------------------------------------------
# SIDs
# --------------------------------------------------------------------------------------------

def _bad_sid(value: object, reason: str, field: str = "sid") -> ValidationError:
    return ValidationError(ERROR_INVALID_SID, field=field, value=value, reason=reason)


def is_sid_string(text: str) -> bool:
    """True if ``text`` has the ``S-1-...`` shape (numbers are range-checked by sid_to_bytes)."""
    return bool(_SID_STRING.match(text))


def sid_length(data: Union[bytes, bytearray, memoryview], offset: int = 0) -> int:
    """Length in bytes of the binary SID at ``offset``; ValidationError if it is not one."""
    buf = bytes(data[offset:offset + 8])
    if len(buf) < 8:
        raise _bad_sid(bytes(data[offset:]), "a SID needs at least 8 bytes")
    if buf[0] != SID_REVISION:
        raise _bad_sid(bytes(data[offset:offset + 8]), f"SID revision {buf[0]} is not 1")
    count = buf[1]
    if count > SID_MAX_SUB_AUTHORITIES:
        raise _bad_sid(bytes(data[offset:offset + 8]),
                       f"{count} sub-authorities (at most {SID_MAX_SUB_AUTHORITIES})")
    length = 8 + 4 * count
    if offset + length > len(data):
        raise _bad_sid(bytes(data[offset:]), f"truncated: {count} sub-authorities need {length} bytes")
    return length


def _sid_string_to_bytes(text: str, field: str) -> bytes:
    m = _SID_STRING.match(text)
    if not m:
        raise _bad_sid(text, "not a SID string S-1-<authority>-<sub>... or a known SDDL alias", field)
    auth_text, subs_text = m.group(1), m.group(2)
    authority = int(auth_text, 16) if auth_text[:2].lower() == "0x" else int(auth_text)
    if authority >= 1 << 48:
        raise _bad_sid(text, "identifier authority exceeds 48 bits", field)
    subs = [int(s) for s in subs_text.split("-")[1:]]
    for s in subs:
        if s >= 1 << 32:
            raise _bad_sid(text, f"sub-authority {s} exceeds 32 bits", field)
    return (bytes([SID_REVISION, len(subs)]) + authority.to_bytes(6, "big")
            + struct.pack(f"<{len(subs)}I", *subs))


def sid_to_bytes(sid: SidLike, *, field: str = "sid") -> bytes:
    """The binary SID for ``sid``: a ``S-1-...`` string, a two-letter SDDL alias or binary SID.

    Binary input is validated (revision 1, at most 15 sub-authorities, exact length) and
    returned unchanged.  Errors are ValidationError with ERROR_INVALID_SID (1337).
    """
    if isinstance(sid, str):
        alias = SDDL_SID_ALIASES.get(sid.upper()) if len(sid) == 2 else None
        return _sid_string_to_bytes(alias or sid, field)
    if isinstance(sid, (bytes, bytearray, memoryview)):
        data = bytes(sid)
        if sid_length(data) != len(data):
            raise _bad_sid(data, f"{len(data) - sid_length(data)} bytes after the SID", field)
        return data
    raise _bad_sid(sid, "a SID is a 'S-1-...' string, an SDDL alias or bytes", field)


def sid_to_string(sid: SidLike) -> str:
    """The canonical ``S-1-...`` string of a SID given as binary, string or alias."""
    data = sid_to_bytes(sid)
    authority = int.from_bytes(data[2:8], "big")
    auth_text = str(authority) if authority < 1 << 32 else f"0x{authority:012x}"
    subs = struct.unpack_from(f"<{data[1]}I", data, 8)
    return "S-1-" + auth_text + "".join(f"-{s}" for s in subs)


def _sid_to_sddl(data: bytes) -> str:
    text = sid_to_string(data)
    return _ALIAS_OF_SID.get(text, text)


# --------------------------------------------------------------------------------------------
# ACLs and security descriptors: the parsed form
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ace:
    """One ACE of the kinds this module handles: allowed (0), denied (1) or audit (2)."""

    type: int
    flags: int
    mask: int
    sid: str  # canonical "S-1-..." string

    def to_bytes(self) -> bytes:
        sid = sid_to_bytes(self.sid)
        return struct.pack("<BBHI", self.type, self.flags, 8 + len(sid), self.mask) + sid


@dataclass(frozen=True)
class Acl:
    """An ACL: its revision and its ACEs in order."""

    aces: Tuple[Ace, ...] = ()
    revision: int = ACL_REVISION

    def to_bytes(self) -> bytes:
        body = b"".join(ace.to_bytes() for ace in self.aces)
        return struct.pack("<BBHHH", self.revision, 0, 8 + len(body), len(self.aces), 0) + body


@dataclass(frozen=True)
class ParsedSD:
    """The parts of a security descriptor.  ``dacl``/``sacl`` None with the PRESENT bit set
    is a NULL ACL (everything allowed); without the bit the ACL is absent."""

    control: int
    owner: Optional[str] = None
    group: Optional[str] = None
    sacl: Optional[Acl] = None
    dacl: Optional[Acl] = None

    def to_bytes(self) -> bytes:
        """Serialise as a self-relative SD: header, owner, group, SACL, DACL."""
        parts = []
        offsets = []
        position = 20
        for blob in (None if self.owner is None else sid_to_bytes(self.owner),
                     None if self.group is None else sid_to_bytes(self.group),
                     None if self.sacl is None else self.sacl.to_bytes(),
                     None if self.dacl is None else self.dacl.to_bytes()):
            if blob is None:
                offsets.append(0)
                continue
            offsets.append(position)
            parts.append(blob)
            position += len(blob)
        control = self.control | SE_SELF_RELATIVE
        header = struct.pack("<BBHIIII", SECURITY_DESCRIPTOR_REVISION, 0, control, *offsets)
        return header + b"".join(parts)


def _bad_sd(value: object, reason: str, field: str = "security descriptor") -> ValidationError:
    return ValidationError(ERROR_INVALID_SECURITY_DESCR, field=field, value=value, reason=reason)


def _parse_acl(data: bytes, offset: int, what: str) -> Acl:
    if offset + 8 > len(data):
        raise _bad_sd(data, f"{what} header at offset {offset} runs past the end ({len(data)} bytes)")
    revision, _sbz1, size, count, _sbz2 = struct.unpack_from("<BBHHH", data, offset)
    if revision not in (ACL_REVISION, ACL_REVISION_DS):
        raise _bad_sd(data, f"{what} revision {revision} (expected 2 or 4)")
    if size < 8 or offset + size > len(data):
        raise _bad_sd(data, f"{what} size {size} at offset {offset} does not fit in {len(data)} bytes")
    aces = []
    position = offset + 8
    end = offset + size
    for index in range(count):
        if position + 4 > end:
            raise _bad_sd(data, f"{what} ACE {index} runs past the ACL ({count} ACEs, {size} bytes)")
        ace_type, ace_flags, ace_size = struct.unpack_from("<BBH", data, position)
        if ace_size < 8 or position + ace_size > end:
            raise _bad_sd(data, f"{what} ACE {index} size {ace_size} does not fit in the ACL")
        if ace_type not in _ACE_TYPE_NAMES:
            raise _bad_sd(data, f"{what} ACE {index} has type {ace_type}; only allowed (0), "
                                "denied (1) and audit (2) ACEs are supported")
        (mask,) = struct.unpack_from("<I", data, position + 4)
        sid_bytes = data[position + 8:position + ace_size]
        try:
            sid_len = sid_length(sid_bytes)
        except ValidationError as exc:
            raise _bad_sd(data, f"{what} ACE {index}: {exc.reason}") from None
        aces.append(Ace(ace_type, ace_flags, mask, sid_to_string(sid_bytes[:sid_len])))
        position += ace_size
    return Acl(tuple(aces), revision)


def parse_sd(data: Union[bytes, bytearray, memoryview], *,
             field: str = "security descriptor") -> ParsedSD:
    """Parse a self-relative security descriptor; ValidationError (ERROR_INVALID_SECURITY_DESCR,
    1338) if it is malformed: wrong revision, not self-relative, an offset or a size outside
    the blob, a bad ACL or SID."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _bad_sd(data, "a security descriptor is bytes or an SDDL string", field)
    blob = bytes(data)
    if len(blob) < 20:
        raise _bad_sd(blob, f"{len(blob)} bytes is shorter than the 20-byte header", field)
    revision, _sbz1, control, owner_at, group_at, sacl_at, dacl_at = struct.unpack_from("<BBHIIII", blob)
    if revision != SECURITY_DESCRIPTOR_REVISION:
        raise _bad_sd(blob, f"revision {revision} (expected 1)", field)
    if not control & SE_SELF_RELATIVE:
        raise _bad_sd(blob, "not self-relative (SE_SELF_RELATIVE 0x8000 is not set)", field)
    for name, at in (("owner", owner_at), ("group", group_at), ("SACL", sacl_at), ("DACL", dacl_at)):
        if at and at < 20:
            raise _bad_sd(blob, f"{name} offset {at} points into the header", field)

    def sid_at(at: int, name: str) -> Optional[str]:
        if not at:
            return None
        try:
            return sid_to_string(blob[at:at + sid_length(blob, at)])
        except ValidationError as exc:
            raise _bad_sd(blob, f"{name} at offset {at}: {exc.reason}", field) from None

    try:
        sacl = _parse_acl(blob, sacl_at, "SACL") if control & SE_SACL_PRESENT and sacl_at else None
        dacl = _parse_acl(blob, dacl_at, "DACL") if control & SE_DACL_PRESENT and dacl_at else None
    except ValidationError as exc:
        raise _bad_sd(blob, exc.reason, field) from None
    return ParsedSD(control & ~SE_SELF_RELATIVE, sid_at(owner_at, "owner"), sid_at(group_at, "group"),
                    sacl, dacl)


# --------------------------------------------------------------------------------------------
# SDDL
# --------------------------------------------------------------------------------------------

_COMPONENT = re.compile(r"([OGDS]):")


def _parse_rights(text: str, sddl: str) -> int:
    if not text:
        raise _bad_sd(sddl, "an ACE needs access rights")
    if text[0].isdigit():
        try:
            mask = int(text, 0)
        except ValueError:
            raise _bad_sd(sddl, f"access rights {text!r} are not a number") from None
        if mask >= 1 << 32:
            raise _bad_sd(sddl, f"access rights {text} exceed 32 bits")
        return mask
    if len(text) % 2:
        raise _bad_sd(sddl, f"access rights {text!r} are neither a number nor two-letter rights")
    mask = 0
    for i in range(0, len(text), 2):
        letters = text[i:i + 2].upper()
        if letters not in _RIGHTS:
            raise _bad_sd(sddl, f"unknown access right {letters!r} in {text!r}")
        mask |= _RIGHTS[letters]
    return mask


def _parse_ace(text: str, sddl: str, in_sacl: bool) -> Ace:
    parts = text.split(";")
    if len(parts) != 6:
        raise _bad_sd(sddl, f"ACE ({text}) needs 6 ';'-separated parts (conditional and "
                            "resource-attribute ACEs are not supported)")
    type_text, flags_text, rights_text, object_guid, inherit_guid, sid_text = parts
    ace_type = _ACE_TYPES.get(type_text.upper())
    if ace_type is None:
        raise _bad_sd(sddl, f"ACE type {type_text!r} is not supported (A, D or AU)")
    if (ace_type == SYSTEM_AUDIT_ACE_TYPE) != in_sacl:
        raise _bad_sd(sddl, f"ACE type {type_text!r} does not belong in a {'SACL' if in_sacl else 'DACL'}")
    if object_guid or inherit_guid:
        raise _bad_sd(sddl, "object ACEs (with object GUIDs) are not supported")
    if len(flags_text) % 2:
        raise _bad_sd(sddl, f"ACE flags {flags_text!r} are not two-letter flags")
    flags = 0
    for i in range(0, len(flags_text), 2):
        letters = flags_text[i:i + 2].upper()
        if letters not in _ACE_FLAGS:
            raise _bad_sd(sddl, f"unknown ACE flag {letters!r}")
        flags |= _ACE_FLAGS[letters]
    try:
        sid = sid_to_string(sid_text)
    except ValidationError as exc:
        raise _bad_sd(sddl, f"ACE SID {sid_text!r}: {exc.reason}") from None
    return Ace(ace_type, flags, _parse_rights(rights_text, sddl), sid)


def _parse_acl_text(text: str, sddl: str, is_sacl: bool) -> Tuple[int, Optional[Acl]]:
    """(control bits, ACL or None for a NULL ACL) from 'flags(ace)(ace)...'."""
    which = 1 if is_sacl else 0
    present = SE_SACL_PRESENT if is_sacl else SE_DACL_PRESENT
    control = present
    split = text.find("(")
    head, rest = (text, "") if split < 0 else (text[:split], text[split:])
    position = 0
    flags_text = head.upper()
    null_acl = False
    while position < len(flags_text):
        if flags_text.startswith("NO_ACCESS_CONTROL", position):
            null_acl = True
            position += len("NO_ACCESS_CONTROL")
            continue
        for name, bits in _ACL_FLAGS.items():
            if flags_text.startswith(name, position):
                control |= bits[which]
                position += len(name)
                break
        else:
            raise _bad_sd(sddl, f"unknown ACL flag at {head[position:]!r}")
    if null_acl:
        if rest:
            raise _bad_sd(sddl, "NO_ACCESS_CONTROL (a NULL ACL) cannot have ACEs")
        return control, None
    aces = []
    while rest:
        if not rest.startswith("("):
            raise _bad_sd(sddl, f"expected '(' at {rest!r}")
        close = rest.find(")")
        if close < 0:
            raise _bad_sd(sddl, f"unterminated ACE {rest!r}")
        aces.append(_parse_ace(rest[1:close], sddl, is_sacl))
        rest = rest[close + 1:]
    return control, Acl(tuple(aces))


def sddl_to_parsed(sddl: str) -> ParsedSD:
    """Parse an SDDL string into its parts (see the module docstring for the subset)."""
    if not isinstance(sddl, str):
        raise _bad_sd(sddl, "SDDL must be a str")
    text = "".join(sddl.split())
    if not text:
        raise _bad_sd(sddl, "empty SDDL string")
    matches = list(_COMPONENT.finditer(text))
    if not matches or matches[0].start() != 0:
        raise _bad_sd(sddl, "SDDL must start with O:, G:, D: or S:")
    seen = set()
    control = 0
    owner = group = None
    dacl = sacl = None
    # Components start only outside an ACE's parentheses.
    starts = [m for m in matches
              if text.count("(", 0, m.start()) == text.count(")", 0, m.start())]
    ends = [m.start() for m in starts[1:]] + [len(text)]
    for m, end in zip(starts, ends):
        kind, body = m.group(1), text[m.end():end]
        if kind in seen:
            raise _bad_sd(sddl, f"component {kind}: appears twice")
        seen.add(kind)
        if kind in "OG":
            try:
                sid = sid_to_string(body)
            except ValidationError as exc:
                raise _bad_sd(sddl, f"{kind}: {exc.reason}") from None
            if kind == "O":
                owner = sid
            else:
                group = sid
        else:
            bits, acl = _parse_acl_text(body, sddl, is_sacl=(kind == "S"))
            control |= bits
            if kind == "D":
                dacl = acl
            else:
                sacl = acl
    return ParsedSD(control, owner, group, sacl, dacl)


def sddl_to_sd(sddl: str) -> bytes:
    """The self-relative security descriptor for an SDDL string.

    ``sddl_to_sd("D:(A;;0x1;;;WD)")`` is the 48-byte SD whose DACL grants
    FWP_ACTRL_MATCH_FILTER to Everyone.  Errors are ValidationError with
    ERROR_INVALID_SECURITY_DESCR (1338).
    """
    return sddl_to_parsed(sddl).to_bytes()


def _acl_to_sddl(acl: Optional[Acl], control: int, is_sacl: bool) -> str:
    which = 1 if is_sacl else 0
    flags = "".join(name for name, bits in _ACL_FLAGS.items() if control & bits[which])
    if acl is None:
        return flags + "NO_ACCESS_CONTROL"
    aces = []
    for ace in acl.aces:
        ace_flags = "".join(name for name in _ACE_FLAG_ORDER if ace.flags & _ACE_FLAGS[name])
        sid = _ALIAS_OF_SID.get(ace.sid, ace.sid)
        aces.append(f"({_ACE_TYPE_NAMES[ace.type]};{ace_flags};0x{ace.mask:x};;;{sid})")
    return flags + "".join(aces)


def sd_to_sddl(sd: Union[bytes, bytearray, memoryview]) -> str:
    """The canonical SDDL of a self-relative security descriptor (for display and checks)."""
    parsed = parse_sd(sd)
    out = []
    if parsed.owner is not None:
        out.append("O:" + _ALIAS_OF_SID.get(parsed.owner, parsed.owner))
    if parsed.group is not None:
        out.append("G:" + _ALIAS_OF_SID.get(parsed.group, parsed.group))
    if parsed.control & SE_DACL_PRESENT:
        out.append("D:" + _acl_to_sddl(parsed.dacl, parsed.control, is_sacl=False))
    if parsed.control & SE_SACL_PRESENT:
        out.append("S:" + _acl_to_sddl(parsed.sacl, parsed.control, is_sacl=True))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# The value type and the access check
# --------------------------------------------------------------------------------------------

class SecurityDescriptor(bytes):
    """A self-relative security descriptor: ``bytes`` that were checked to be one.

    Build it from SDDL (``SecurityDescriptor("D:(A;;0x1;;;WD)")``) or from bytes, which are
    validated and kept as they are.  It compares and hashes as its bytes, so a condition built
    with raw bytes equals the same condition read back from the engine.
    """

    def __new__(cls, value: Union[str, bytes, bytearray, memoryview]) -> "SecurityDescriptor":
        if isinstance(value, SecurityDescriptor):
            return value
        if isinstance(value, str):
            return super().__new__(cls, sddl_to_sd(value))
        parse_sd(value)
        return super().__new__(cls, bytes(value))

    @classmethod
    def from_sddl(cls, sddl: str) -> "SecurityDescriptor":
        """The descriptor an SDDL string describes."""
        return cls(sddl_to_sd(sddl))

    @property
    def sddl(self) -> str:
        """Its canonical SDDL text."""
        return sd_to_sddl(self)

    @property
    def parsed(self) -> ParsedSD:
        """Owner, group, control bits and ACLs."""
        return parse_sd(self)

    def grants(self, sids: Iterable[SidLike], access: int = FWP_ACTRL_MATCH_FILTER) -> bool:
        """Whether a token holding ``sids`` is granted ``access`` (see :func:`sd_grants`)."""
        return sd_grants(self, sids, access)

    def __repr__(self) -> str:
        return f"SecurityDescriptor({self.sddl!r})"

    def __str__(self) -> str:
        return self.sddl

    def __reduce__(self):
        return (SecurityDescriptor, (bytes(self),))


def sd_grants(sd: Union[bytes, bytearray, memoryview, str], sids: Iterable[SidLike],
              access: int = FWP_ACTRL_MATCH_FILTER) -> bool:
    """Evaluate the DACL of ``sd`` for a token holding ``sids``, as AccessCheck does.

    No DACL or a NULL DACL grants everything; an empty DACL grants nothing.  ACEs are read in
    order, skipping inherit-only ones and ones whose SID the token lacks: a denied ACE that
    covers any requested bit not yet granted denies, allowed ACEs add their bits, and access is
    granted once every requested bit is.  Masks are compared as they are: generic rights (GA,
    GR, ...) are not mapped, because WFP asks for the specific right FWP_ACTRL_MATCH_FILTER.
    """
    parsed = sddl_to_parsed(sd) if isinstance(sd, str) else parse_sd(sd)
    if not parsed.control & SE_DACL_PRESENT or parsed.dacl is None:
        return True
    held = {sid_to_string(s) for s in sids}
    remaining = access
    if remaining == 0:
        return True
    for ace in parsed.dacl.aces:
        if ace.flags & INHERIT_ONLY_ACE or ace.sid not in held:
            continue
        if ace.type == ACCESS_DENIED_ACE_TYPE and ace.mask & remaining:
            return False
        if ace.type == ACCESS_ALLOWED_ACE_TYPE:
            remaining &= ~ace.mask
            if not remaining:
                return True
    return False
