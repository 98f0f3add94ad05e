# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled binding: the only door from Python into the C core (see _core.pyi).

Two directions, named as in the design:

* compose: plain Python tuples -> mirror structs, written in one pass into one wfp_arena per call,
  followed by one call into C (with the GIL released, since any engine call may wait for
  another session's transaction);
* parse: mirror structs returned by the backend -> plain Python tuples, or wfp.Rule objects made
  directly when wfp.rules hands over its RuleFactory.  GUIDs are interned per call by their 16
  bytes, so an enumeration builds one uuid.UUID per distinct GUID, not per field.

Every call through a backend-table slot checks the slot first: a NULL slot (an fwpuclnt.dll
without that export) raises CoreError WFPKIT_E_UNSUPPORTED naming the function.

GUIDs map to uuid.UUID with the bytes_le convention (Data1..Data3 little-endian in memory):
Data1 is the UUID's first 32 bits, Data2 and Data3 the next 16 each, Data4 the last 64 in order.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.list cimport PyList_GetItem
from cpython.tuple cimport PyTuple_GetItem
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF, Py_INCREF, Py_XDECREF
from cpython.long cimport PyLong_AsUnsignedLongLong, PyLong_AsUnsignedLongLongMask
from cpython.unicode cimport PyUnicode_DecodeASCII, PyUnicode_DecodeUTF16
from libc.stdint cimport (
    uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t, SIZE_MAX,
)
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy, memset, strcmp

from wfp.includes.abi cimport *
from wfp.includes.core cimport *
from wfp.includes.errors cimport (
    wfp_error_name, wfp_error_message, WFPKIT_E_SESSION_CLOSED, WFPKIT_E_UNSUPPORTED,
)
from wfp.includes.sim cimport *


cdef extern from "Python.h":
    ctypedef struct PyTypeObject
    void PyErr_Clear()
    PyTypeObject *Py_TYPE(PyObject *o)

cdef extern from *:
    void __builtin_prefetch(const void *address) nogil
    void *PyType_GetSlot(PyTypeObject *type, int slot)
    enum:
        Py_tp_alloc
        Py_tp_descr_get
        Py_tp_descr_set
    void PyObject_GC_UnTrack(void *container)
    Py_ssize_t PyUnicode_GetLength(object text) except -1
    # Py_UCS4 is uint32_t; declared as such so Cython does arithmetic on code points.
    uint32_t *PyUnicode_AsUCS4(object text, uint32_t *buffer, Py_ssize_t size,
                               int copy_null) except NULL

ctypedef PyObject *(*alloc_function)(PyTypeObject *type, Py_ssize_t items) noexcept
ctypedef int (*descr_set_function)(PyObject *descriptor, PyObject *target,
                                   PyObject *value) noexcept
ctypedef PyObject *(*descr_get_function)(PyObject *descriptor, PyObject *target,
                                         PyObject *owner) noexcept


cdef inline object acyclic(object container):
    """container (a tuple, UUID or Rule made by parse) taken off the cyclic collector's lists.

    What parse builds holds only values and never refers back to itself, so reference counting
    frees it; left tracked, an enumeration of 100k filters would make the next collection walk
    a million objects for nothing.  Only for objects of a GC type."""
    PyObject_GC_UnTrack(<PyObject *>container)
    return container

import os
import threading as _threading
import uuid as _uuid_module

_UUID = _uuid_module.UUID
_SAFE_UNKNOWN = _uuid_module.SafeUUID.unknown
_object_new = object.__new__
# The same as C variables: a module global costs an attribute lookup on each use.
cdef type UUID_TYPE = _UUID
cdef object SAFE_UNKNOWN = _SAFE_UNKNOWN

# The SDK constants the Python layer needs, read from abi.h so they have one source.
ACTION_BLOCK = WFP_ACTION_BLOCK
ACTION_PERMIT = WFP_ACTION_PERMIT
ACTION_CALLOUT_TERMINATING = WFP_ACTION_CALLOUT_TERMINATING
ACTION_CALLOUT_INSPECTION = WFP_ACTION_CALLOUT_INSPECTION
ACTION_CALLOUT_UNKNOWN = WFP_ACTION_CALLOUT_UNKNOWN
ACTION_FLAG_CALLOUT = WFP_ACTION_FLAG_CALLOUT
FILTER_FLAG_PERSISTENT = WFP_FILTER_FLAG_PERSISTENT
FILTER_FLAG_BOOTTIME = WFP_FILTER_FLAG_BOOTTIME
FILTER_FLAG_HAS_PROVIDER_CONTEXT = WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT
FILTER_FLAG_CLEAR_ACTION_RIGHT = WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT
FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED = WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED
FILTER_FLAG_DISABLED = WFP_FILTER_FLAG_DISABLED
FILTER_FLAG_INDEXED = WFP_FILTER_FLAG_INDEXED
PROVIDER_FLAG_PERSISTENT = WFP_PROVIDER_FLAG_PERSISTENT
PROVIDER_FLAG_DISABLED = WFP_PROVIDER_FLAG_DISABLED
SUBLAYER_FLAG_PERSISTENT = WFP_SUBLAYER_FLAG_PERSISTENT
FILTER_ENUM_FULLY_CONTAINED = WFP_FILTER_ENUM_FULLY_CONTAINED
FILTER_ENUM_OVERLAPPING = WFP_FILTER_ENUM_OVERLAPPING
FILTER_ENUM_FLAG_INCLUDE_BOOTTIME = WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME
FILTER_ENUM_FLAG_INCLUDE_DISABLED = WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED
ACTION_MASK_ANY = 0xFFFFFFFF
INFINITE = WFP_INFINITE


class CoreError(OSError):
    """A backend call failed: .code is the DWORD/HRESULT, .call names the call.
    For bulk adds .index is the failing filter's position (None if a transaction call failed)."""

    def __init__(self, code, call, index=None):
        self.code = code
        self.call = call
        self.index = index
        name = error_name(code) or f"0x{code:08X}"
        where = f"{call} (filter {index})" if index is not None else call
        super().__init__(f"{where}: {name}: {error_message(code) or 'unknown error'}")

    def __reduce__(self):
        return (type(self), (self.code, self.call, self.index))


def error_name(code):
    """The SDK name of a result code ("FWP_E_ALREADY_EXISTS"), or None when unknown."""
    cdef const char *name = wfp_error_name(<uint32_t>code)
    return None if name == NULL else name.decode("ascii")


def error_message(code):
    """The message text of a result code, or None when unknown."""
    cdef const char *message = wfp_error_message(<uint32_t>code)
    return None if message == NULL else message.decode("ascii")


def sim_available():
    """The embedded engine is compiled into every build."""
    return wfp_sim_backend() != NULL


def win_available():
    """(loaded, status): whether fwpuclnt.dll's table could be built, and why not."""
    cdef uint32_t status = 0
    cdef const wfp_backend *table = wfp_win_backend(&status)
    return (table != NULL, 0 if table != NULL else status)


cdef object unsupported(const wfp_backend *table, const void *slot):
    """CoreError WFPKIT_E_UNSUPPORTED naming the fwpuclnt function whose table slot (an address
    inside table) is NULL, as on a Windows whose fwpuclnt.dll lacks that export."""
    cdef const char *name = wfp_backend_function_name(<size_t>(<const char *>slot
                                                               - <const char *>table))
    return CoreError(WFPKIT_E_UNSUPPORTED,
                     name.decode("ascii") if name != NULL else "a backend function")


cdef int require_enum_functions(const wfp_backend *table, wfp_enum_kind kind) except -1:
    """Every slot the pager calls for kind is present (checked before a handle is created, so a
    missing destroy or free never strands one)."""
    if table.free_memory == NULL:
        raise unsupported(table, &table.free_memory)
    if kind == WFP_ENUM_FILTERS:
        if table.filter_create_enum_handle == NULL:
            raise unsupported(table, &table.filter_create_enum_handle)
        if table.filter_enum == NULL:
            raise unsupported(table, &table.filter_enum)
        if table.filter_destroy_enum_handle == NULL:
            raise unsupported(table, &table.filter_destroy_enum_handle)
    elif kind == WFP_ENUM_SUBLAYERS:
        if table.sublayer_create_enum_handle == NULL:
            raise unsupported(table, &table.sublayer_create_enum_handle)
        if table.sublayer_enum == NULL:
            raise unsupported(table, &table.sublayer_enum)
        if table.sublayer_destroy_enum_handle == NULL:
            raise unsupported(table, &table.sublayer_destroy_enum_handle)
    elif kind == WFP_ENUM_PROVIDERS:
        if table.provider_create_enum_handle == NULL:
            raise unsupported(table, &table.provider_create_enum_handle)
        if table.provider_enum == NULL:
            raise unsupported(table, &table.provider_enum)
        if table.provider_destroy_enum_handle == NULL:
            raise unsupported(table, &table.provider_destroy_enum_handle)
    elif kind == WFP_ENUM_LAYERS:
        if table.layer_create_enum_handle == NULL:
            raise unsupported(table, &table.layer_create_enum_handle)
        if table.layer_enum == NULL:
            raise unsupported(table, &table.layer_enum)
        if table.layer_destroy_enum_handle == NULL:
            raise unsupported(table, &table.layer_destroy_enum_handle)
    elif kind == WFP_ENUM_NET_EVENTS:
        if table.net_event_create_enum_handle == NULL:
            raise unsupported(table, &table.net_event_create_enum_handle)
        if table.net_event_enum == NULL:
            raise unsupported(table, &table.net_event_enum)
        if table.net_event_destroy_enum_handle == NULL:
            raise unsupported(table, &table.net_event_destroy_enum_handle)
    return 0


cdef size_t function_slot_offset(str function_name) except 0:
    """The offset in wfp_backend of the slot for an fwpuclnt export ("FwpmFilterAdd0")."""
    cdef wfp_backend probe
    cdef size_t offset = <size_t>(<char *>&probe.engine_open - <char *>&probe)
    cdef const char *name
    encoded = function_name.encode("ascii")
    while offset < sizeof(wfp_backend):
        name = wfp_backend_function_name(offset)
        if name != NULL and strcmp(name, encoded) == 0:
            return offset
        offset += sizeof(void *)
    raise ValueError(f"{function_name!r} is not a function of the backend table")


class NotAFilterError(TypeError):
    """An item of add_filters is neither a filter tuple nor a Rule: .index is its index."""

    def __init__(self, index):
        self.index = index
        super().__init__(f"filter {index} is neither a filter tuple nor a Rule")

    def __reduce__(self):
        return (type(self), (self.index,))


class DuplicateKeyError(ValueError):
    """Two filters of one add_filters call have the same key: .index is the later one,
    .first_index the earlier."""

    def __init__(self, index, first_index):
        self.index = index
        self.first_index = first_index
        super().__init__(f"filter {index} has the key of filter {first_index}")

    def __reduce__(self):
        return (type(self), (self.index, self.first_index))


cdef Py_ssize_t find_duplicate_key(wfp_arena *arena, const wfp_guid *keys, Py_ssize_t n,
                                   Py_ssize_t *first) except -2:
    """The index of the first key an earlier one equals (that one in *first), or -1.
    An open-addressing set of indexes, at most half full."""
    cdef size_t capacity = 16
    cdef size_t mask, slot
    cdef size_t *table
    cdef Py_ssize_t i
    cdef uint64_t hash_value
    while capacity < <size_t>n * 2:
        capacity *= 2
    mask = capacity - 1
    table = <size_t *>arena_alloc(arena, capacity * sizeof(size_t))  # zeroed: 0 is empty
    for i in range(n):
        memcpy(&hash_value, &keys[i], sizeof(uint64_t))
        hash_value ^= hash_value >> 29
        hash_value *= 0xBF58476D1CE4E5B9ULL
        hash_value ^= hash_value >> 32
        slot = <size_t>hash_value & mask
        while table[slot] != 0:
            if wfp_guid_equal(&keys[table[slot] - 1], &keys[i]):
                first[0] = <Py_ssize_t>(table[slot] - 1)
                return i
            slot = (slot + 1) & mask
        table[slot] = <size_t>i + 1
    return -1


cdef int require_bulk_functions(const wfp_backend *table, bint own_transaction) except -1:
    """Every slot wfp_bulk_add_filters may call is present (the undo path included)."""
    if table.filter_add == NULL:
        raise unsupported(table, &table.filter_add)
    if own_transaction:
        if table.transaction_begin == NULL:
            raise unsupported(table, &table.transaction_begin)
        if table.transaction_commit == NULL:
            raise unsupported(table, &table.transaction_commit)
        if table.transaction_abort == NULL:
            raise unsupported(table, &table.transaction_abort)
    elif table.filter_delete_by_id == NULL:
        raise unsupported(table, &table.filter_delete_by_id)
    return 0


cdef const wfp_backend *backend_by_name(str name) except NULL:
    cdef uint32_t status = WFPKIT_E_UNSUPPORTED
    cdef const wfp_backend *table = NULL
    if name == "sim":
        table = wfp_sim_backend()
    elif name == "fwpuclnt":
        table = wfp_win_backend(&status)
    else:
        raise ValueError(f"unknown backend {name!r} (expected 'sim' or 'fwpuclnt')")
    if table == NULL:
        raise CoreError(status, "wfp_win_backend")
    return table


# ------------------------------------------------------------------------------------------------
# compose: Python -> mirror structs in an arena
# ------------------------------------------------------------------------------------------------

cdef uint64_t unsigned_of(object value, uint64_t maximum) except? 0xFFFFFFFFFFFFFFFF:
    """An unsigned field of a struct from an int no larger than maximum (OverflowError beyond,
    or below 0).  Cython's own conversion makes comparisons that the limited API turns into
    calls; a filter has a dozen such fields."""
    cdef uint64_t converted
    if isinstance(value, int):  # int and its subclasses (IntEnum members such as Action)
        converted = PyLong_AsUnsignedLongLong(value)
    else:
        converted = value  # __index__
    if converted > maximum:
        raise OverflowError(f"{value!r} does not fit in an unsigned field (at most {maximum})")
    return converted


cdef void *arena_alloc(wfp_arena *arena, size_t size) except NULL:
    cdef void *p = wfp_arena_alloc(arena, size if size else 1)
    if p == NULL:
        raise MemoryError()
    return p


cdef enum:
    GUID_MEMO_SLOTS = 64

cdef Py_ssize_t uuid_int_offset = -1  # of uuid.UUID's int slot, once found (slot_offset)

# UUID objects a bulk compose has already converted, found by identity (a filter's layer,
# sublayer, provider and condition fields are the same few objects in every filter).  The memo
# holds a reference to each key it keeps, so an object freed and another made at its address
# can never be taken for it: memo_release drops them.
cdef struct guid_memo:
    PyObject *keys[GUID_MEMO_SLOTS]
    wfp_guid guids[GUID_MEMO_SLOTS]
    # A Rule's provider, layer and sublayer as composed for the rule before:
    # rules of one batch mostly share them, and one compare settles it (compose_rule).
    PyObject *provider
    wfp_guid provider_guid
    PyObject *layer
    wfp_guid layer_guid
    PyObject *sublayer
    wfp_guid sublayer_guid


cdef void memo_release(guid_memo *memo) noexcept:
    cdef int i
    for i in range(GUID_MEMO_SLOTS):
        Py_XDECREF(memo.keys[i])
        memo.keys[i] = NULL
    Py_XDECREF(memo.provider)
    Py_XDECREF(memo.layer)
    Py_XDECREF(memo.sublayer)
    memo.provider = memo.layer = memo.sublayer = NULL


cdef inline void remember(PyObject **last, object value) noexcept:
    """Keep value (a reference of the memo's own) as the last object of one field."""
    Py_INCREF(value)
    Py_XDECREF(last[0])
    last[0] = <PyObject *>value


cdef int compose_guid(object key, wfp_guid *guid, guid_memo *memo=NULL) except -1:
    cdef size_t slot = 0
    cdef PyObject *raw
    cdef bint exact = type(key) is UUID_TYPE
    if exact:
        if memo != NULL:
            slot = (<size_t><PyObject *>key >> 4) % GUID_MEMO_SLOTS
            if memo.keys[slot] == <PyObject *>key:
                guid[0] = memo.guids[slot]
                return 0
        if uuid_int_offset > 0:
            raw = peek_raw(<PyObject *>key, uuid_int_offset)
            if raw == NULL:
                raise AttributeError("uuid.UUID without its int")
            value = <object>raw
        else:
            raw = get_member(uuid_int_member, <PyObject *>key, <PyObject *>UUID_TYPE)
            if raw == NULL:
                raise AttributeError("uuid.UUID without its int")
            value = <object>raw
            Py_DECREF(value)  # get_member gave a reference, and <object> took one of its own
    elif type(key) is int:  # a UUID's 128 bits (wfp.policy keeps its keys so)
        if key < 0 or key >> 128:
            raise OverflowError(f"{key!r} is not a 128-bit key")
        value = key
    elif isinstance(key, UUID_TYPE):
        value = key.int
    else:
        raise TypeError(f"expected uuid.UUID, got {type(key).__name__}")
    cdef uint64_t high = PyLong_AsUnsignedLongLongMask(value >> 64)
    cdef uint64_t low = PyLong_AsUnsignedLongLongMask(value)
    cdef int i
    guid.Data1 = <uint32_t>(high >> 32)
    guid.Data2 = <uint16_t>(high >> 16)
    guid.Data3 = <uint16_t>high
    for i in range(8):
        guid.Data4[i] = <uint8_t>(low >> (56 - 8 * i))
    if exact and memo != NULL:
        Py_INCREF(key)
        Py_XDECREF(memo.keys[slot])
        memo.keys[slot] = <PyObject *>key
        memo.guids[slot] = guid[0]
    return 0


cdef int compose_optional_guid(wfp_arena *arena, object key, wfp_guid **out,
                               guid_memo *memo=NULL) except -1:
    if key is None:
        out[0] = NULL
        return 0
    out[0] = <wfp_guid *>arena_alloc(arena, sizeof(wfp_guid))
    return compose_guid(key, out[0], memo)


cdef enum:
    STR_STACK_CHARS = 128


cdef int compose_str(wfp_arena *arena, object text, wfp_wchar **out) except -1:
    """UTF-16LE with a NUL terminator (lone surrogates kept as they are, like "surrogatepass");
    None becomes a NULL pointer."""
    cdef uint32_t stack[STR_STACK_CHARS]
    cdef uint32_t *points = stack
    cdef uint32_t point
    cdef Py_ssize_t n, i, units
    cdef wfp_wchar *p
    if text is None:
        out[0] = NULL
        return 0
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    n = PyUnicode_GetLength(text)
    if n > STR_STACK_CHARS:
        points = <uint32_t *>arena_alloc(arena, <size_t>n * sizeof(uint32_t))
    if n > 0:
        PyUnicode_AsUCS4(text, points, n, 0)
    units = n
    for i in range(n):
        point = points[i]
        if point == 0:
            raise ValueError(f"string contains an embedded NUL: {text!r}")
        if point > 0xFFFF:
            units += 1
    p = <wfp_wchar *>arena_alloc(arena, <size_t>(units + 1) * sizeof(wfp_wchar))
    units = 0
    for i in range(n):  # the arena zeroes, so the terminator is there
        point = points[i]
        if point > 0xFFFF:
            point -= 0x10000
            p[units] = <wfp_wchar>(0xD800 | (point >> 10))
            p[units + 1] = <wfp_wchar>(0xDC00 | (point & 0x3FF))
            units += 2
        else:
            p[units] = <wfp_wchar>point
            units += 1
    out[0] = p
    return 0


cdef uint8_t *compose_bytes(wfp_arena *arena, object data, Py_ssize_t expected_size) except NULL:
    if not isinstance(data, bytes):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    cdef Py_ssize_t size = len(data)
    if expected_size >= 0 and size != expected_size:
        raise ValueError(f"expected {expected_size} bytes, got {size}")
    cdef uint8_t *p = <uint8_t *>arena_alloc(arena, <size_t>size)
    memcpy(p, <const char *>data, size)
    return p


cdef int compose_blob_into(wfp_arena *arena, object data, wfp_byte_blob *blob) except -1:
    if data is None:
        blob.size = 0
        blob.data = NULL
        return 0
    blob.data = compose_bytes(arena, data, -1)
    blob.size = <uint32_t>len(data)
    return 0


cdef wfp_byte_blob *compose_blob(wfp_arena *arena, object data) except NULL:
    cdef wfp_byte_blob *blob = <wfp_byte_blob *>arena_alloc(arena, sizeof(wfp_byte_blob))
    compose_blob_into(arena, data, blob)
    return blob


cdef wfp_sid *compose_sid(wfp_arena *arena, object data) except NULL:
    if not isinstance(data, bytes) or len(data) < 8:
        raise ValueError("a SID is at least 8 bytes")
    cdef const uint8_t *raw = <const uint8_t *><const char *>data
    cdef Py_ssize_t expected = 8 + 4 * <Py_ssize_t>raw[1]
    if len(data) != expected:
        raise ValueError(f"SID with {raw[1]} sub-authorities must be {expected} bytes, got {len(data)}")
    return <wfp_sid *>compose_bytes(arena, data, expected)


cdef int compose_value(wfp_arena *arena, object value, uint32_t *type_out, void *storage,
                       bint condition) except -1:
    """Write an FWP_VALUE0 / FWP_CONDITION_VALUE0 given as (data_type, payload).

    storage is the address of the value's union; condition admits the condition-only types.
    """
    if type(value) is tuple and len(<tuple>value) == 2:
        data_type = (<tuple>value)[0]
        payload = (<tuple>value)[1]
    else:
        data_type, payload = value
    cdef uint32_t dt = <uint32_t>unsigned_of(data_type, 0xFFFFFFFF)
    cdef uint64_t *u64
    cdef int64_t *i64
    cdef double *f64
    cdef wfp_v4_addr_and_mask *v4
    cdef wfp_v6_addr_and_mask *v6
    cdef wfp_range0 *range_value
    type_out[0] = dt
    if dt == WFP_EMPTY:
        if payload is not None:
            raise ValueError("an EMPTY value carries no payload")
    elif dt == WFP_UINT8:
        (<uint8_t *>storage)[0] = <uint8_t>unsigned_of(payload, 0xFF)
    elif dt == WFP_UINT16:
        (<uint16_t *>storage)[0] = <uint16_t>unsigned_of(payload, 0xFFFF)
    elif dt == WFP_UINT32:
        (<uint32_t *>storage)[0] = <uint32_t>unsigned_of(payload, 0xFFFFFFFF)
    elif dt == WFP_UINT64:
        u64 = <uint64_t *>arena_alloc(arena, sizeof(uint64_t))
        u64[0] = payload
        (<uint64_t **>storage)[0] = u64
    elif dt == WFP_INT8:
        (<int8_t *>storage)[0] = payload
    elif dt == WFP_INT16:
        (<int16_t *>storage)[0] = payload
    elif dt == WFP_INT32:
        (<int32_t *>storage)[0] = payload
    elif dt == WFP_INT64:
        i64 = <int64_t *>arena_alloc(arena, sizeof(int64_t))
        i64[0] = payload
        (<int64_t **>storage)[0] = i64
    elif dt == WFP_FLOAT:
        (<float *>storage)[0] = payload
    elif dt == WFP_DOUBLE:
        f64 = <double *>arena_alloc(arena, sizeof(double))
        f64[0] = payload
        (<double **>storage)[0] = f64
    elif dt == WFP_BYTE_ARRAY16_TYPE:
        (<uint8_t **>storage)[0] = compose_bytes(arena, payload, 16)
    elif dt == WFP_BYTE_ARRAY6_TYPE:
        (<uint8_t **>storage)[0] = compose_bytes(arena, payload, 6)
    elif (dt == WFP_BYTE_BLOB_TYPE or dt == WFP_SECURITY_DESCRIPTOR_TYPE
          or dt == WFP_TOKEN_ACCESS_INFORMATION_TYPE):
        (<wfp_byte_blob **>storage)[0] = compose_blob(arena, payload)
    elif dt == WFP_SID:
        (<wfp_sid **>storage)[0] = compose_sid(arena, payload)
    elif dt == WFP_UNICODE_STRING_TYPE:
        if payload is None:
            raise TypeError("a UNICODE_STRING value needs a str")
        compose_str(arena, payload, <wfp_wchar **>storage)
    elif condition and dt == WFP_V4_ADDR_MASK:
        v4 = <wfp_v4_addr_and_mask *>arena_alloc(arena, sizeof(wfp_v4_addr_and_mask))
        v4.addr, v4.mask = payload
        (<wfp_v4_addr_and_mask **>storage)[0] = v4
    elif condition and dt == WFP_V6_ADDR_MASK:
        v6 = <wfp_v6_addr_and_mask *>arena_alloc(arena, sizeof(wfp_v6_addr_and_mask))
        address, prefix_length = payload
        memcpy(v6.addr, compose_bytes(arena, address, 16), 16)
        v6.prefixLength = prefix_length
        (<wfp_v6_addr_and_mask **>storage)[0] = v6
    elif condition and dt == WFP_RANGE_TYPE:
        range_value = <wfp_range0 *>arena_alloc(arena, sizeof(wfp_range0))
        low, high = payload
        compose_value(arena, low, &range_value.valueLow.type, &range_value.valueLow.uint8, False)
        compose_value(arena, high, &range_value.valueHigh.type, &range_value.valueHigh.uint8, False)
        (<wfp_range0 **>storage)[0] = range_value
    else:
        raise ValueError(f"data type {dt} cannot be passed {'in a condition' if condition else 'here'}")
    return 0


cdef wfp_filter_condition0 *compose_conditions(wfp_arena *arena, object conditions,
                                               uint32_t *count,
                                               guid_memo *memo=NULL) except? NULL:
    """Condition tuples, or conditions packed by pack_conditions (bytes), as an array."""
    if type(conditions) is bytes:
        return compose_packed_conditions(arena, <bytes>conditions, count)
    cdef Py_ssize_t n = len(conditions)
    count[0] = <uint32_t>n
    if n == 0:
        return NULL
    cdef wfp_filter_condition0 *array = <wfp_filter_condition0 *>arena_alloc(
        arena, <size_t>n * sizeof(wfp_filter_condition0))
    cdef wfp_filter_condition0 *c
    cdef Py_ssize_t i = 0
    for condition in conditions:
        c = &array[i]
        if type(condition) is tuple and len(<tuple>condition) == 3:
            field_key = (<tuple>condition)[0]
            match_type = (<tuple>condition)[1]
            value = (<tuple>condition)[2]
        else:
            field_key, match_type, value = condition
        compose_guid(field_key, &c.fieldKey, memo)
        c.matchType = <uint32_t>unsigned_of(match_type, 0xFFFFFFFF)
        compose_value(arena, value, &c.conditionValue.type, &c.conditionValue.uint8, True)
        i += 1
    return array


cdef wfp_filter_condition0 *compose_packed_conditions(wfp_arena *arena, bytes packed,
                                                      uint32_t *count) except? NULL:
    cdef Py_ssize_t n = packed_count(packed)
    cdef Py_ssize_t i
    cdef packed_condition record
    cdef wfp_filter_condition0 *c
    cdef void *pointed
    cdef size_t pointed_size
    cdef uint32_t dt
    cdef const char *data = packed
    count[0] = <uint32_t>n
    if n == 0:
        return NULL
    cdef wfp_filter_condition0 *array = <wfp_filter_condition0 *>arena_alloc(
        arena, <size_t>n * sizeof(wfp_filter_condition0))
    for i in range(n):
        memcpy(&record, data + i * sizeof(packed_condition), sizeof(packed_condition))
        c = &array[i]
        c.fieldKey = record.field
        c.matchType = record.match
        dt = record.data_type
        c.conditionValue.type = dt
        pointed_size = packed_pointed_size(dt)
        if pointed_size == 0:
            memcpy(&c.conditionValue.uint8, record.payload, packed_scalar_size(dt))
        else:
            pointed = arena_alloc(arena, pointed_size)
            memcpy(pointed, record.payload, pointed_size)
            (<void **>&c.conditionValue.uint8)[0] = pointed
    return array


cdef int compose_filter(wfp_arena *arena, tuple t, wfp_filter0 *f,
                        guid_memo *memo=NULL) except -1:
    if len(t) != 14 and len(t) != 16:
        raise ValueError(f"a filter tuple has 14 or 16 items, got {len(t)}")
    compose_guid(t[0], &f.filterKey)
    compose_str(arena, t[1], &f.displayData.name)
    compose_str(arena, t[2], &f.displayData.description)
    f.flags = <uint32_t>unsigned_of(t[3], 0xFFFFFFFF)
    compose_optional_guid(arena, t[4], &f.providerKey, memo)
    compose_guid(t[5], &f.layerKey, memo)
    if t[6] is not None:
        compose_guid(t[6], &f.subLayerKey, memo)
    compose_value(arena, t[7], &f.weight.type, &f.weight.uint8, False)
    f.filterCondition = compose_conditions(arena, t[8], &f.numFilterConditions, memo)
    f.action.type = <uint32_t>unsigned_of(t[9], 0xFFFFFFFF)
    if t[10] is not None:
        compose_guid(t[10], &f.action.calloutKey, memo)
    if f.flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT:
        if t[12] is None:
            raise ValueError("HAS_PROVIDER_CONTEXT needs a provider context key")
        compose_guid(t[12], &f.providerContextKey, memo)
    else:
        f.rawContext = unsigned_of(t[11], 0xFFFFFFFFFFFFFFFF)
    compose_blob_into(arena, t[13], &f.providerData)
    return 0


cdef enum:
    COMPOSE_CHUNK = 4096  # filters composed per wfp_bulk_add_filters call


cdef int compose_provider(wfp_arena *arena, tuple t, wfp_provider0 *p) except -1:
    if len(t) != 6:
        raise ValueError(f"a provider tuple has 6 items, got {len(t)}")
    compose_guid(t[0], &p.providerKey)
    compose_str(arena, t[1], &p.displayData.name)
    compose_str(arena, t[2], &p.displayData.description)
    p.flags = t[3]
    compose_blob_into(arena, t[4], &p.providerData)
    compose_str(arena, t[5], &p.serviceName)
    return 0


cdef int compose_sublayer(wfp_arena *arena, tuple t, wfp_sublayer0 *s) except -1:
    if len(t) != 7:
        raise ValueError(f"a sublayer tuple has 7 items, got {len(t)}")
    compose_guid(t[0], &s.subLayerKey)
    compose_str(arena, t[1], &s.displayData.name)
    compose_str(arena, t[2], &s.displayData.description)
    s.flags = t[3]
    compose_optional_guid(arena, t[4], &s.providerKey)
    compose_blob_into(arena, t[5], &s.providerData)
    s.weight = t[6]
    return 0


# ------------------------------------------------------------------------------------------------
# parse: mirror structs -> Python
# ------------------------------------------------------------------------------------------------

# Value types read back by the hundred thousand (uuid.UUID, wfp.Rule) are made the way
# object.__new__ makes them, and their __slots__ are filled through the slots' member descriptors:
# the same effect as object.__setattr__ (which frozen types need), without looking each name up.

_MemberDescriptor = type(_UUID.__dict__["int"])
cdef descr_set_function set_member = <descr_set_function>PyType_GetSlot(
    <PyTypeObject *>_MemberDescriptor, Py_tp_descr_set)
cdef descr_get_function get_member = <descr_get_function>PyType_GetSlot(
    <PyTypeObject *>_MemberDescriptor, Py_tp_descr_get)


cdef struct slotted_type:
    PyObject *type          # borrowed: the type is kept alive by whoever fills this in
    alloc_function alloc    # NULL: the type has a __new__ of its own, so call it


cdef int slotted_type_init(slotted_type *t, type cls) except -1:
    t.type = <PyObject *>cls
    t.alloc = NULL
    if cls.__new__ is object.__new__:
        t.alloc = <alloc_function>PyType_GetSlot(<PyTypeObject *>cls, Py_tp_alloc)
    return 0


cdef object slotted_new(const slotted_type *t):
    """A new, empty instance (object.__new__(type))."""
    cdef PyObject *made
    if t.alloc == NULL:
        return _object_new(<object>t.type)
    made = t.alloc(<PyTypeObject *>t.type, 0)
    if made == NULL:
        raise MemoryError()
    instance = <object>made
    Py_DECREF(instance)  # <object> took a reference of its own
    return instance


cdef object member_of(type cls, str name):
    """The member descriptor of one of cls's __slots__ (TypeError if name is not one)."""
    descriptor = cls.__dict__.get(name)
    if type(descriptor) is not _MemberDescriptor:
        raise TypeError(f"{cls.__name__}.{name} is not a __slots__ member")
    return descriptor


cdef inline int set_slot(object target, PyObject *member, object value) except -1:
    return set_member(member, <PyObject *>target, <PyObject *>value)


cdef Py_ssize_t slot_offset(type cls, object member) except -2:
    """Where an instance of cls keeps one of its __slots__: the byte offset, or -1 when a marker
    written through the member descriptor is not found exactly once in the instance.

    CPython keeps a __slots__ value as one object pointer inside the instance; found this way,
    a slot is read or written with a plain load or store, where the descriptor call costs as
    much as the rest of making a Rule.  Found and checked at import, never assumed."""
    cdef Py_ssize_t size = cls.__basicsize__
    cdef Py_ssize_t offset
    cdef Py_ssize_t found = -1
    cdef PyObject **words
    instance = _object_new(cls)
    marker = object()
    set_member(<PyObject *>member, <PyObject *>instance, <PyObject *>marker)
    words = <PyObject **><void *><PyObject *>instance
    for offset in range(0, size - <Py_ssize_t>sizeof(PyObject *) + 1, sizeof(PyObject *)):
        if words[offset // <Py_ssize_t>sizeof(PyObject *)] == <PyObject *>marker:
            if found != -1:
                return -1
            found = offset
    return found


cdef inline PyObject *peek_raw(PyObject *target, Py_ssize_t offset) noexcept:
    """The value of a slot at a known offset, borrowed; NULL when the slot is empty.  Takes no
    reference to target (no write to it, so it can look ahead at objects not yet fetched)."""
    return (<PyObject **>(<char *>target + offset))[0]


cdef inline void put_slot(object target, Py_ssize_t offset, object value) noexcept:
    """Store into a slot at a known offset, as the member descriptor would."""
    cdef PyObject **where = <PyObject **>(<char *><PyObject *>target + offset)
    cdef PyObject *old = where[0]
    Py_INCREF(value)
    where[0] = <PyObject *>value
    Py_XDECREF(old)


cdef slotted_type uuid_type
cdef PyObject *uuid_int_member
cdef PyObject *uuid_is_safe_member
_uuid_members = (member_of(_UUID, "int"), member_of(_UUID, "is_safe"))
uuid_int_member = <PyObject *>_uuid_members[0]
uuid_is_safe_member = <PyObject *>_uuid_members[1]
slotted_type_init(&uuid_type, _UUID)
uuid_int_offset = slot_offset(_UUID, _uuid_members[0])
cdef Py_ssize_t uuid_is_safe_offset = -1
if uuid_int_offset > 0:
    uuid_is_safe_offset = slot_offset(_UUID, _uuid_members[1])


cdef object make_uuid(object value):
    """uuid.UUID(int=value) without the argument checks of UUID.__init__ (the value is in range)."""
    u = acyclic(slotted_new(&uuid_type))
    if uuid_is_safe_offset > 0:
        put_slot(u, uuid_int_offset, value)
        put_slot(u, uuid_is_safe_offset, SAFE_UNKNOWN)
    else:
        set_slot(u, uuid_int_member, value)
        set_slot(u, uuid_is_safe_member, SAFE_UNKNOWN)
    return u


cdef object guid_int(const wfp_guid *guid):
    """A GUID's 128 bits as one int."""
    cdef uint64_t high = (<uint64_t>guid.Data1 << 32) | (<uint64_t>guid.Data2 << 16) | guid.Data3
    cdef uint64_t low = 0
    cdef int i
    for i in range(8):
        low = (low << 8) | guid.Data4[i]
    return (<object>high << 64) | <object>low


cdef object parse_guid(const wfp_guid *guid, dict interned):
    raw = PyBytes_FromStringAndSize(<const char *>guid, sizeof(wfp_guid))
    found = interned.get(raw)
    if found is not None:
        return found
    u = make_uuid(guid_int(guid))
    interned[raw] = u
    return u


cdef object parse_optional_guid(const wfp_guid *guid, dict interned):
    return None if guid == NULL else parse_guid(guid, interned)


cdef object parse_unique_guid(const wfp_guid *guid):
    """A GUID known to occur once in a result (a filter's own key): no interning needed."""
    return make_uuid(guid_int(guid))


cdef enum:
    GUID_CACHE_SLOTS = 64

# GUIDs that repeat from filter to filter (layer, sublayer, provider, condition fields) are found
# here by a compare of their 16 bytes, before any Python object is made to look them up.  The
# values are borrowed: the enumeration's interned dict owns them for as long as the cache lives.
cdef struct guid_cache:
    wfp_guid keys[GUID_CACHE_SLOTS]
    PyObject *values[GUID_CACHE_SLOTS]


cdef object parse_guid_cached(const wfp_guid *guid, dict interned, guid_cache *cache):
    if cache == NULL:
        return parse_guid(guid, interned)
    cdef unsigned int slot = (guid.Data1 ^ guid.Data2 ^ guid.Data4[7]) % GUID_CACHE_SLOTS
    if cache.values[slot] != NULL and memcmp(&cache.keys[slot], guid, sizeof(wfp_guid)) == 0:
        return <object>cache.values[slot]
    u = parse_guid(guid, interned)
    cache.keys[slot] = guid[0]
    cache.values[slot] = <PyObject *>u
    return u


cdef enum:
    ASCII_PREFIX = 128  # characters of a name read in one pass before the general decoder


cdef object parse_str(const wfp_wchar *text):
    """UTF-16 text as a str.  Names are mostly short ASCII: those are copied down to bytes as
    their end is found, one pass instead of a length scan and the UTF-16 decoder."""
    cdef char narrow[ASCII_PREFIX]
    cdef size_t n = 0
    cdef wfp_wchar unit
    cdef int little_endian = -1
    if text == NULL:
        return None
    while n < ASCII_PREFIX:
        unit = text[n]
        if unit == 0:
            return PyUnicode_DecodeASCII(narrow, <Py_ssize_t>n, NULL)
        if unit >= 0x80:
            break
        narrow[n] = <char>unit
        n += 1
    n += wfp_wcslen(text + n)
    return PyUnicode_DecodeUTF16(<const char *>text, <Py_ssize_t>(n * 2), "surrogatepass",
                                 &little_endian)


cdef object parse_blob(const wfp_byte_blob *blob):
    if blob == NULL or blob.data == NULL:
        return None
    return PyBytes_FromStringAndSize(<const char *>blob.data, blob.size)


cdef object parse_sid(const wfp_sid *sid):
    if sid == NULL:
        return None
    return PyBytes_FromStringAndSize(<const char *>sid, 8 + 4 * <Py_ssize_t>sid.SubAuthorityCount)


cdef object parse_value(uint32_t dt, const void *storage, dict interned):
    """(data_type, payload) of an FWP_VALUE0 / FWP_CONDITION_VALUE0 whose union is at storage."""
    if dt == WFP_EMPTY:
        payload = None
    elif dt == WFP_UINT8:
        payload = (<const uint8_t *>storage)[0]
    elif dt == WFP_UINT16:
        payload = (<const uint16_t *>storage)[0]
    elif dt == WFP_UINT32:
        payload = (<const uint32_t *>storage)[0]
    elif dt == WFP_INT8:
        payload = (<const int8_t *>storage)[0]
    elif dt == WFP_INT16:
        payload = (<const int16_t *>storage)[0]
    elif dt == WFP_INT32:
        payload = (<const int32_t *>storage)[0]
    elif dt == WFP_FLOAT:
        payload = (<const float *>storage)[0]
    else:
        payload = parse_pointed_value(dt, (<void **>storage)[0], interned)
    return acyclic((dt, payload))


cdef object parse_pointed_value(uint32_t dt, const void *pointer, dict interned):
    """The payload of a value whose union member is a pointer (None when it is NULL)."""
    cdef const wfp_v4_addr_and_mask *v4
    cdef const wfp_v6_addr_and_mask *v6
    cdef const wfp_range0 *range_value
    if pointer == NULL:
        return None
    if dt == WFP_UINT64:
        return (<const uint64_t *>pointer)[0]
    if dt == WFP_INT64:
        return (<const int64_t *>pointer)[0]
    if dt == WFP_DOUBLE:
        return (<const double *>pointer)[0]
    if dt == WFP_BYTE_ARRAY16_TYPE:
        return PyBytes_FromStringAndSize(<const char *>pointer, 16)
    if dt == WFP_BYTE_ARRAY6_TYPE:
        return PyBytes_FromStringAndSize(<const char *>pointer, 6)
    if (dt == WFP_BYTE_BLOB_TYPE or dt == WFP_SECURITY_DESCRIPTOR_TYPE
            or dt == WFP_TOKEN_ACCESS_INFORMATION_TYPE):
        # A value that is an empty blob is b"": the engine gives it no data pointer, which
        # parse_blob reads as "no blob" (right for provider data, wrong for a value).
        if (<const wfp_byte_blob *>pointer).size == 0:
            return b""
        return parse_blob(<const wfp_byte_blob *>pointer)
    if dt == WFP_SID:
        return parse_sid(<const wfp_sid *>pointer)
    if dt == WFP_UNICODE_STRING_TYPE:
        return parse_str(<const wfp_wchar *>pointer)
    if dt == WFP_V4_ADDR_MASK:
        v4 = <const wfp_v4_addr_and_mask *>pointer
        return acyclic((v4.addr, v4.mask))
    if dt == WFP_V6_ADDR_MASK:
        v6 = <const wfp_v6_addr_and_mask *>pointer
        return acyclic((PyBytes_FromStringAndSize(<const char *>v6.addr, 16), v6.prefixLength))
    if dt == WFP_RANGE_TYPE:
        range_value = <const wfp_range0 *>pointer
        return acyclic((
            parse_value(range_value.valueLow.type, &range_value.valueLow.uint8, interned),
            parse_value(range_value.valueHigh.type, &range_value.valueHigh.uint8, interned)))
    return None  # a type this binding does not carry (token information, bitmaps)


cdef tuple parse_conditions(const wfp_filter0 *f, dict interned, guid_cache *cache):
    cdef uint32_t i
    cdef const wfp_filter_condition0 *c
    if f.numFilterConditions == 0:
        return ()
    conditions = []
    for i in range(f.numFilterConditions):
        c = &f.filterCondition[i]
        conditions.append(acyclic((
            parse_guid_cached(&c.fieldKey, interned, cache), c.matchType,
            parse_value(c.conditionValue.type, &c.conditionValue.uint8, interned))))
    return acyclic(tuple(conditions))


# ---- packed conditions ----
# The conditions of a filter read back as a Rule are kept as one bytes object, a copy of what the
# engine returned, and become tuples (unpack_conditions) and Condition objects only when the
# rule's conditions are first read: an enumeration makes no per-condition objects.  Only
# fixed-size values are packed; a filter with a blob, string, SID, range... keeps its tuples.

cdef struct packed_condition:
    wfp_guid field
    uint32_t match
    uint32_t data_type
    uint8_t payload[24]  # the value itself, even where FWP_CONDITION_VALUE0 points to it

cdef enum:
    PACK_LIMIT = 32  # more conditions than this are kept as tuples


cdef size_t packed_scalar_size(uint32_t dt) noexcept:
    """Bytes of a value held in the union itself; 0 if dt is not such a type."""
    if dt == WFP_UINT8 or dt == WFP_INT8:
        return 1
    if dt == WFP_UINT16 or dt == WFP_INT16:
        return 2
    if dt == WFP_UINT32 or dt == WFP_INT32 or dt == WFP_FLOAT:
        return 4
    return 0


cdef size_t packed_pointed_size(uint32_t dt) noexcept:
    """Bytes of a fixed-size value the union points to; 0 if dt is not such a type."""
    if dt == WFP_UINT64 or dt == WFP_INT64 or dt == WFP_DOUBLE:
        return 8
    if dt == WFP_BYTE_ARRAY16_TYPE:
        return 16
    if dt == WFP_BYTE_ARRAY6_TYPE:
        return 6
    if dt == WFP_V4_ADDR_MASK:
        return sizeof(wfp_v4_addr_and_mask)
    if dt == WFP_V6_ADDR_MASK:
        return sizeof(wfp_v6_addr_and_mask)
    return 0


cdef Py_ssize_t packed_count(bytes packed) except -1:
    cdef Py_ssize_t size = len(packed)
    cdef Py_ssize_t n = size // <Py_ssize_t>sizeof(packed_condition)
    cdef Py_ssize_t i
    cdef packed_condition record
    cdef const char *data = packed
    if n * <Py_ssize_t>sizeof(packed_condition) != size:
        raise ValueError(f"packed conditions are {sizeof(packed_condition)} bytes each, got {size}")
    for i in range(n):
        memcpy(&record, data + i * sizeof(packed_condition), sizeof(packed_condition))
        if (record.data_type != WFP_EMPTY and packed_scalar_size(record.data_type) == 0
                and packed_pointed_size(record.data_type) == 0):
            raise ValueError(f"data type {record.data_type} is never packed")
    return n


cdef object pack_conditions(const wfp_filter0 *f):
    """The filter's conditions packed, () if it has none, None if one of them cannot be."""
    cdef uint32_t n = f.numFilterConditions
    cdef uint32_t i, dt
    cdef size_t size
    cdef const wfp_filter_condition0 *c
    cdef const void *pointed
    cdef packed_condition records[PACK_LIMIT]
    if n == 0:
        return ()
    if n > PACK_LIMIT:
        return None
    memset(records, 0, n * sizeof(packed_condition))  # padding too: packs compare as bytes
    for i in range(n):
        c = &f.filterCondition[i]
        dt = c.conditionValue.type
        records[i].field = c.fieldKey
        records[i].match = c.matchType
        records[i].data_type = dt
        if dt == WFP_EMPTY:
            continue
        size = packed_scalar_size(dt)
        if size != 0:
            memcpy(records[i].payload, &c.conditionValue.uint8, size)
            continue
        size = packed_pointed_size(dt)
        pointed = (<void * const *>&c.conditionValue.uint8)[0]
        if size == 0 or pointed == NULL:
            return None
        memcpy(records[i].payload, pointed, size)
    return PyBytes_FromStringAndSize(<const char *>records, n * sizeof(packed_condition))


def pack_wire_conditions(conditions):
    """Condition tuples ((field_key, match, (type, payload)), ...) packed as Rule keeps them,
    () for none; the tuples themselves when one of them is not of a packed type or does not
    compose (adding the rule then reports it, as it does for any filter tuple)."""
    cdef wfp_arena arena
    cdef wfp_filter0 f
    if type(conditions) is bytes or not conditions:
        return conditions
    memset(&f, 0, sizeof(f))
    wfp_arena_init(&arena, 1024)
    try:
        f.filterCondition = compose_conditions(&arena, conditions, &f.numFilterConditions)
        packed = pack_conditions(&f)
    except Exception:
        packed = None
    finally:
        wfp_arena_free(&arena)
    return conditions if packed is None else packed


# Field GUIDs of unpacked conditions, one UUID object each (bounded: unknown GUIDs are rare).
cdef dict packed_field_keys = {}
cdef guid_cache packed_field_cache
memset(&packed_field_cache, 0, sizeof(packed_field_cache))


def unpack_conditions(bytes packed):
    """Packed conditions as the tuples parse gives: ((field_key, match, (type, payload)), ...)."""
    cdef Py_ssize_t n = packed_count(packed)
    cdef Py_ssize_t i
    cdef packed_condition record
    cdef wfp_condition_value0 value
    cdef const char *data = packed
    cdef size_t pointed_size
    if len(packed_field_keys) > 4096:
        packed_field_keys.clear()
        memset(&packed_field_cache, 0, sizeof(packed_field_cache))
    conditions = []
    for i in range(n):
        memcpy(&record, data + i * sizeof(packed_condition), sizeof(packed_condition))
        memset(&value, 0, sizeof(value))
        value.type = record.data_type
        pointed_size = packed_pointed_size(record.data_type)
        if pointed_size == 0:
            memcpy(&value.uint8, record.payload, packed_scalar_size(record.data_type))
        else:
            (<void **>&value.uint8)[0] = record.payload
        conditions.append(acyclic((
            parse_guid_cached(&record.field, packed_field_keys, &packed_field_cache),
            record.match, parse_value(value.type, &value.uint8, packed_field_keys))))
    return acyclic(tuple(conditions))


cdef tuple parse_filter(const wfp_filter0 *f, dict interned, guid_cache *cache=NULL):
    conditions = parse_conditions(f, interned, cache)
    if f.action.type & WFP_ACTION_FLAG_CALLOUT or not wfp_guid_is_null(&f.action.calloutKey):
        action_key = parse_guid_cached(&f.action.calloutKey, interned, cache)
    else:
        action_key = None
    if f.flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT:
        raw_context = 0
        provider_context_key = parse_guid(&f.providerContextKey, interned)
    else:
        raw_context = f.rawContext
        provider_context_key = None
    if f.effectiveWeight.type == WFP_UINT64 and f.effectiveWeight.uint64 != NULL:
        effective_weight = f.effectiveWeight.uint64[0]
    else:
        effective_weight = None
    return acyclic((
        parse_unique_guid(&f.filterKey),
        parse_str(f.displayData.name),
        parse_str(f.displayData.description),
        f.flags,
        None if f.providerKey == NULL else parse_guid_cached(f.providerKey, interned, cache),
        parse_guid_cached(&f.layerKey, interned, cache),
        parse_guid_cached(&f.subLayerKey, interned, cache),
        parse_value(f.weight.type, &f.weight.uint8, interned),
        conditions,
        f.action.type,
        action_key,
        raw_context,
        provider_context_key,
        parse_blob(&f.providerData),
        f.filterId,
        effective_weight,
    ))


# The fields of a Rule, indexed by R_* below: RuleFactory.fill sets them all, parse every one
# but ``conditions``.
RULE_FIELDS = ("layer", "action", "key", "name", "description", "sublayer", "weight", "provider",
               "persistent", "boot_time", "hard", "permit_if_callout_missing", "disabled",
               "callout", "data", "id", "effective_weight", "_wire", "_conditions_wire",
               "conditions")

cdef enum:  # indexes into RULE_FIELDS
    R_LAYER, R_ACTION, R_KEY, R_NAME, R_DESCRIPTION, R_SUBLAYER, R_WEIGHT, R_PROVIDER,
    R_PERSISTENT, R_BOOT_TIME, R_HARD, R_PERMIT_IF_CALLOUT_MISSING, R_DISABLED, R_CALLOUT,
    R_DATA, R_ID, R_EFFECTIVE_WEIGHT, R_WIRE, R_CONDITIONS_WIRE, R_CONDITIONS, RULE_FIELD_COUNT


cdef class RuleFactory:
    """How parse builds wfp.Rule objects straight from FWPM_FILTER0 structs.

    rule_type is the Rule class; its instances are made without running __init__ (what the engine
    returns is valid) and get every field but ``conditions``, which the Rule decodes when it is
    first read.  When the Rule's fields determine its filter tuple, ``_wire`` is None (the
    Rule's ``_filter_tuple()`` builds it from them and ``_conditions_wire``).  layer_of maps a layer UUID to its Layer member (or returns
    the UUID of a layer the tables do not know), actions maps action types to Action members,
    weight_ranges holds WeightRange(0) .. WeightRange(15).
    """
    cdef readonly type rule_type
    cdef readonly object layer_of
    cdef readonly dict actions
    cdef readonly tuple weight_ranges
    cdef slotted_type rule
    cdef tuple members  # owns what the array below borrows
    cdef PyObject *member[RULE_FIELD_COUNT]
    cdef Py_ssize_t offset[RULE_FIELD_COUNT]  # see slot_offset; used when direct
    cdef readonly bint direct

    def __init__(self, type rule_type, layer_of, dict actions, tuple weight_ranges):
        cdef int i
        if len(weight_ranges) != 16:
            raise ValueError("weight_ranges holds the 16 weight ranges 0..15")
        self.rule_type = rule_type
        self.layer_of = layer_of
        self.actions = actions
        self.weight_ranges = weight_ranges
        self.members = tuple([member_of(rule_type, name) for name in RULE_FIELDS])
        self.direct = True
        for i in range(RULE_FIELD_COUNT):
            self.member[i] = <PyObject *>self.members[i]
            self.offset[i] = slot_offset(rule_type, self.members[i])
            self.direct = self.direct and self.offset[i] > 0
        slotted_type_init(&self.rule, rule_type)

    def fill(self, rule, tuple values):
        """Set every field of a new Rule (the values in RULE_FIELDS order), for Rule.__init__
        once it has validated them.  The rule, its key, its conditions tuple and its filter
        tuple leave the cyclic collector's lists, as parse's objects do: a validated rule holds
        values only (its Conditions stay tracked), and building 100k rules would otherwise make
        the collector walk the whole heap again and again."""
        cdef Py_ssize_t i
        if not isinstance(rule, self.rule_type):
            raise TypeError(f"expected a {self.rule_type.__name__}, got {type(rule).__name__}")
        if len(values) != RULE_FIELD_COUNT:
            raise ValueError(f"expected {RULE_FIELD_COUNT} values, got {len(values)}")
        if type(rule) is not self.rule_type:  # a subclass: through the descriptors
            for i in range(RULE_FIELD_COUNT):
                set_slot(rule, self.member[i], values[i])
        else:
            for i in range(RULE_FIELD_COUNT):
                rule_put(self, rule, i, values[i])
        if type(rule) is self.rule_type:  # a subclass may add a __dict__, and with it cycles
            acyclic(rule)
        untrack_wire(values[R_WIRE])
        untrack_conditions(values[R_CONDITIONS_WIRE])
        if type(values[R_KEY]) is UUID_TYPE:
            acyclic(values[R_KEY])
        if type(values[R_CONDITIONS]) is tuple:
            acyclic(values[R_CONDITIONS])




cdef inline void prefetch_rules(RuleFactory rules, PyObject **objects, Py_ssize_t i,
                                Py_ssize_t n, bint whole) noexcept:
    """Ask the CPU now for what composing objects[i + k] will read (a rule, then the objects
    its slots point to): walking 100k rules spread over the heap, each read would otherwise
    wait on memory.  whole: every field compose reads, not just the key."""
    cdef PyObject *rule
    cdef PyObject *key
    cdef PyTypeObject *rule_type = <PyTypeObject *>rules.rule_type
    if i + 16 < n:
        __builtin_prefetch(objects[i + 16])
    if i + 8 < n and Py_TYPE(objects[i + 8]) == rule_type:
        rule = objects[i + 8]
        key = peek_raw(rule, rules.offset[R_KEY])
        if key != NULL:
            __builtin_prefetch(key)
        if whole:
            __builtin_prefetch(peek_raw(rule, rules.offset[R_NAME]))
            __builtin_prefetch(peek_raw(rule, rules.offset[R_CONDITIONS_WIRE]))
    if i + 4 < n and Py_TYPE(objects[i + 4]) == rule_type and uuid_int_offset > 0:
        key = peek_raw(objects[i + 4], rules.offset[R_KEY])
        if key != NULL and Py_TYPE(key) == <PyTypeObject *>UUID_TYPE:
            __builtin_prefetch(peek_raw(key, uuid_int_offset))


cdef object EMPTY_SLOT = object()


cdef inline object rule_get(RuleFactory factory, object rule, int field):
    """Field ``field`` (R_*) of a Rule (not of a subclass), or EMPTY_SLOT."""
    cdef PyObject *raw
    if factory.direct:
        raw = peek_raw(<PyObject *>rule, factory.offset[field])
        return EMPTY_SLOT if raw == NULL else <object>raw
    return slot_of(rule, factory.member[field])


cdef inline int rule_put(RuleFactory factory, object rule, int field, object value) except -1:
    """Set field ``field`` (R_*) of a Rule (not of a subclass)."""
    if factory.direct:
        put_slot(rule, factory.offset[field], value)
        return 0
    return set_slot(rule, factory.member[field], value)


cdef object slot_of(object target, PyObject *member):
    """The value of one of target's __slots__, or EMPTY_SLOT when it has none."""
    cdef PyObject *raw = get_member(member, <PyObject *>target, NULL)
    if raw == NULL:
        PyErr_Clear()  # the AttributeError of an empty slot
        return EMPTY_SLOT
    value = <object>raw
    Py_DECREF(value)  # get_member gave a reference, and <object> took one of its own
    return value


cdef int compose_layer(object layer, wfp_guid *guid, guid_memo *memo) except -1:
    """A Rule's layer (a Layer member, or the UUID of a layer our tables do not know)."""
    if type(layer) is UUID_TYPE:
        return compose_guid(layer, guid, memo)
    return compose_guid(layer._value_, guid, memo)  # the member's UUID (.value is Python code)


cdef int compose_rule(wfp_arena *arena, RuleFactory factory, object rule, wfp_filter0 *f,
                      guid_memo *memo) except -1:
    """A wfp.Rule composed straight from its fields, the key left to the caller: what
    compose_filter makes of rule._to_wire().  Returns 1, having written nothing, for a rule that
    must go through _to_wire() (a rule read back whose fields do not say all of its filter, or
    one the engine marked disabled, which _to_wire refuses)."""
    cdef uint32_t flags = 0
    cdef uint64_t *weight64
    if rule_get(factory, rule, R_WIRE) is not None:
        return 1
    conditions = rule_get(factory, rule, R_CONDITIONS_WIRE)
    if conditions is None or conditions is EMPTY_SLOT:
        return 1
    if rule_get(factory, rule, R_DISABLED) is not False:
        return 1
    if rule_get(factory, rule, R_PERSISTENT) is True:
        flags |= WFP_FILTER_FLAG_PERSISTENT
    if rule_get(factory, rule, R_BOOT_TIME) is True:
        flags |= WFP_FILTER_FLAG_BOOTTIME
    if rule_get(factory, rule, R_HARD) is True:
        flags |= WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT
    if rule_get(factory, rule, R_PERMIT_IF_CALLOUT_MISSING) is True:
        flags |= WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED
    f.flags = flags
    compose_str(arena, rule_get(factory, rule, R_NAME), &f.displayData.name)
    compose_str(arena, rule_get(factory, rule, R_DESCRIPTION), &f.displayData.description)
    provider = rule_get(factory, rule, R_PROVIDER)
    if provider is not None:
        f.providerKey = <wfp_guid *>arena_alloc(arena, sizeof(wfp_guid))
        if <PyObject *>provider != memo.provider:
            compose_guid(provider, &memo.provider_guid, memo)
            remember(&memo.provider, provider)
        f.providerKey[0] = memo.provider_guid
    layer = rule_get(factory, rule, R_LAYER)
    if <PyObject *>layer != memo.layer:
        compose_layer(layer, &memo.layer_guid, memo)
        remember(&memo.layer, layer)
    f.layerKey = memo.layer_guid
    sublayer = rule_get(factory, rule, R_SUBLAYER)
    if sublayer is not None:
        if <PyObject *>sublayer != memo.sublayer:
            compose_guid(sublayer, &memo.sublayer_guid, memo)
            remember(&memo.sublayer, sublayer)
        f.subLayerKey = memo.sublayer_guid
    weight = rule_get(factory, rule, R_WEIGHT)
    if weight is None:
        f.weight.type = WFP_EMPTY
    elif isinstance(weight, int):  # an exact weight, an int subclass (IntEnum) included
        weight64 = <uint64_t *>arena_alloc(arena, sizeof(uint64_t))
        weight64[0] = unsigned_of(weight, 0xFFFFFFFFFFFFFFFF)
        f.weight.type = WFP_UINT64
        f.weight.uint64 = weight64
    else:  # a WeightRange
        f.weight.type = WFP_UINT8
        f.weight.uint8 = <uint8_t>unsigned_of(weight.value, 15)
    f.filterCondition = compose_conditions(arena, conditions, &f.numFilterConditions, memo)
    f.action.type = <uint32_t>unsigned_of(rule_get(factory, rule, R_ACTION), 0xFFFFFFFF)
    callout = rule_get(factory, rule, R_CALLOUT)
    if callout is not None:
        compose_guid(callout, &f.action.calloutKey, memo)
    compose_blob_into(arena, rule_get(factory, rule, R_DATA), &f.providerData)
    return 0


cdef int compose_item(wfp_arena *arena, RuleFactory rules, object item, wfp_filter0 *f,
                      guid_memo *memo, const wfp_guid *key, Py_ssize_t index) except -1:
    """One item of add_filters (checked by its first pass) into f, its key already composed."""
    try:
        if type(item) is not tuple and compose_rule(arena, rules, item, f, memo) == 1:
            item = item._to_wire()
        if type(item) is tuple:
            compose_filter(arena, <tuple>item, f, memo)
    except Exception as error:
        error.add_note(f"while composing filter {index}")
        raise
    f.filterKey = key[0]
    return 0


cdef enum:
    RULE_CACHE_SLOTS = 8

cdef tuple EMPTY_WIRE = (WFP_EMPTY, None)


cdef class RuleParser:
    """One enumeration's state for RuleFactory: interned GUIDs, and the layers and actions met so
    far, found by a compare of C values before any Python object is looked up."""
    cdef RuleFactory factory
    cdef dict interned
    cdef guid_cache guids
    cdef list kept  # owns what the arrays below borrow
    cdef int layer_count
    cdef wfp_guid layer_keys[RULE_CACHE_SLOTS]
    cdef PyObject *layers[RULE_CACHE_SLOTS]
    cdef int action_count
    cdef uint32_t action_types[RULE_CACHE_SLOTS]
    cdef PyObject *action_members[RULE_CACHE_SLOTS]
    cdef PyObject *action_ints[RULE_CACHE_SLOTS]
    # The last effective weight made into an int: filters of one shape in one sublayer share
    # theirs, so most rules of an enumeration take the same object.
    cdef uint64_t last_weight
    cdef object last_weight_int

    def __cinit__(self, RuleFactory factory, dict interned):
        self.factory = factory
        self.interned = interned
        self.kept = []
        memset(&self.guids, 0, sizeof(self.guids))

    cdef object layer(self, const wfp_guid *guid, object key):
        cdef int i
        for i in range(self.layer_count):
            if memcmp(&self.layer_keys[i], guid, sizeof(wfp_guid)) == 0:
                return <object>self.layers[i]
        layer = self.factory.layer_of(key)
        if self.layer_count < RULE_CACHE_SLOTS:
            self.kept.append(layer)
            self.layer_keys[self.layer_count] = guid[0]
            self.layers[self.layer_count] = <PyObject *>layer
            self.layer_count += 1
        return layer

    cdef int action(self, uint32_t action_type, PyObject **member, PyObject **as_int) except -1:
        """Borrowed references to the Action member (or the int of an unknown type) and the int."""
        cdef int i
        for i in range(self.action_count):
            if self.action_types[i] == action_type:
                member[0] = self.action_members[i]
                as_int[0] = self.action_ints[i]
                return 0
        cdef object number = action_type
        found = self.factory.actions.get(number, number)
        self.kept.append((found, number))
        if self.action_count < RULE_CACHE_SLOTS:
            self.action_types[self.action_count] = action_type
            self.action_members[self.action_count] = <PyObject *>found
            self.action_ints[self.action_count] = <PyObject *>number
            self.action_count += 1
        member[0] = <PyObject *>found
        as_int[0] = <PyObject *>number
        return 0

    cdef object build(self, const wfp_filter0 *f):
        """The wfp.Rule of one filter, with ``_wire`` equal to parse_filter(f)[:14]."""
        cdef dict interned = self.interned
        cdef guid_cache *cache = &self.guids
        cdef PyObject *member
        cdef PyObject *as_int
        cdef uint32_t weight_type = f.weight.type
        cdef uint32_t flags = f.flags
        cdef uint8_t weight_range
        key = parse_unique_guid(&f.filterKey)
        name = parse_str(f.displayData.name)
        description = parse_str(f.displayData.description)
        provider = None if f.providerKey == NULL else parse_guid_cached(f.providerKey, interned, cache)
        layer_key = parse_guid_cached(&f.layerKey, interned, cache)
        sublayer_key = parse_guid_cached(&f.subLayerKey, interned, cache)
        if weight_type == WFP_EMPTY:
            weight_wire = EMPTY_WIRE
            weight = None
        elif weight_type == WFP_UINT8:
            weight_range = f.weight.uint8
            weight_wire = acyclic((WFP_UINT8, weight_range))
            weight = self.factory.weight_ranges[weight_range] if weight_range < 16 else None
        else:
            weight_wire = parse_value(weight_type, &f.weight.uint8, interned)
            weight = weight_wire[1] if weight_type == WFP_UINT64 else None
        conditions = pack_conditions(f)
        if conditions is None:
            conditions = parse_conditions(f, interned, cache)
        self.action(f.action.type, &member, &as_int)
        if f.action.type & WFP_ACTION_FLAG_CALLOUT or not wfp_guid_is_null(&f.action.calloutKey):
            action_key = parse_guid_cached(&f.action.calloutKey, interned, cache)
        else:
            action_key = None
        if flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT:
            raw_context = 0
            provider_context_key = parse_guid(&f.providerContextKey, interned)
        else:
            raw_context = f.rawContext
            provider_context_key = None
        data = parse_blob(&f.providerData)
        if f.effectiveWeight.type == WFP_UINT64 and f.effectiveWeight.uint64 != NULL:
            if self.last_weight_int is None or self.last_weight != f.effectiveWeight.uint64[0]:
                self.last_weight = f.effectiveWeight.uint64[0]
                self.last_weight_int = self.last_weight
            effective_weight = self.last_weight_int
        else:
            effective_weight = None

        cdef RuleFactory factory = self.factory
        rule = acyclic(slotted_new(&factory.rule))
        rule_put(factory, rule, R_LAYER, self.layer(&f.layerKey, layer_key))
        rule_put(factory, rule, R_ACTION, <object>member)
        rule_put(factory, rule, R_KEY, key)
        rule_put(factory, rule, R_NAME, "" if name is None else name)
        rule_put(factory, rule, R_DESCRIPTION, description)
        rule_put(factory, rule, R_SUBLAYER, None if wfp_guid_is_null(&f.subLayerKey) else sublayer_key)
        rule_put(factory, rule, R_WEIGHT, weight)
        rule_put(factory, rule, R_PROVIDER, provider)
        rule_put(factory, rule, R_PERSISTENT, (flags & WFP_FILTER_FLAG_PERSISTENT) != 0)
        rule_put(factory, rule, R_BOOT_TIME, (flags & WFP_FILTER_FLAG_BOOTTIME) != 0)
        rule_put(factory, rule, R_HARD, (flags & WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT) != 0)
        rule_put(factory, rule, R_PERMIT_IF_CALLOUT_MISSING,
                 (flags & WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED) != 0)
        rule_put(factory, rule, R_DISABLED, (flags & WFP_FILTER_FLAG_DISABLED) != 0)
        rule_put(factory, rule, R_CALLOUT, action_key if f.action.type & WFP_ACTION_FLAG_CALLOUT else None)
        rule_put(factory, rule, R_DATA, data)
        rule_put(factory, rule, R_ID, f.filterId)
        rule_put(factory, rule, R_EFFECTIVE_WEIGHT, effective_weight)
        if wire_follows_from_fields(f):
            rule_put(factory, rule, R_WIRE, None)
            rule_put(factory, rule, R_CONDITIONS_WIRE, conditions)
        else:
            rule_put(factory, rule, R_CONDITIONS_WIRE, None)
            rule_put(factory, rule, R_WIRE, acyclic((
                key, name, description, flags, provider, layer_key, sublayer_key, weight_wire,
                conditions, <object>as_int, action_key, raw_context, provider_context_key, data)))
        return rule


cdef uint32_t RULE_FLAGS = (WFP_FILTER_FLAG_PERSISTENT | WFP_FILTER_FLAG_BOOTTIME
                            | WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT
                            | WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED
                            | WFP_FILTER_FLAG_DISABLED)


cdef bint wire_follows_from_fields(const wfp_filter0 *f) noexcept:
    """Whether the filter tuple of f can be rebuilt from its Rule's fields alone (Rule's
    _wire_from_fields): every flag is a Rule field, the name and sublayer are there, the weight
    is one a Rule can hold, and there is no callout key, raw context or provider context that
    the Rule does not show."""
    cdef uint32_t weight_type = f.weight.type
    if f.flags & ~RULE_FLAGS or f.displayData.name == NULL or wfp_guid_is_null(&f.subLayerKey):
        return False
    if f.rawContext != 0:
        return False
    if not (f.action.type & WFP_ACTION_FLAG_CALLOUT) and not wfp_guid_is_null(&f.action.calloutKey):
        return False
    if weight_type == WFP_EMPTY:
        return True
    if weight_type == WFP_UINT8:
        return f.weight.uint8 < 16
    return weight_type == WFP_UINT64 and f.weight.uint64 != NULL


cdef void untrack_wire(object wire) noexcept:
    """Takes a filter tuple built in Python, and the condition tuples in it, off the cyclic
    collector's lists (see acyclic): they are made of values and never refer back to
    themselves."""
    cdef Py_ssize_t i, j
    if type(wire) is not tuple or len(<tuple>wire) != 14:
        return
    acyclic(wire)
    untrack_conditions((<tuple>wire)[8])


cdef void untrack_conditions(object conditions) noexcept:
    """untrack_wire's part for the condition tuples of a filter tuple."""
    cdef Py_ssize_t j
    if type(conditions) is not tuple:
        return
    acyclic(conditions)
    for condition in <tuple>conditions:
        if type(condition) is tuple and len(<tuple>condition) == 3:
            acyclic(condition)
            value = (<tuple>condition)[2]
            if type(value) is tuple:
                acyclic(value)
                for j in range(len(<tuple>value)):
                    part = (<tuple>value)[j]
                    if type(part) is tuple:
                        acyclic(part)


cdef object parse_filter_as(const wfp_filter0 *f, RuleFactory factory):
    """One filter as a tuple, or as a Rule when a factory is given."""
    if factory is None:
        return parse_filter(f, {})
    return RuleParser(factory, {}).build(f)


cdef tuple parse_provider(const wfp_provider0 *p, dict interned):
    return (
        parse_guid(&p.providerKey, interned),
        parse_str(p.displayData.name),
        parse_str(p.displayData.description),
        p.flags,
        parse_blob(&p.providerData),
        parse_str(p.serviceName),
    )


cdef tuple parse_sublayer(const wfp_sublayer0 *s, dict interned):
    return (
        parse_guid(&s.subLayerKey, interned),
        parse_str(s.displayData.name),
        parse_str(s.displayData.description),
        s.flags,
        parse_optional_guid(s.providerKey, interned),
        parse_blob(&s.providerData),
        s.weight,
    )


cdef tuple parse_layer(const wfp_layer0 *layer, dict interned):
    cdef uint32_t i
    fields = []
    for i in range(layer.numFields):
        fields.append((parse_optional_guid(layer.field[i].fieldKey, interned),
                       layer.field[i].type, layer.field[i].dataType))
    return (
        parse_guid(&layer.layerKey, interned),
        parse_str(layer.displayData.name),
        parse_str(layer.displayData.description),
        layer.flags,
        layer.layerId,
        parse_guid(&layer.defaultSubLayerKey, interned),
        tuple(fields),
    )


# ------------------------------------------------------------------------------------------------
# engines and sessions
# ------------------------------------------------------------------------------------------------

def sim_state_inspect(state_path):
    """(status, backup_status, generation, backup_generation) of a state file and its backup;
    reads only."""
    cdef wfp_sim_state_info info
    cdef uint32_t status
    encoded = os.fsencode(state_path)
    cdef const char *path = encoded
    memset(&info, 0, sizeof(info))
    with nogil:
        status = wfp_sim_state_inspect(path, &info)
    if status != 0:
        raise CoreError(status, "wfp_sim_state_inspect")
    return (info.status, info.backup_status, info.generation, info.backup_generation)


def sim_engine_recover(state_path):
    """Restore a corrupt or missing state file from its backup (waits for the file's lock)."""
    cdef uint32_t status
    encoded = os.fsencode(state_path)
    cdef const char *path = encoded
    with nogil:
        status = wfp_sim_engine_recover(path)
    if status != 0:
        raise CoreError(status, "wfp_sim_engine_recover")


cdef class SimEngineHandle:
    """One embedded engine (wfp_sim_engine)."""
    cdef wfp_sim_engine *engine
    cdef readonly object state_path

    def __init__(self, state_path=None):
        cdef uint32_t status
        cdef const char *path = NULL
        if self.engine != NULL:
            raise RuntimeError("SimEngineHandle is already initialised")
        encoded = None
        if state_path is not None:
            encoded = os.fsencode(state_path)
            if b"\0" in encoded:
                raise ValueError("state path contains an embedded NUL")
            path = encoded
        with nogil:
            status = wfp_sim_engine_create(path, &self.engine)
        if status != 0:
            self.engine = NULL
            raise CoreError(status, "wfp_sim_engine_create")
        self.state_path = state_path

    def __dealloc__(self):
        if self.engine != NULL:
            wfp_sim_engine_release(self.engine)
            self.engine = NULL

    cdef wfp_sim_engine *live(self) except NULL:
        if self.engine == NULL:
            raise RuntimeError("SimEngineHandle.__init__ was not called")
        return self.engine

    def stats(self):
        """The engine's counters (the keys of wfp_sim_stats)."""
        cdef wfp_sim_stats s
        cdef wfp_sim_engine *engine = self.live()
        memset(&s, 0, sizeof(s))
        with nogil:
            wfp_sim_engine_stats(engine, &s)
        return {"providers": s.providers, "sublayers": s.sublayers, "filters": s.filters,
                "sessions": s.sessions, "heap_bytes": s.heap_bytes,
                "next_filter_id": s.next_filter_id}

    def restart(self):
        """Simulate a BFE restart: static objects go, persistent ones stay."""
        cdef uint32_t status
        cdef wfp_sim_engine *engine = self.live()
        with nogil:
            status = wfp_sim_engine_restart(engine)
        if status != 0:
            raise CoreError(status, "wfp_sim_engine_restart")

    def inject_failure(self, uint32_t kind, uint32_t nth, uint32_t code):
        """Fail the nth call of the given kind (0 = filter add) with code, once."""
        cdef wfp_sim_engine *engine = self.live()
        with nogil:
            wfp_sim_inject_failure(engine, kind, nth, code)


cdef class CoreSession:
    """An open engine handle on one backend."""
    cdef const wfp_backend *backend
    # A private copy of the table once _without_function has cleared a slot in it, else NULL.
    cdef wfp_backend *own_table
    cdef wfp_handle handle
    cdef bint is_open
    # Calls running with the GIL released; close() must not pull the handle from under them.
    cdef int calls_in_flight
    cdef readonly str backend_name
    cdef readonly object sim_engine
    # Held from the begin to the end of a bulk call's own transaction: another thread of this
    # session beginning one in between would fail with FWP_E_TXN_IN_PROGRESS.
    cdef object own_transaction_lock

    def __init__(self, str backend, SimEngineHandle sim_engine, key, name, description,
                 bint dynamic, uint32_t txn_timeout_ms):
        cdef wfp_session0 session
        cdef wfp_arena arena
        cdef uint32_t status
        cdef wfp_handle handle = NULL
        cdef wfp_sim_engine *engine = NULL
        if self.is_open:
            raise RuntimeError("CoreSession is already open")
        if sim_engine is not None:
            engine = sim_engine.live()
        if sim_engine is not None and backend != "sim":
            raise ValueError("a SimEngineHandle needs the 'sim' backend")
        self.own_transaction_lock = _threading.Lock()
        self.backend = backend_by_name(backend)
        # Without engine_close a handle could never be given back: refuse to open one.
        if self.backend.engine_close == NULL:
            raise unsupported(self.backend, &self.backend.engine_close)
        if engine == NULL and self.backend.engine_open == NULL:
            raise unsupported(self.backend, &self.backend.engine_open)
        memset(&session, 0, sizeof(session))
        wfp_arena_init(&arena, 0)
        try:
            compose_guid(key, &session.sessionKey)
            compose_str(&arena, name, &session.displayData.name)
            compose_str(&arena, description, &session.displayData.description)
            session.flags = WFP_SESSION_FLAG_DYNAMIC if dynamic else 0
            session.txnWaitTimeoutInMSec = txn_timeout_ms
            if engine != NULL:
                with nogil:
                    status = wfp_sim_session_open(engine, &session, &handle)
            else:
                with nogil:
                    status = self.backend.engine_open(NULL, WFP_RPC_C_AUTHN_DEFAULT, NULL,
                                                      &session, &handle)
        finally:
            wfp_arena_free(&arena)
        if status != 0:
            raise CoreError(status, "FwpmEngineOpen0")
        self.handle = handle
        self.is_open = True
        self.backend_name = backend
        self.sim_engine = sim_engine

    def __dealloc__(self):
        if self.is_open:
            self.is_open = False
            with nogil:  # closing may wait for the engine lock another thread's session holds
                self.backend.engine_close(self.handle)
        if self.own_table != NULL:
            free(self.own_table)
            self.own_table = NULL

    def _without_function(self, str function_name):
        """From now on this session's backend table lacks the named fwpuclnt export, as on a
        Windows whose fwpuclnt.dll does not have it (for tests of the "unsupported" path)."""
        cdef size_t offset = function_slot_offset(function_name)
        if offset == <size_t>(<const char *>&self.backend.engine_close
                              - <const char *>self.backend):
            raise ValueError("FwpmEngineClose0 cannot be removed: the handle would never be closed")
        if self.own_table == NULL:
            self.own_table = <wfp_backend *>malloc(sizeof(wfp_backend))
            if self.own_table == NULL:
                raise MemoryError()
            memcpy(self.own_table, self.backend, sizeof(wfp_backend))
            self.backend = self.own_table
        memset(<char *>self.own_table + offset, 0, sizeof(void *))

    def close(self):
        """Close the engine handle; idempotent.  An open transaction is aborted by the engine."""
        cdef uint32_t status
        if not self.is_open:
            return
        if self.calls_in_flight:
            raise RuntimeError("the session is in use by another thread")
        if self.backend.engine_close == NULL:
            raise unsupported(self.backend, &self.backend.engine_close)
        self.is_open = False
        with nogil:
            status = self.backend.engine_close(self.handle)
        self.handle = NULL
        if status != 0:
            raise CoreError(status, "FwpmEngineClose0")

    @property
    def closed(self):
        return not self.is_open

    cdef int enter(self, str call) except -1:
        if not self.is_open:
            raise CoreError(WFPKIT_E_SESSION_CLOSED, call)
        self.calls_in_flight += 1
        return 0

    cdef void leave(self) noexcept:
        self.calls_in_flight -= 1

    # ---- transactions ----

    def txn_begin(self, bint read_only):
        cdef uint32_t status
        cdef uint32_t flags = WFP_TXN_READ_ONLY if read_only else 0
        self.enter("FwpmTransactionBegin0")
        try:
            if self.backend.transaction_begin == NULL:
                raise unsupported(self.backend, &self.backend.transaction_begin)
            with nogil:
                status = self.backend.transaction_begin(self.handle, flags)
        finally:
            self.leave()
        if status != 0:
            raise CoreError(status, "FwpmTransactionBegin0")

    def txn_commit(self):
        cdef uint32_t status
        self.enter("FwpmTransactionCommit0")
        try:
            if self.backend.transaction_commit == NULL:
                raise unsupported(self.backend, &self.backend.transaction_commit)
            with nogil:
                status = self.backend.transaction_commit(self.handle)
        finally:
            self.leave()
        if status != 0:
            raise CoreError(status, "FwpmTransactionCommit0")

    def txn_abort(self):
        cdef uint32_t status
        self.enter("FwpmTransactionAbort0")
        try:
            if self.backend.transaction_abort == NULL:
                raise unsupported(self.backend, &self.backend.transaction_abort)
            with nogil:
                status = self.backend.transaction_abort(self.handle)
        finally:
            self.leave()
        if status != 0:
            raise CoreError(status, "FwpmTransactionAbort0")

    # ---- providers ----

    def add_provider(self, tuple provider):
        cdef wfp_provider0 p
        cdef wfp_arena arena
        cdef uint32_t status
        memset(&p, 0, sizeof(p))
        wfp_arena_init(&arena, 0)
        self.enter("FwpmProviderAdd0")
        try:
            if self.backend.provider_add == NULL:
                raise unsupported(self.backend, &self.backend.provider_add)
            compose_provider(&arena, provider, &p)
            with nogil:
                status = self.backend.provider_add(self.handle, &p, NULL)
        finally:
            self.leave()
            wfp_arena_free(&arena)
        if status != 0:
            raise CoreError(status, "FwpmProviderAdd0")

    def delete_provider(self, key):
        cdef wfp_guid guid
        cdef uint32_t status
        compose_guid(key, &guid)
        self.enter("FwpmProviderDeleteByKey0")
        try:
            if self.backend.provider_delete_by_key == NULL:
                raise unsupported(self.backend, &self.backend.provider_delete_by_key)
            with nogil:
                status = self.backend.provider_delete_by_key(self.handle, &guid)
        finally:
            self.leave()
        if status != 0:
            raise CoreError(status, "FwpmProviderDeleteByKey0")

    def get_provider(self, key):
        cdef wfp_guid guid
        cdef wfp_provider0 *p = NULL
        cdef uint32_t status
        compose_guid(key, &guid)
        self.enter("FwpmProviderGetByKey0")
        try:
            if self.backend.provider_get_by_key == NULL:
                raise unsupported(self.backend, &self.backend.provider_get_by_key)
            if self.backend.free_memory == NULL:
                raise unsupported(self.backend, &self.backend.free_memory)
            with nogil:
                status = self.backend.provider_get_by_key(self.handle, &guid, &p)
            if status != 0:
                raise CoreError(status, "FwpmProviderGetByKey0")
            return parse_provider(p, {})
        finally:
            if p != NULL:
                self.backend.free_memory(<void **>&p)
            self.leave()

    def providers(self):
        return self.enumerate(WFP_ENUM_PROVIDERS, NULL, "FwpmProviderEnum0", None, None, 0)

    # ---- sublayers ----

    def add_sublayer(self, tuple sublayer):
        cdef wfp_sublayer0 s
        cdef wfp_arena arena
        cdef uint32_t status
        memset(&s, 0, sizeof(s))
        wfp_arena_init(&arena, 0)
        self.enter("FwpmSubLayerAdd0")
        try:
            if self.backend.sublayer_add == NULL:
                raise unsupported(self.backend, &self.backend.sublayer_add)
            compose_sublayer(&arena, sublayer, &s)
            with nogil:
                status = self.backend.sublayer_add(self.handle, &s, NULL)
        finally:
            self.leave()
            wfp_arena_free(&arena)
        if status != 0:
            raise CoreError(status, "FwpmSubLayerAdd0")

    def delete_sublayer(self, key):
        cdef wfp_guid guid
        cdef uint32_t status
        compose_guid(key, &guid)
        self.enter("FwpmSubLayerDeleteByKey0")
        try:
            if self.backend.sublayer_delete_by_key == NULL:
                raise unsupported(self.backend, &self.backend.sublayer_delete_by_key)
            with nogil:
                status = self.backend.sublayer_delete_by_key(self.handle, &guid)
        finally:
            self.leave()
        if status != 0:
            raise CoreError(status, "FwpmSubLayerDeleteByKey0")

    def get_sublayer(self, key):
        cdef wfp_guid guid
        cdef wfp_sublayer0 *s = NULL
        cdef uint32_t status
        compose_guid(key, &guid)
        self.enter("FwpmSubLayerGetByKey0")
        try:
            if self.backend.sublayer_get_by_key == NULL:
                raise unsupported(self.backend, &self.backend.sublayer_get_by_key)
            if self.backend.free_memory == NULL:
                raise unsupported(self.backend, &self.backend.free_memory)
            with nogil:
                status = self.backend.sublayer_get_by_key(self.handle, &guid, &s)
            if status != 0:
                raise CoreError(status, "FwpmSubLayerGetByKey0")
            return parse_sublayer(s, {})
        finally:
            if s != NULL:
                self.backend.free_memory(<void **>&s)
            self.leave()

    def sublayers(self, provider_key=None):
        cdef wfp_sublayer_enum_template0 tmpl
        cdef wfp_guid guid
        if provider_key is None:
            return self.enumerate(WFP_ENUM_SUBLAYERS, NULL, "FwpmSubLayerEnum0", None, None, 0)
        compose_guid(provider_key, &guid)
        tmpl.providerKey = &guid
        return self.enumerate(WFP_ENUM_SUBLAYERS, &tmpl, "FwpmSubLayerEnum0", None, None, 0)

    # ---- filters ----

    def add_filters(self, filters, bint own_transaction, bint check_duplicate_keys=False,
                    RuleFactory rules=None):
        """All-or-nothing; returns the filter ids.  GIL released while C adds.

        filters are filter tuples or, given the RuleFactory, Rules (composed from their fields,
        and nothing else taken).  With check_duplicate_keys, two filters with the same key
        raise DuplicateKeyError before anything reaches the backend; anything else raises
        NotAFilterError with its index."""
        source = filters if type(filters) is list or type(filters) is tuple else list(filters)
        cdef Py_ssize_t n = len(source)
        cdef Py_ssize_t i = 0
        cdef Py_ssize_t start, count, first
        cdef Py_ssize_t added = 0
        cdef Py_ssize_t owned = 0  # objects[released:owned] are references of ours
        cdef Py_ssize_t released = 0
        cdef wfp_arena arena, whole_call
        cdef wfp_filter0 *array
        cdef wfp_guid *keys = NULL
        cdef uint64_t *ids = NULL
        cdef PyObject **objects = NULL
        cdef bint prefetch = rules is not None and rules.direct
        cdef wfp_bulk_result result
        cdef uint32_t status
        cdef bint own = own_transaction
        cdef bint begun = False
        cdef bint locked = False
        cdef guid_memo memo
        if n == 0:
            return []
        memset(&memo, 0, sizeof(memo))
        self.enter("FwpmFilterAdd0")
        # keys, ids and the items live as long as the call; the filter structs, a chunk at a
        # time.
        wfp_arena_init(&whole_call, <size_t>n * (sizeof(wfp_guid) + sizeof(uint64_t)
                                                 + sizeof(PyObject *)))
        wfp_arena_init(&arena, <size_t>min(n, <Py_ssize_t>COMPOSE_CHUNK) * (sizeof(wfp_filter0) + 256))
        try:
            require_bulk_functions(self.backend, own)
            keys = <wfp_guid *>arena_alloc(&whole_call, <size_t>n * sizeof(wfp_guid))
            ids = <uint64_t *>arena_alloc(&whole_call, <size_t>n * sizeof(uint64_t))
            objects = <PyObject **>arena_alloc(&whole_call, <size_t>n * sizeof(PyObject *))
            if prefetch:
                # Borrowed, for prefetch_rules only, and only while no Python code has run.
                for i in range(n):
                    objects[i] = (PyList_GetItem(source, i) if type(source) is list
                                  else PyTuple_GetItem(source, i))
            # Every key first: duplicates are found, and anything that is not a filter is
            # refused, before the first chunk reaches the backend.  Each item is held by a
            # reference of ours (taken here, dropped once it is composed), whatever the
            # caller's list goes through meanwhile: one touch of each rule, not a copy of the
            # list and its release besides.
            for i in range(n):
                if prefetch:
                    prefetch_rules(rules, objects, i, n, False)
                item = source[i]
                try:
                    if rules is None and type(item) is tuple:
                        if len(<tuple>item) != 14 and len(<tuple>item) != 16:
                            raise ValueError(
                                f"a filter tuple has 14 or 16 items, got {len(<tuple>item)}")
                        compose_guid((<tuple>item)[0], &keys[i])
                    elif rules is not None and type(item) is rules.rule_type:
                        if rule_get(rules, item, R_DISABLED) is True:
                            item._to_wire()  # refuses it, as for any rule it cannot add
                        compose_guid(rule_get(rules, item, R_KEY), &keys[i])
                    elif rules is not None and isinstance(item, rules.rule_type):
                        prefetch = False  # Python code runs: the borrowed pointers may go
                        item = item._to_wire()  # a subclass: its own filter tuple
                        compose_guid((<tuple>item)[0], &keys[i])
                    else:
                        raise NotAFilterError(i)
                except NotAFilterError:
                    raise
                except Exception as error:
                    error.add_note(f"while composing filter {i}")
                    raise
                Py_INCREF(item)
                objects[i] = <PyObject *>item
                owned = i + 1
            prefetch = rules is not None and rules.direct  # objects[] are all ours now
            if check_duplicate_keys and n > 1:
                i = find_duplicate_key(&whole_call, keys, n, &first)
                if i >= 0:
                    raise DuplicateKeyError(i, first)
            if own:
                self.own_transaction_lock.acquire()
                locked = True
                with nogil:
                    status = self.backend.transaction_begin(self.handle, 0)
                if status != 0:
                    raise CoreError(status, "FwpmTransaction0", None)
                begun = True
            # Composed and added a chunk at a time, in one arena reused (and so kept warm): the
            # structs of a million filters would otherwise take as much memory as the engine.
            for start in range(0, n, COMPOSE_CHUNK):
                count = min(<Py_ssize_t>COMPOSE_CHUNK, n - start)
                wfp_arena_reset(&arena)
                array = <wfp_filter0 *>arena_alloc(&arena, <size_t>count * sizeof(wfp_filter0))
                for i in range(start, start + count):
                    if prefetch:
                        prefetch_rules(rules, objects, i, n, True)
                    compose_item(&arena, rules, <object>objects[i], &array[i - start], &memo,
                                 &keys[i], i)
                    Py_XDECREF(objects[i])  # composed: our reference goes while it is at hand
                    released = i + 1
                with nogil:
                    result = wfp_bulk_add_filters(self.backend, self.handle, array,
                                                  <size_t>count, ids + start, 0)
                if result.status != 0:
                    raise CoreError(result.status, "FwpmFilterAdd0", start + result.failed_index)
                added = start + count
            if own:
                begun = False
                with nogil:
                    status = self.backend.transaction_commit(self.handle)
                if status != 0:
                    with nogil:  # a failed commit leaves the transaction open on some engines
                        self.backend.transaction_abort(self.handle)
                    raise CoreError(status, "FwpmTransaction0", None)
            return [ids[i] for i in range(n)]
        except BaseException:
            # All or nothing: wfp_bulk_add_filters has undone the chunk that failed.
            if begun:
                with nogil:
                    self.backend.transaction_abort(self.handle)
            elif not own and added:
                with nogil:
                    wfp_bulk_undo(self.backend, self.handle, ids, <size_t>added)
            raise
        finally:
            if locked:
                self.own_transaction_lock.release()
            self.leave()
            for i in range(released, owned):
                Py_XDECREF(objects[i])
            memo_release(&memo)
            wfp_arena_free(&arena)
            wfp_arena_free(&whole_call)

    def delete_filter_by_id(self, uint64_t filter_id):
        cdef uint32_t status
        self.enter("FwpmFilterDeleteById0")
        try:
            if self.backend.filter_delete_by_id == NULL:
                raise unsupported(self.backend, &self.backend.filter_delete_by_id)
            with nogil:
                status = self.backend.filter_delete_by_id(self.handle, filter_id)
        finally:
            self.leave()
        if status != 0:
            raise CoreError(status, "FwpmFilterDeleteById0")

    def delete_filter_by_key(self, key):
        cdef wfp_guid guid
        cdef uint32_t status
        compose_guid(key, &guid)
        self.enter("FwpmFilterDeleteByKey0")
        try:
            if self.backend.filter_delete_by_key == NULL:
                raise unsupported(self.backend, &self.backend.filter_delete_by_key)
            with nogil:
                status = self.backend.filter_delete_by_key(self.handle, &guid)
        finally:
            self.leave()
        if status != 0:
            raise CoreError(status, "FwpmFilterDeleteByKey0")

    def get_filter_by_id(self, uint64_t filter_id, RuleFactory rule_factory=None):
        cdef wfp_filter0 *f = NULL
        cdef uint32_t status
        self.enter("FwpmFilterGetById0")
        try:
            if self.backend.filter_get_by_id == NULL:
                raise unsupported(self.backend, &self.backend.filter_get_by_id)
            if self.backend.free_memory == NULL:
                raise unsupported(self.backend, &self.backend.free_memory)
            with nogil:
                status = self.backend.filter_get_by_id(self.handle, filter_id, &f)
            if status != 0:
                raise CoreError(status, "FwpmFilterGetById0")
            return parse_filter_as(f, rule_factory)
        finally:
            if f != NULL:
                self.backend.free_memory(<void **>&f)
            self.leave()

    def get_filter_by_key(self, key, RuleFactory rule_factory=None):
        cdef wfp_guid guid
        cdef wfp_filter0 *f = NULL
        cdef uint32_t status
        compose_guid(key, &guid)
        self.enter("FwpmFilterGetByKey0")
        try:
            if self.backend.filter_get_by_key == NULL:
                raise unsupported(self.backend, &self.backend.filter_get_by_key)
            if self.backend.free_memory == NULL:
                raise unsupported(self.backend, &self.backend.free_memory)
            with nogil:
                status = self.backend.filter_get_by_key(self.handle, &guid, &f)
            if status != 0:
                raise CoreError(status, "FwpmFilterGetByKey0")
            return parse_filter_as(f, rule_factory)
        finally:
            if f != NULL:
                self.backend.free_memory(<void **>&f)
            self.leave()

    def filters(self, provider_key=None, layer_key=None, uint32_t enum_type=0,
                uint32_t flags=0, uint32_t action_mask=0xFFFFFFFF, conditions=(),
                sublayer_key=None, action_type=None, RuleFactory rule_factory=None):
        """Filters matching an FWPM_FILTER_ENUM_TEMPLATE0, in engine order: filter tuples, or
        Rules when rule_factory is given.

        sublayer_key and action_type (exact) are applied here, before parsing, since the
        template has no sublayer and its action mask matches bits, not values."""
        cdef wfp_filter_enum_template0 tmpl
        cdef wfp_guid provider_guid
        cdef wfp_arena arena
        memset(&tmpl, 0, sizeof(tmpl))
        wfp_arena_init(&arena, 0)
        try:
            if provider_key is not None:
                compose_guid(provider_key, &provider_guid)
                tmpl.providerKey = &provider_guid
            if layer_key is not None:
                compose_guid(layer_key, &tmpl.layerKey)
            tmpl.enumType = enum_type
            tmpl.flags = flags
            tmpl.actionMask = action_mask
            tmpl.filterCondition = compose_conditions(&arena, conditions, &tmpl.numFilterConditions)
            return self.enumerate(WFP_ENUM_FILTERS, &tmpl, "FwpmFilterEnum0", sublayer_key,
                                  action_type, 0, rule_factory)
        finally:
            wfp_arena_free(&arena)

    def layers(self):
        return self.enumerate(WFP_ENUM_LAYERS, NULL, "FwpmLayerEnum0", None, None, 0)

    cdef list enumerate(self, wfp_enum_kind kind, const void *tmpl, str call, object sublayer_key,
                        object action_type, uint32_t page_size, RuleFactory rule_factory=None):
        cdef wfp_pager pager
        cdef uint32_t status
        cdef uint32_t i
        cdef wfp_guid sublayer_guid
        cdef bint by_sublayer = sublayer_key is not None
        cdef bint by_action = action_type is not None
        cdef uint32_t wanted_action = action_type if by_action else 0
        cdef const wfp_filter0 *f
        cdef dict interned = {}
        cdef guid_cache cache
        cdef list out = []
        cdef RuleParser rule_parser = None
        memset(&cache, 0, sizeof(cache))
        if rule_factory is not None:
            rule_parser = RuleParser(rule_factory, interned)
        if by_sublayer:
            compose_guid(sublayer_key, &sublayer_guid)
        self.enter(call)
        try:
            require_enum_functions(self.backend, kind)
            with nogil:
                status = wfp_pager_open(&pager, self.backend, self.handle, kind, tmpl, page_size)
            try:
                if status != 0:
                    raise CoreError(status, call.replace("Enum0", "CreateEnumHandle0"))
                while True:
                    with nogil:
                        status = wfp_pager_next(&pager)
                    if status != 0:
                        raise CoreError(status, call)
                    if pager.page_count == 0:
                        break
                    for i in range(pager.page_count):
                        if kind == WFP_ENUM_FILTERS:
                            f = <const wfp_filter0 *>pager.page[i]
                            if by_sublayer and not wfp_guid_equal(&f.subLayerKey, &sublayer_guid):
                                continue
                            if by_action and f.action.type != wanted_action:
                                continue
                            if rule_parser is not None:
                                out.append(rule_parser.build(f))
                            else:
                                out.append(parse_filter(f, interned, &cache))
                        elif kind == WFP_ENUM_SUBLAYERS:
                            out.append(parse_sublayer(<const wfp_sublayer0 *>pager.page[i], interned))
                        elif kind == WFP_ENUM_PROVIDERS:
                            out.append(parse_provider(<const wfp_provider0 *>pager.page[i], interned))
                        elif kind == WFP_ENUM_LAYERS:
                            out.append(parse_layer(<const wfp_layer0 *>pager.page[i], interned))
            finally:
                with nogil:
                    wfp_pager_close(&pager)
        finally:
            self.leave()
        return out


def app_id_from_file_name(str backend, str path):
    """FwpmGetAppIdFromFileName0 through the given backend: the app id blob as bytes."""
    cdef const wfp_backend *table = backend_by_name(backend)
    cdef wfp_arena arena
    cdef wfp_wchar *name = NULL
    cdef wfp_byte_blob *blob = NULL
    cdef uint32_t status
    if table.get_app_id_from_file_name == NULL:
        raise unsupported(table, &table.get_app_id_from_file_name)
    if table.free_memory == NULL:
        raise unsupported(table, &table.free_memory)
    wfp_arena_init(&arena, 0)
    try:
        compose_str(&arena, path, &name)
        with nogil:
            status = table.get_app_id_from_file_name(name, &blob)
        if status != 0:
            raise CoreError(status, "FwpmGetAppIdFromFileName0")
        return parse_blob(blob) or b""
    finally:
        if blob != NULL:
            table.free_memory(<void **>&blob)
        wfp_arena_free(&arena)


include "_classify.pxi"

include "_digest.pxi"
