# Included at the end of _core.pyx: what-if classification, net events and snapshot loading.
#
# compose: rows of (field_key, (data_type, payload)) -> wfp_classify_value arrays in one arena,
#          one call into C for the whole batch with the GIL released;
# parse:   wfp_classify_result (and its trace) and FWPM_NET_EVENT0 -> plain tuples.
# Callout models: fixed verdicts are answered in C without the GIL; Python callables are called
# with the GIL re-acquired inside the C callback (the engine lock is not held meanwhile).

from cpython.ref cimport PyObject
from libc.stdlib cimport malloc, free
from wfp.includes.errors cimport (
    WFP_E_CALLOUT_NOTIFICATION_FAILED, WFP_E_CONDITION_NOT_FOUND, WFP_E_LAYER_NOT_FOUND,
)

cdef extern from "wfp/ids.h" nogil:
    ctypedef struct wfp_field_info:
        wfp_guid key
        const char *name
        uint32_t data_type
        uint32_t field_type
        uint16_t index

    ctypedef struct wfp_layer_info:
        wfp_guid key
        const char *name
        uint16_t layer_id
        uint32_t num_fields
        const wfp_field_info *fields

    const wfp_layer_info *wfp_layer_find(const wfp_guid *key)
    const wfp_field_info *wfp_layer_field_find(const wfp_layer_info *layer, const wfp_guid *field)

cdef extern from "wfp/classify.h" nogil:
    uint32_t WFP_RIGHT_ACTION_WRITE
    uint32_t WFP_CALLOUT_RIGHTS_DEFAULT
    uint32_t WFP_CLASSIFY_TRACE
    uint32_t WFP_CLASSIFY_RECORD_DROPS
    uint32_t WFP_CLASSIFY_RECORD_ALLOWS
    uint32_t WFP_CLASSIFY_BOOT_TIME

    ctypedef struct wfp_classify_value:
        uint32_t field
        wfp_value0 value

    ctypedef struct wfp_callout_call:
        const wfp_guid *callout_key
        const wfp_guid *layer_key
        uint64_t filter_id
        uint32_t action_type
        uint32_t filter_flags
        uint32_t rights
        const wfp_classify_value *values
        uint32_t num_values
        size_t row

    ctypedef struct wfp_callout_verdict:
        uint32_t registered
        uint32_t action
        uint32_t rights

    ctypedef uint32_t (*wfp_callout_fn)(void *context, const wfp_callout_call *call,
                                        wfp_callout_verdict *verdict) noexcept nogil

    ctypedef struct wfp_classify_step:
        wfp_guid filter_key
        uint64_t filter_id
        uint64_t effective_weight
        uint32_t outcome
        uint32_t flags

    ctypedef struct wfp_classify_sublayer:
        wfp_guid sublayer_key
        uint64_t filter_id
        uint32_t action
        uint32_t effect
        uint32_t first_step
        uint32_t num_steps
        uint16_t weight
        uint8_t hard

    ctypedef struct wfp_classify_result:
        uint32_t action
        uint32_t decided
        uint64_t filter_id
        wfp_guid filter_key
        wfp_guid sublayer_key
        uint8_t hard
        uint8_t vetoed
        uint8_t trace_truncated
        uint32_t bad_value
        wfp_classify_sublayer *sublayers
        uint32_t num_sublayers
        wfp_classify_step *steps
        uint32_t num_steps

    ctypedef struct wfp_classify_options:
        uint32_t flags
        wfp_callout_fn callout
        void *callout_context
        wfp_arena *arena
        wfp_classify_sublayer *sublayers
        uint32_t sublayer_capacity
        wfp_classify_step *steps
        uint32_t step_capacity

    uint32_t wfp_sim_classify_many(wfp_handle session, const wfp_guid *layer_key,
                                   const wfp_classify_value *values, const uint32_t *row_start,
                                   size_t n, const wfp_classify_options *options,
                                   wfp_classify_result *results, size_t *failed_row)
    uint32_t wfp_sim_events_set_capacity(wfp_sim_engine *engine, size_t capacity)
    void wfp_sim_events_clear(wfp_sim_engine *engine)
    uint32_t wfp_sim_load_filter(wfp_handle session, const wfp_filter0 *filter, uint64_t filter_id,
                                 uint64_t effective_weight)
    uint32_t wfp_sim_load_builtin_sublayer_weight(wfp_handle session, const wfp_guid *sublayer_key,
                                                  uint16_t weight)

