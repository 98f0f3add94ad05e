"""ctypes baseline: WFP from Python the way ctypes wrappers do it today, against the same engine.

Per rule, Python builds one ctypes FWPM_FILTER0 and an array of FWPM_FILTER_CONDITION0, then makes
one filter_add call through the backend table; all adds share one transaction.  Enumeration walks
the enum handle in pages and turns each FWPM_FILTER0 into a Python object.  The engine is the
tree's core + embedded engine built as a shared library (benchmarks/_build.py), reached through
wfp_sim_backend(), so the only difference from the C floor and the Python API is the marshalling.

    python benchmarks/ctypes_baseline.py N      # prints one JSON line like the C floor
"""
from __future__ import annotations

import ctypes
import ipaddress
import json
import sys
import uuid
from ctypes import (
    CFUNCTYPE, POINTER, Structure, Union, byref, c_char_p, c_double, c_float, c_int8, c_int16,
    c_int32, c_int64, c_size_t, c_uint8, c_uint16, c_uint32, c_uint64, c_void_p, cast, sizeof,
)
from pathlib import Path
from typing import NamedTuple, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _build  # noqa: E402
from _rules import BENCH_PROVIDER, BENCH_SUBLAYER, RuleSpec, rule_specs  # noqa: E402
from _resources import peak_rss_bytes, timed  # noqa: E402

# ---- FWPM mirror types, as a ctypes wrapper declares them -----------------------------------

WFP_EMPTY, WFP_UINT8, WFP_UINT16, WFP_UINT32, WFP_UINT64 = 0, 1, 2, 3, 4
WFP_MATCH_EQUAL = 0
WFP_ACTION_BLOCK, WFP_ACTION_PERMIT = 0x1001, 0x1002
WFP_SESSION_FLAG_DYNAMIC = 0x1
WFP_FILTER_ENUM_OVERLAPPING = 1
RPC_C_AUTHN_WINNT = 10
ENUM_PAGE = 8192

LAYER_ALE_AUTH_CONNECT_V4 = uuid.UUID("c38d57d1-05a7-4c33-904f-7fbceee60e82")
CONDITION_IP_REMOTE_ADDRESS = uuid.UUID("b235ae9a-1d64-49b8-a44c-5ff3d9095045")
CONDITION_IP_REMOTE_PORT = uuid.UUID("c35a604d-d22b-4e1a-91b4-68f674ee674b")
CONDITION_IP_PROTOCOL = uuid.UUID("3971ef2b-623e-4f9a-8cb1-6e79b806b9a7")


class GUID(Structure):
    _fields_ = [("Data1", c_uint32), ("Data2", c_uint16), ("Data3", c_uint16),
                ("Data4", c_uint8 * 8)]

    @classmethod
    def from_uuid(cls, value: uuid.UUID) -> "GUID":
        return cls.from_buffer_copy(value.bytes_le)

    def to_uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes_le=bytes(self))


class FWPM_DISPLAY_DATA0(Structure):
    _fields_ = [("name", POINTER(c_uint16)), ("description", POINTER(c_uint16))]


class FWP_BYTE_BLOB(Structure):
    _fields_ = [("size", c_uint32), ("data", POINTER(c_uint8))]


class _ValueUnion(Union):
    _fields_ = [("uint8", c_uint8), ("uint16", c_uint16), ("uint32", c_uint32),
                ("uint64", POINTER(c_uint64)), ("int8", c_int8), ("int16", c_int16),
                ("int32", c_int32), ("int64", POINTER(c_int64)), ("float32", c_float),
                ("double64", POINTER(c_double)), ("pointer", c_void_p)]


class FWP_VALUE0(Structure):
    _anonymous_ = ("u",)
    _fields_ = [("type", c_uint32), ("u", _ValueUnion)]


class FWP_CONDITION_VALUE0(Structure):
    _anonymous_ = ("u",)
    _fields_ = [("type", c_uint32), ("u", _ValueUnion)]


