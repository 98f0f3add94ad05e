# Content digests (src/core/digest.c): what a provider's objects in an engine are, in a few
# bytes, and the same digest of filters composed but not added.  Included by _core.pyx.
#
# Records are 32 bytes: the object's key (uuid.UUID.bytes order) then its 16-byte digest,
# sorted by key.  The digests detect change; they are not cryptographic.

from cpython.bytes cimport PyBytes_AsString


cdef extern from "wfp/core.h" nogil:
    ctypedef struct wfp_digest_record:
        uint8_t key[16]
        uint8_t digest[16]

    ctypedef struct wfp_digest_set:
        wfp_digest_record *filters
        size_t filter_count
        wfp_digest_record *sublayers
        size_t sublayer_count
        int has_provider
        uint8_t provider[16]
        uint8_t aggregate[16]

    void wfp_digest_bytes(const void *data, size_t size, uint8_t *out)
    void wfp_guid_to_bytes(const wfp_guid *guid, uint8_t *out)
    uint32_t wfp_filter_digest(const wfp_filter0 *filter, uint8_t *out)
    uint32_t wfp_digest_provider_objects(const wfp_backend *backend, wfp_handle engine,
                                         const wfp_guid *provider_key, wfp_digest_set *out)
    void wfp_digest_set_free(wfp_digest_set *digests)
    void wfp_digest_sort_records(wfp_digest_record *records, size_t count)


DIGEST_SIZE = 16
DIGEST_RECORD_SIZE = 32


def digest_of_bytes(bytes data):
    """The 16-byte digest (the one every object digest is made with) of bytes."""
    cdef const char *raw = data
    cdef size_t size = <size_t>len(data)
    cdef uint8_t out[16]
    with nogil:
        wfp_digest_bytes(raw, size, out)
    return PyBytes_FromStringAndSize(<char *>out, 16)


def provider_digests(CoreSession core, provider_key, bint records=True):
    """(filter records, sublayer records, provider digest or None, aggregate digest) of a
    provider's objects in the engine; provider_key None: every filter, no sublayers.  Without
    records, both record strings are empty (the aggregate alone needs no sort).

    Inside an open transaction this reads what the transaction sees."""
    cdef wfp_guid guid
    cdef const wfp_guid *key = NULL
    cdef wfp_digest_set found
    cdef uint32_t status
    if provider_key is not None:
        compose_guid(provider_key, &guid)
        key = &guid
    core.enter("FwpmFilterEnum0")
    try:
        with nogil:
            status = wfp_digest_provider_objects(core.backend, core.handle, key, &found)
    finally:
        core.leave()
    if status != 0:
        raise CoreError(status, "FwpmFilterEnum0")
    if not records:
        found.filter_count = found.sublayer_count = 0
    try:
        with nogil:
            wfp_digest_sort_records(found.filters, found.filter_count)
            wfp_digest_sort_records(found.sublayers, found.sublayer_count)
        return (PyBytes_FromStringAndSize(<char *>found.filters,
                                          <Py_ssize_t>(found.filter_count * sizeof(wfp_digest_record))),
                PyBytes_FromStringAndSize(<char *>found.sublayers,
                                          <Py_ssize_t>(found.sublayer_count * sizeof(wfp_digest_record))),
                PyBytes_FromStringAndSize(<char *>found.provider, 16) if found.has_provider else None,
                PyBytes_FromStringAndSize(<char *>found.aggregate, 16))
    finally:
        wfp_digest_set_free(&found)


def filter_digests(filters):
    """The digest of each filter tuple (as add_filters takes them), composed as they would be
    added but not added: 16 bytes per filter, in order."""
    cdef tuple items = tuple(filters)
    cdef Py_ssize_t n = len(items)
    cdef Py_ssize_t i
    cdef wfp_arena arena
    cdef wfp_filter0 f
    cdef guid_memo memo
    cdef uint32_t status
    out = PyBytes_FromStringAndSize(NULL, n * 16)
    cdef uint8_t *digests = <uint8_t *>PyBytes_AsString(out)
    memset(&memo, 0, sizeof(memo))
    wfp_arena_init(&arena, 0)
    try:
        for i in range(n):
            memset(&f, 0, sizeof(f))
            compose_filter(&arena, items[i], &f, &memo)
            status = wfp_filter_digest(&f, digests + 16 * i)
            if status != 0:
                raise CoreError(status, "digest")
            if (i & 1023) == 1023:
                wfp_arena_free(&arena)  # composed values are needed only until hashed
                wfp_arena_init(&arena, 0)
    finally:
        memo_release(&memo)
        wfp_arena_free(&arena)
    return out


cdef int key_bytes(object key, uint8_t *out) except -1:
    """A key given as an int (uuid.UUID.int) as its 16 bytes, most significant first."""
    cdef uint64_t high = PyLong_AsUnsignedLongLongMask(key >> 64)
    cdef uint64_t low = PyLong_AsUnsignedLongLongMask(key)
    cdef int i
    for i in range(8):
        out[i] = <uint8_t>(high >> (56 - 8 * i))
        out[8 + i] = <uint8_t>(low >> (56 - 8 * i))
    return 0


cdef Py_ssize_t find_record(const uint8_t *records, Py_ssize_t n, const uint8_t *key) noexcept:
    cdef Py_ssize_t low = 0, high = n - 1, middle
    cdef int order
    while low <= high:
        middle = (low + high) >> 1
        order = memcmp(records + 32 * middle, key, 16)
        if order == 0:
            return middle
        if order < 0:
            low = middle + 1
        else:
            high = middle - 1
    return -1


def match_keys(bytes records, keys):
    """Desired keys (ints) against sorted records: (indexes of keys without a record, indexes
    of keys with one, the index of that record for each, indexes of records no key names)."""
    cdef const uint8_t *data = <const uint8_t *>PyBytes_AsString(records)
    cdef Py_ssize_t n = len(records) // 32
    cdef Py_ssize_t i = 0, at
    cdef uint8_t key[16]
    cdef bytearray named = bytearray(n)
    cdef unsigned char *seen = named
    cdef list missing = [], present = [], where = [], unnamed = []
    for item in keys:
        key_bytes(item, key)
        at = find_record(data, n, key) if n else -1
        if at < 0:
            missing.append(i)
        else:
            present.append(i)
            where.append(at)
            seen[at] = 1
        i += 1
    for i in range(n):
        if not seen[i]:
            unnamed.append(i)
    return missing, present, where, unnamed


def differing_digests(bytes records, where, bytes digests):
    """Positions p where the digest of record where[p] is not digests[16p:16p+16]."""
    cdef const uint8_t *data = <const uint8_t *>PyBytes_AsString(records)
    cdef const uint8_t *wanted = <const uint8_t *>PyBytes_AsString(digests)
    cdef Py_ssize_t n = len(records) // 32
    cdef Py_ssize_t p = 0, at
    cdef list out = []
    if len(digests) != 16 * len(where):
        raise ValueError("one digest per record index")
    for item in where:
        at = item
        if at < 0 or at >= n:
            raise IndexError("record index out of range")
        if memcmp(data + 32 * at + 16, wanted + 16 * p, 16) != 0:
            out.append(p)
        p += 1
    return out