CLASSIFY_TRACE = WFP_CLASSIFY_TRACE
CLASSIFY_RECORD_DROPS = WFP_CLASSIFY_RECORD_DROPS
CLASSIFY_RECORD_ALLOWS = WFP_CLASSIFY_RECORD_ALLOWS
CLASSIFY_BOOT_TIME = WFP_CLASSIFY_BOOT_TIME
RIGHT_ACTION_WRITE = WFP_RIGHT_ACTION_WRITE
CALLOUT_RIGHTS_DEFAULT = WFP_CALLOUT_RIGHTS_DEFAULT
ACTION_CONTINUE = WFP_ACTION_CONTINUE


# ------------------------------------------------------------------------------------------------
# callout models
# ------------------------------------------------------------------------------------------------

cdef struct callout_entry:
    wfp_guid key
    bint fixed            # answered here, without the GIL
    uint32_t action
    uint32_t rights


cdef struct callout_table:
    callout_entry *entries
    Py_ssize_t count
    PyObject *owner       # the CalloutBridge, for Python models


cdef class CalloutBridge:
    """The callout models of one classify call, as the C callback sees them.

    models: sequence of (callout_key, fixed) where fixed is (action, rights) or None for a
    Python model, which is called as dispatch(index, callout_key, filter_id, action_type,
    filter_flags, rights, row) and returns (action, rights).
    """
    cdef callout_table table
    cdef object dispatch
    cdef list keys
    cdef object error

    def __cinit__(self, models, dispatch):
        cdef Py_ssize_t i = 0
        models = list(models)
        self.table.count = len(models)
        self.table.owner = <PyObject *>self
        self.table.entries = <callout_entry *>malloc(max(self.table.count, 1) * sizeof(callout_entry))
        if self.table.entries == NULL:
            raise MemoryError()
        self.keys = []
        self.dispatch = dispatch
        self.error = None
        for key, fixed in models:
            compose_guid(key, &self.table.entries[i].key)
            self.keys.append(key)
            if fixed is None:
                self.table.entries[i].fixed = False
                self.table.entries[i].action = 0
                self.table.entries[i].rights = 0
            else:
                self.table.entries[i].fixed = True
                self.table.entries[i].action = fixed[0]
                self.table.entries[i].rights = fixed[1]
            i += 1

    def __dealloc__(self):
        free(self.table.entries)

    cdef uint32_t call_python(self, Py_ssize_t index, const wfp_callout_call *call,
                              wfp_callout_verdict *verdict):
        try:
            action, rights = self.dispatch(
                index, self.keys[index], call.filter_id, call.action_type, call.filter_flags,
                call.rights, call.row)
            verdict.registered = 1
            verdict.action = action
            verdict.rights = rights
            return 0
        except BaseException as error:
            if self.error is None:
                self.error = error
            return WFP_E_CALLOUT_NOTIFICATION_FAILED

    def take_error(self):
        error, self.error = self.error, None
        return error


cdef uint32_t callout_trampoline(void *context, const wfp_callout_call *call,
                                 wfp_callout_verdict *verdict) noexcept nogil:
    cdef callout_table *table = <callout_table *>context
    cdef Py_ssize_t i
    cdef uint32_t status
    for i in range(table.count):
        if wfp_guid_equal(&table.entries[i].key, call.callout_key):
            if table.entries[i].fixed:
                verdict.registered = 1
                verdict.action = table.entries[i].action
                verdict.rights = table.entries[i].rights
                return 0
            with gil:
                status = (<CalloutBridge>table.owner).call_python(i, call, verdict)
            return status
    return 0  # no model: the unregistered rules apply


# ------------------------------------------------------------------------------------------------
# classify
# ------------------------------------------------------------------------------------------------

cdef uint32_t field_index(const wfp_layer_info *layer, object field_key) except? 0xFFFFFFFF:
    """A field's position in its layer's table: given as an int already, or looked up by key."""
    if type(field_key) is int:
        return <uint32_t>field_key  # the engine checks the range
    cdef wfp_guid guid
    compose_guid(field_key, &guid)
    cdef const wfp_field_info *info = wfp_layer_field_find(layer, &guid)
    if info == NULL:
        raise CoreError(WFP_E_CONDITION_NOT_FOUND, "WfpSimClassify")
    return <uint32_t>(info - layer.fields)