class FWPM_FILTER_CONDITION0(Structure):
    _fields_ = [("fieldKey", GUID), ("matchType", c_uint32),
                ("conditionValue", FWP_CONDITION_VALUE0)]


class FWPM_ACTION0(Structure):
    _fields_ = [("type", c_uint32), ("filterType", GUID)]


class _ContextUnion(Union):
    _fields_ = [("rawContext", c_uint64), ("providerContextKey", GUID)]


class FWPM_FILTER0(Structure):
    _anonymous_ = ("context",)
    _fields_ = [("filterKey", GUID), ("displayData", FWPM_DISPLAY_DATA0), ("flags", c_uint32),
                ("providerKey", POINTER(GUID)), ("providerData", FWP_BYTE_BLOB),
                ("layerKey", GUID), ("subLayerKey", GUID), ("weight", FWP_VALUE0),
                ("numFilterConditions", c_uint32),
                ("filterCondition", POINTER(FWPM_FILTER_CONDITION0)),
                ("action", FWPM_ACTION0), ("context", _ContextUnion),
                ("reserved", POINTER(GUID)), ("filterId", c_uint64),
                ("effectiveWeight", FWP_VALUE0)]


class FWPM_SESSION0(Structure):
    _fields_ = [("sessionKey", GUID), ("displayData", FWPM_DISPLAY_DATA0), ("flags", c_uint32),
                ("txnWaitTimeoutInMSec", c_uint32), ("processId", c_uint32),
                ("sid", c_void_p), ("username", POINTER(c_uint16)), ("kernelMode", c_uint32)]


class FWPM_PROVIDER0(Structure):
    _fields_ = [("providerKey", GUID), ("displayData", FWPM_DISPLAY_DATA0), ("flags", c_uint32),
                ("providerData", FWP_BYTE_BLOB), ("serviceName", POINTER(c_uint16))]


class FWPM_SUBLAYER0(Structure):
    _fields_ = [("subLayerKey", GUID), ("displayData", FWPM_DISPLAY_DATA0), ("flags", c_uint32),
                ("providerKey", POINTER(GUID)), ("providerData", FWP_BYTE_BLOB),
                ("weight", c_uint16)]


class FWPM_FILTER_ENUM_TEMPLATE0(Structure):
    _fields_ = [("providerKey", POINTER(GUID)), ("layerKey", GUID), ("enumType", c_uint32),
                ("flags", c_uint32), ("providerContextTemplate", c_void_p),
                ("numFilterConditions", c_uint32),
                ("filterCondition", POINTER(FWPM_FILTER_CONDITION0)),
                ("actionMask", c_uint32), ("calloutKey", POINTER(GUID))]


class SimStats(Structure):
    _fields_ = [("providers", c_size_t), ("sublayers", c_size_t), ("filters", c_size_t),
                ("sessions", c_size_t), ("heap_bytes", c_size_t), ("next_filter_id", c_uint64)]


assert sizeof(FWPM_FILTER0) == 200, sizeof(FWPM_FILTER0)
assert sizeof(FWPM_FILTER_CONDITION0) == 40, sizeof(FWPM_FILTER_CONDITION0)

HANDLE = c_void_p
_status = c_uint32
_FilterPage = POINTER(POINTER(FWPM_FILTER0))