def classify_field_index(layer_key, field_key):
    """The position of a field in the engine's table for a layer (what classify_rows accepts in
    place of the field key), or None if the layer lacks it."""
    cdef wfp_guid guid
    compose_guid(layer_key, &guid)
    cdef const wfp_layer_info *layer = wfp_layer_find(&guid)
    if layer == NULL:
        return None
    compose_guid(field_key, &guid)
    cdef const wfp_field_info *info = wfp_layer_field_find(layer, &guid)
    return None if info == NULL else <Py_ssize_t>(info - layer.fields)


cdef wfp_sid_and_attributes *compose_sid_list(wfp_arena *arena, object sids, uint32_t *count) except? NULL:
    cdef Py_ssize_t n = len(sids)
    cdef Py_ssize_t i
    count[0] = <uint32_t>n
    if n == 0:
        return NULL
    cdef wfp_sid_and_attributes *array = <wfp_sid_and_attributes *>arena_alloc(
        arena, <size_t>n * sizeof(wfp_sid_and_attributes))
    for i in range(n):
        sid, attributes = sids[i]
        array[i].Sid = compose_sid(arena, sid)
        array[i].Attributes = attributes
    return array


cdef int compose_classify_value(wfp_arena *arena, object value, wfp_value0 *out) except -1:
    cdef wfp_token_information *token
    data_type, payload = value
    if data_type == WFP_TOKEN_INFORMATION_TYPE:
        sids, restricted = payload
        token = <wfp_token_information *>arena_alloc(arena, sizeof(wfp_token_information))
        token.sids = compose_sid_list(arena, sids, &token.sidCount)
        token.restrictedSids = compose_sid_list(arena, restricted, &token.restrictedSidCount)
        out.type = WFP_TOKEN_INFORMATION_TYPE
        out.tokenInformation = token
        return 0
    return compose_value(arena, value, &out.type, &out.uint8, False)


cdef bytes guid_bytes(const wfp_guid *g):
    """A GUID's 16 bytes in RFC 4122 order (uuid.UUID(bytes=...)), built field by field so the
    host's byte order does not matter; cheaper than a UUID, which Python builds when asked."""
    cdef uint8_t raw[16]
    cdef int i
    raw[0] = <uint8_t>(g.Data1 >> 24)
    raw[1] = <uint8_t>(g.Data1 >> 16)
    raw[2] = <uint8_t>(g.Data1 >> 8)
    raw[3] = <uint8_t>g.Data1
    raw[4] = <uint8_t>(g.Data2 >> 8)
    raw[5] = <uint8_t>g.Data2
    raw[6] = <uint8_t>(g.Data3 >> 8)
    raw[7] = <uint8_t>g.Data3
    for i in range(8):
        raw[8 + i] = g.Data4[i]
    return PyBytes_FromStringAndSize(<const char *>raw, 16)


cdef tuple parse_classify_result(const wfp_classify_result *r, dict interned):
    cdef uint32_t i, j
    cdef const wfp_classify_sublayer *s
    cdef const wfp_classify_step *step
    sublayers = []
    for i in range(r.num_sublayers):
        s = &r.sublayers[i]
        steps = []
        for j in range(s.first_step, s.first_step + s.num_steps):
            if j >= r.num_steps:
                break
            step = &r.steps[j]
            steps.append((guid_bytes(&step.filter_key), step.filter_id,
                          step.effective_weight, step.outcome, step.flags))
        sublayers.append((guid_bytes(&s.sublayer_key), s.weight, s.action, bool(s.hard),
                          s.effect, s.filter_id, tuple(steps)))
    decided = bool(r.decided)
    return (
        r.action,
        decided,
        r.filter_id if decided else None,
        guid_bytes(&r.filter_key) if decided else None,
        guid_bytes(&r.sublayer_key) if decided else None,
        bool(r.hard),
        bool(r.vetoed),
        bool(r.trace_truncated),
        tuple(sublayers),
    )


def classify_rows(CoreSession session, layer_key, rows, uint32_t flags, CalloutBridge callouts=None):
    """Classify each row (a sequence of (field, (data_type, payload))) at one layer; a field is
    its key or its position in the layer's table (classify_field_index).  GUIDs in the results
    are 16 bytes in RFC 4122 order (uuid.UUID(bytes=...)).

    One arena, one call into C with the GIL released.  Returns a list of result tuples (see
    parse_classify_result).  A failing row raises CoreError with .index = the row and
    .value_index = the offending value's position in it (or None).
    """
    cdef wfp_guid layer_guid
    cdef const wfp_layer_info *layer
    cdef wfp_arena arena
    cdef wfp_classify_options options
    cdef Py_ssize_t n = len(rows)
    cdef Py_ssize_t total = 0
    cdef Py_ssize_t i, k
    cdef uint32_t *row_start
    cdef wfp_classify_value *values
    cdef wfp_classify_result *results
    cdef size_t failed_row = 0
    cdef uint32_t status
    cdef dict interned = {}
    if session.backend_name != "sim":
        raise CoreError(WFPKIT_E_UNSUPPORTED, "WfpSimClassify")
    compose_guid(layer_key, &layer_guid)
    layer = wfp_layer_find(&layer_guid)
    if layer == NULL:
        raise CoreError(WFP_E_LAYER_NOT_FOUND, "WfpSimClassify")
    for row in rows:
        total += len(row)
    memset(&options, 0, sizeof(options))
    options.flags = flags
    options.arena = &arena
    if callouts is not None:
        options.callout = callout_trampoline
        options.callout_context = <void *>&callouts.table
    wfp_arena_init(&arena, <size_t>(n * (sizeof(wfp_classify_result) + sizeof(uint32_t))
                                    + total * (sizeof(wfp_classify_value) + 16) + 256))
    session.enter("WfpSimClassify")
    try:
        row_start = <uint32_t *>arena_alloc(&arena, <size_t>(n + 1) * sizeof(uint32_t))
        values = <wfp_classify_value *>arena_alloc(&arena, <size_t>max(total, 1) * sizeof(wfp_classify_value))
        results = <wfp_classify_result *>arena_alloc(&arena, <size_t>max(n, 1) * sizeof(wfp_classify_result))
        k = 0
        i = 0
        for row in rows:
            row_start[i] = <uint32_t>k
            for field_key, value in row:
                values[k].field = field_index(layer, field_key)
                compose_classify_value(&arena, value, &values[k].value)
                k += 1
            i += 1
        row_start[n] = <uint32_t>k
        with nogil:
            status = wfp_sim_classify_many(session.handle, &layer_guid, values, row_start, <size_t>n,
                                           &options, results, &failed_row)
        if callouts is not None:
            error = callouts.take_error()
            if error is not None:
                raise error
        if status != 0:
            failure = CoreError(status, "WfpSimClassify", failed_row if n > 1 else None)
            failure.value_index = results[failed_row].bad_value if <Py_ssize_t>failed_row < n else None
            raise failure
        return [parse_classify_result(&results[i], interned) for i in range(n)]
    finally:
        session.leave()
        wfp_arena_free(&arena)


# ------------------------------------------------------------------------------------------------
# net events
# ------------------------------------------------------------------------------------------------

cdef tuple parse_net_event(const wfp_net_event0 *ev):
    cdef const wfp_net_event_header0 *h = &ev.header
    cdef uint64_t stamp = (<uint64_t>h.timeStamp.dwHighDateTime << 32) | h.timeStamp.dwLowDateTime
    if h.ipVersion == WFP_IP_VERSION_V6:
        local = PyBytes_FromStringAndSize(<const char *>h.localAddrV6.byteArray16, 16)
        remote = PyBytes_FromStringAndSize(<const char *>h.remoteAddrV6.byteArray16, 16)
    else:
        local = h.localAddrV4
        remote = h.remoteAddrV4
    if ev.classifyDrop != NULL and (ev.type == WFP_NET_EVENT_TYPE_CLASSIFY_DROP
                                    or ev.type == WFP_NET_EVENT_TYPE_CLASSIFY_ALLOW):
        filter_id = ev.classifyDrop.filterId
        layer_id = ev.classifyDrop.layerId
    else:
        filter_id = None
        layer_id = None
    return (stamp, ev.type, filter_id, layer_id, h.flags, h.ipVersion, h.ipProtocol, local, remote,
            h.localPort, h.remotePort, parse_blob(&h.appId), parse_sid(h.userId))