# The backend table, in core.h's order; only the slots this baseline calls are typed.
_BACKEND_SLOTS = [
    ("name", c_char_p),
    ("engine_open", CFUNCTYPE(_status, c_void_p, c_uint32, c_void_p, POINTER(FWPM_SESSION0),
                              POINTER(HANDLE))),
    ("engine_close", CFUNCTYPE(_status, HANDLE)),
    ("transaction_begin", CFUNCTYPE(_status, HANDLE, c_uint32)),
    ("transaction_commit", CFUNCTYPE(_status, HANDLE)),
    ("transaction_abort", CFUNCTYPE(_status, HANDLE)),
    ("provider_add", CFUNCTYPE(_status, HANDLE, POINTER(FWPM_PROVIDER0), c_void_p)),
    ("provider_delete_by_key", c_void_p), ("provider_get_by_key", c_void_p),
    ("provider_create_enum_handle", c_void_p), ("provider_enum", c_void_p),
    ("provider_destroy_enum_handle", c_void_p),
    ("sublayer_add", CFUNCTYPE(_status, HANDLE, POINTER(FWPM_SUBLAYER0), c_void_p)),
    ("sublayer_delete_by_key", c_void_p), ("sublayer_get_by_key", c_void_p),
    ("sublayer_create_enum_handle", c_void_p), ("sublayer_enum", c_void_p),
    ("sublayer_destroy_enum_handle", c_void_p),
    ("filter_add", CFUNCTYPE(_status, HANDLE, POINTER(FWPM_FILTER0), c_void_p,
                             POINTER(c_uint64))),
    ("filter_delete_by_id", c_void_p), ("filter_delete_by_key", c_void_p),
    ("filter_get_by_id", c_void_p), ("filter_get_by_key", c_void_p),
    ("filter_create_enum_handle", CFUNCTYPE(_status, HANDLE,
                                            POINTER(FWPM_FILTER_ENUM_TEMPLATE0),
                                            POINTER(HANDLE))),
    ("filter_enum", CFUNCTYPE(_status, HANDLE, HANDLE, c_uint32, POINTER(_FilterPage),
                              POINTER(c_uint32))),
    ("filter_destroy_enum_handle", CFUNCTYPE(_status, HANDLE, HANDLE)),
    ("layer_get_by_key", c_void_p), ("layer_create_enum_handle", c_void_p),
    ("layer_enum", c_void_p), ("layer_destroy_enum_handle", c_void_p),
    ("net_event_create_enum_handle", c_void_p), ("net_event_enum", c_void_p),
    ("net_event_destroy_enum_handle", c_void_p),
    ("free_memory", CFUNCTYPE(None, POINTER(c_void_p))),
    ("get_app_id_from_file_name", c_void_p),
]


class Backend(Structure):
    _fields_ = _BACKEND_SLOTS


class FilterRecord(NamedTuple):
    """A filter read back, converted to Python values as a wrapper returns it."""

    id: int
    key: uuid.UUID
    name: str
    layer: uuid.UUID
    sublayer: uuid.UUID
    action: int
    effective_weight: Optional[int]
    conditions: tuple


class WFPCallError(OSError):
    pass


def _check(status: int, call: str) -> None:
    if status != 0:
        raise WFPCallError(status, f"{call} failed with 0x{status:08x}")


def _utf16(text: str) -> ctypes.Array:
    """A NUL-terminated UTF-16LE buffer (WCHAR is 16 bits; Linux's wchar_t is not)."""
    return ctypes.create_string_buffer(text.encode("utf-16-le") + b"\0\0")


def _wchar_ptr(buffer: ctypes.Array) -> ctypes._Pointer:
    return cast(buffer, POINTER(c_uint16))