def net_events(CoreSession session, uint64_t start_time=0, uint64_t end_time=0):
    """Net events between two FILETIMEs (end 0: no end) through the backend's net-event
    enumeration: (time, type, filter_id, layer_id, flags, ip_version, protocol, local, remote,
    local_port, remote_port, app_id, user_sid) with v4 addresses as host-order ints."""
    cdef wfp_net_event_enum_template0 tmpl
    cdef wfp_pager pager
    cdef uint32_t status
    cdef uint32_t i
    cdef list out = []
    memset(&tmpl, 0, sizeof(tmpl))
    tmpl.startTime.dwLowDateTime = <uint32_t>start_time
    tmpl.startTime.dwHighDateTime = <uint32_t>(start_time >> 32)
    if end_time == 0 and session.backend_name != "sim":
        end_time = 0xFFFFFFFFFFFFFFFF  # fwpuclnt treats an end of 0 literally
    tmpl.endTime.dwLowDateTime = <uint32_t>end_time
    tmpl.endTime.dwHighDateTime = <uint32_t>(end_time >> 32)
    session.enter("FwpmNetEventEnum0")
    try:
        require_enum_functions(session.backend, WFP_ENUM_NET_EVENTS)
        with nogil:
            status = wfp_pager_open(&pager, session.backend, session.handle, WFP_ENUM_NET_EVENTS,
                                    &tmpl, 0)
        try:
            if status != 0:
                raise CoreError(status, "FwpmNetEventCreateEnumHandle0")
            while True:
                with nogil:
                    status = wfp_pager_next(&pager)
                if status != 0:
                    raise CoreError(status, "FwpmNetEventEnum0")
                if pager.page_count == 0:
                    break
                for i in range(pager.page_count):
                    out.append(parse_net_event(<const wfp_net_event0 *>pager.page[i]))
        finally:
            with nogil:
                wfp_pager_close(&pager)
    finally:
        session.leave()
    return out


def events_set_capacity(SimEngineHandle engine, size_t capacity):
    """Keep the newest `capacity` net events (the log is emptied)."""
    cdef uint32_t status
    with nogil:
        status = wfp_sim_events_set_capacity(engine.engine, capacity)
    if status != 0:
        raise CoreError(status, "WfpSimEventsSetCapacity")


def events_clear(SimEngineHandle engine):
    """Forget every recorded net event."""
    with nogil:
        wfp_sim_events_clear(engine.engine)


# ------------------------------------------------------------------------------------------------
# snapshot loading
# ------------------------------------------------------------------------------------------------

def load_filter(CoreSession session, tuple filter, uint64_t filter_id, uint64_t effective_weight):
    """Add a filter (a 14-item filter tuple) keeping its id and effective weight; any callout
    key and the DISABLED flag are admitted (wfp_sim_load_filter)."""
    cdef wfp_filter0 f
    cdef wfp_arena arena
    cdef uint32_t status
    if session.backend_name != "sim":
        raise CoreError(WFPKIT_E_UNSUPPORTED, "WfpSimLoadFilter")
    memset(&f, 0, sizeof(f))
    wfp_arena_init(&arena, 0)
    session.enter("WfpSimLoadFilter")
    try:
        compose_filter(&arena, filter, &f)
        with nogil:
            status = wfp_sim_load_filter(session.handle, &f, filter_id, effective_weight)
    finally:
        session.leave()
        wfp_arena_free(&arena)
    if status != 0:
        raise CoreError(status, "WfpSimLoadFilter")


def load_builtin_sublayer_weight(CoreSession session, key, uint16_t weight):
    """Give a built-in sublayer the weight it had where a snapshot was taken."""
    cdef wfp_guid guid
    cdef uint32_t status
    if session.backend_name != "sim":
        raise CoreError(WFPKIT_E_UNSUPPORTED, "WfpSimLoadSublayerWeight")
    compose_guid(key, &guid)
    session.enter("WfpSimLoadSublayerWeight")
    try:
        with nogil:
            status = wfp_sim_load_builtin_sublayer_weight(session.handle, &guid, weight)
    finally:
        session.leave()
    if status != 0:
        raise CoreError(status, "WfpSimLoadSublayerWeight")