class CtypesSession:
    """One dynamic session on a fresh embedded engine, driven only through ctypes."""

    def __init__(self, library_path: Optional[Path] = None) -> None:
        self.lib = ctypes.CDLL(str(library_path or _build.build_engine_library()))
        self.lib.wfp_sim_backend.restype = POINTER(Backend)
        self.lib.wfp_sim_engine_create.argtypes = [c_char_p, POINTER(c_void_p)]
        self.lib.wfp_sim_engine_create.restype = c_uint32
        self.lib.wfp_sim_engine_release.argtypes = [c_void_p]
        self.lib.wfp_sim_session_open.argtypes = [c_void_p, POINTER(FWPM_SESSION0), POINTER(HANDLE)]
        self.lib.wfp_sim_session_open.restype = c_uint32
        self.lib.wfp_sim_engine_stats.argtypes = [c_void_p, POINTER(SimStats)]
        self.lib.wfp_sim_engine_stats.restype = None
        self.lib.wfp_wcslen.argtypes = [c_void_p]
        self.lib.wfp_wcslen.restype = c_size_t
        self.backend = self.lib.wfp_sim_backend().contents
        self.sim_engine = c_void_p()
        _check(self.lib.wfp_sim_engine_create(None, byref(self.sim_engine)), "wfp_sim_engine_create")
        self._keep = [_utf16("wfpkit ctypes baseline")]
        session = FWPM_SESSION0()
        session.displayData.name = _wchar_ptr(self._keep[0])
        session.flags = WFP_SESSION_FLAG_DYNAMIC
        session.txnWaitTimeoutInMSec = 0xFFFFFFFF
        self.handle = HANDLE()
        _check(self.lib.wfp_sim_session_open(self.sim_engine, byref(session), byref(self.handle)),
               "wfp_sim_session_open")

    def close(self) -> None:
        if self.handle:
            self.backend.engine_close(self.handle)
            self.handle = HANDLE()
            self.lib.wfp_sim_engine_release(self.sim_engine)

    def stats(self) -> SimStats:
        stats = SimStats()
        self.lib.wfp_sim_engine_stats(self.sim_engine, byref(stats))
        return stats

    def add_provider_and_sublayer(self) -> None:
        name = _utf16("wfpkit benchmark")
        provider = FWPM_PROVIDER0()
        provider.providerKey = GUID.from_uuid(BENCH_PROVIDER)
        provider.displayData.name = _wchar_ptr(name)
        _check(self.backend.provider_add(self.handle, byref(provider), None), "provider_add")
        provider_key = GUID.from_uuid(BENCH_PROVIDER)
        sublayer = FWPM_SUBLAYER0()
        sublayer.subLayerKey = GUID.from_uuid(BENCH_SUBLAYER)
        sublayer.displayData.name = _wchar_ptr(name)
        sublayer.providerKey = ctypes.pointer(provider_key)
        sublayer.weight = 0x8000
        _check(self.backend.sublayer_add(self.handle, byref(sublayer), None), "sublayer_add")

    def add_rules(self, rules: Sequence[RuleSpec]) -> list[int]:
        """One struct per rule built in Python, one filter_add per rule, one transaction."""
        backend, handle = self.backend, self.handle
        _check(backend.transaction_begin(handle, 0), "transaction_begin")
        ids = []
        try:
            for rule in rules:
                conditions = (FWPM_FILTER_CONDITION0 * 3)()
                conditions[0].fieldKey = GUID.from_uuid(CONDITION_IP_REMOTE_ADDRESS)
                conditions[0].matchType = WFP_MATCH_EQUAL
                conditions[0].conditionValue.type = WFP_UINT32
                conditions[0].conditionValue.uint32 = int(rule.remote_address)
                conditions[1].fieldKey = GUID.from_uuid(CONDITION_IP_REMOTE_PORT)
                conditions[1].matchType = WFP_MATCH_EQUAL
                conditions[1].conditionValue.type = WFP_UINT16
                conditions[1].conditionValue.uint16 = rule.remote_port
                conditions[2].fieldKey = GUID.from_uuid(CONDITION_IP_PROTOCOL)
                conditions[2].matchType = WFP_MATCH_EQUAL
                conditions[2].conditionValue.type = WFP_UINT8
                conditions[2].conditionValue.uint8 = rule.protocol

                name = _utf16(rule.name)
                provider_key = GUID.from_uuid(BENCH_PROVIDER)
                flt = FWPM_FILTER0()
                flt.filterKey = GUID.from_uuid(uuid.uuid4())
                flt.displayData.name = _wchar_ptr(name)
                flt.providerKey = ctypes.pointer(provider_key)
                flt.layerKey = GUID.from_uuid(LAYER_ALE_AUTH_CONNECT_V4)
                flt.subLayerKey = GUID.from_uuid(BENCH_SUBLAYER)
                flt.weight.type = WFP_EMPTY
                flt.numFilterConditions = 3
                flt.filterCondition = conditions
                flt.action.type = WFP_ACTION_PERMIT if rule.permit else WFP_ACTION_BLOCK

                filter_id = c_uint64()
                _check(backend.filter_add(handle, byref(flt), None, byref(filter_id)), "filter_add")
                ids.append(filter_id.value)
        except BaseException:
            backend.transaction_abort(handle)
            raise
        _check(backend.transaction_commit(handle), "transaction_commit")
        return ids

    def _string(self, pointer: ctypes._Pointer) -> Optional[str]:
        if not pointer:
            return None
        address = cast(pointer, c_void_p).value
        length = self.lib.wfp_wcslen(address)
        return ctypes.string_at(address, 2 * length).decode("utf-16-le")

    def _condition(self, condition: FWPM_FILTER_CONDITION0) -> tuple:
        field = condition.fieldKey.to_uuid()
        value_type = condition.conditionValue.type
        if value_type == WFP_UINT32:
            raw = condition.conditionValue.uint32
            value = ipaddress.IPv4Address(raw) if field == CONDITION_IP_REMOTE_ADDRESS else raw
        elif value_type == WFP_UINT16:
            value = condition.conditionValue.uint16
        elif value_type == WFP_UINT8:
            value = condition.conditionValue.uint8
        else:
            value = None
        return (field, condition.matchType, value)

    def rules(self) -> list[FilterRecord]:
        """Every filter of the benchmark's provider at the layer, as Python objects."""
        backend, handle = self.backend, self.handle
        provider_key = GUID.from_uuid(BENCH_PROVIDER)
        template = FWPM_FILTER_ENUM_TEMPLATE0()
        template.providerKey = ctypes.pointer(provider_key)
        template.layerKey = GUID.from_uuid(LAYER_ALE_AUTH_CONNECT_V4)
        template.enumType = WFP_FILTER_ENUM_OVERLAPPING
        template.actionMask = 0xFFFFFFFF
        enum_handle = HANDLE()
        _check(backend.filter_create_enum_handle(handle, byref(template), byref(enum_handle)),
               "filter_create_enum_handle")
        records = []
        try:
            while True:
                entries = _FilterPage()
                returned = c_uint32()
                _check(backend.filter_enum(handle, enum_handle, ENUM_PAGE, byref(entries),
                                           byref(returned)), "filter_enum")
                try:
                    for i in range(returned.value):
                        f = entries[i].contents
                        weight = f.effectiveWeight
                        records.append(FilterRecord(
                            id=f.filterId,
                            key=f.filterKey.to_uuid(),
                            name=self._string(f.displayData.name),
                            layer=f.layerKey.to_uuid(),
                            sublayer=f.subLayerKey.to_uuid(),
                            action=f.action.type,
                            effective_weight=weight.uint64.contents.value
                            if weight.type == WFP_UINT64 and weight.uint64 else None,
                            conditions=tuple(self._condition(f.filterCondition[j])
                                             for j in range(f.numFilterConditions)),
                        ))
                finally:
                    if entries:
                        pointer = cast(entries, c_void_p)
                        backend.free_memory(byref(pointer))
                if returned.value < ENUM_PAGE:
                    break
        finally:
            backend.filter_destroy_enum_handle(handle, enum_handle)
        return records


def run(n: int) -> dict:
    """Add n rules and enumerate them in a fresh engine; the same JSON fields as the C floor."""
    rules = rule_specs(n)
    session = CtypesSession()
    try:
        session.add_provider_and_sublayer()
        result: dict = {"impl": "ctypes", "backend": "sim", "n": n}
        before = session.stats().heap_bytes
        with timed(result, "add"):
            ids = session.add_rules(rules)
        stats = session.stats()
        with timed(result, "enum"):
            records = session.rules()
        if len(ids) != n or len(records) != n:
            raise RuntimeError(f"ctypes baseline: added {len(ids)}, enumerated {len(records)}, wanted {n}")
        result.update(heap_bytes=stats.heap_bytes, engine_bytes_added=stats.heap_bytes - before,
                      filters_in_engine=stats.filters, peak_rss_bytes=peak_rss_bytes())
        return result
    finally:
        session.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} N")
    print(json.dumps(run(int(sys.argv[1]))))
