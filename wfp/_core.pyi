"""Type stub of the compiled binding (wfp/_core.pyx): the only door from Python into C.

The binding does two things: compose (plain Python values -> mirror structs in one arena, one
call into C per batch) and parse (mirror structs -> plain Python values).  wfp/ validates and
converts before calling it.  It knows Rule objects only through a RuleFactory that wfp.rules
gives it: to build read-back Rules straight from the structs (filters(..., rule_factory)), to
fill a new Rule's slots (RuleFactory.fill) and to compose Rules from their slots
(add_filters(..., rules)).

Wire formats shared with the Python layer:

* GUIDs go in as ``uuid.UUID`` (or as the int of one's 128 bits) and come back as
  ``uuid.UUID`` (interned: equal GUIDs within one enumeration are the same object).
* A condition value is ``(data_type, payload)`` with data_type an FWP_DATA_TYPE number:
  EMPTY: None; UINT8/16/32/64, INT8/16/32/64: int; FLOAT/DOUBLE: float;
  BYTE_ARRAY16: 16 bytes; BYTE_ARRAY6: 6 bytes; BYTE_BLOB, SECURITY_DESCRIPTOR,
  TOKEN_ACCESS_INFORMATION: bytes; SID: bytes (binary SID); UNICODE_STRING: str;
  V4_ADDR_MASK: (addr: int, mask: int) host order; V6_ADDR_MASK: (addr: 16 bytes, prefix: int);
  RANGE: ((low_type, low_payload), (high_type, high_payload)).
* A condition is ``(field_key: UUID, match_type: int, value)``.
* A weight is ``(data_type, payload)``: (0, None), (1, 0..15) or (4, uint64).
* The conditions of a filter tuple may also be ``bytes`` packed by the binding (a Rule keeps
  them so: one read back until they are read, a new one from the start, see
  pack_wire_conditions); compose takes them as they are, unpack_conditions turns them into
  condition tuples.
"""

import uuid
from typing import Any, Iterable, List, Optional, Sequence, Tuple

ConditionValue = Tuple[int, Any]
ConditionTuple = Tuple[uuid.UUID, int, ConditionValue]

# (key, name, description, flags, provider_key, layer_key, sublayer_key, weight, conditions,
#  action_type, action_key, raw_context, provider_context_key, provider_data,
#  filter_id, effective_weight)
# On input filter_id and effective_weight are ignored and may be left out (14 items);
# sublayer_key None is the null GUID (the layer's default sublayer); a name of None is sent as
# NULL, which the engine rejects (FWP_E_NULL_DISPLAY_NAME).  Strings must not contain NUL.
# raw_context is used unless flags has HAS_PROVIDER_CONTEXT, then provider_context_key is.
FilterTuple = Tuple[
    uuid.UUID, str, Optional[str], int, Optional[uuid.UUID], uuid.UUID, Optional[uuid.UUID],
    ConditionValue, Sequence[ConditionTuple], int, Optional[uuid.UUID], int,
    Optional[uuid.UUID], Optional[bytes], int, Optional[int],
]
# (key, name, description, flags, provider_data, service_name)
ProviderTuple = Tuple[uuid.UUID, str, Optional[str], int, Optional[bytes], Optional[str]]
# (key, name, description, flags, provider_key, provider_data, weight)
SublayerTuple = Tuple[uuid.UUID, str, Optional[str], int, Optional[uuid.UUID], Optional[bytes], int]
# (key, name, description, flags, layer_id, default_sublayer_key, fields: ((key, field_type, data_type), ...))
LayerTuple = Tuple[uuid.UUID, str, Optional[str], int, int, uuid.UUID, Tuple[Tuple[uuid.UUID, int, int], ...]]


# SDK constants, read from include/wfp/abi.h.
ACTION_BLOCK: int
ACTION_PERMIT: int
ACTION_CALLOUT_TERMINATING: int
ACTION_CALLOUT_INSPECTION: int
ACTION_CALLOUT_UNKNOWN: int
ACTION_FLAG_CALLOUT: int
ACTION_MASK_ANY: int                             # 0xFFFFFFFF: an enum template ignoring actions
FILTER_FLAG_PERSISTENT: int
FILTER_FLAG_BOOTTIME: int
FILTER_FLAG_HAS_PROVIDER_CONTEXT: int
FILTER_FLAG_CLEAR_ACTION_RIGHT: int
FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED: int
FILTER_FLAG_DISABLED: int
FILTER_FLAG_INDEXED: int
PROVIDER_FLAG_PERSISTENT: int
PROVIDER_FLAG_DISABLED: int
SUBLAYER_FLAG_PERSISTENT: int
FILTER_ENUM_FULLY_CONTAINED: int
FILTER_ENUM_OVERLAPPING: int
FILTER_ENUM_FLAG_INCLUDE_BOOTTIME: int
FILTER_ENUM_FLAG_INCLUDE_DISABLED: int
INFINITE: int


class CoreError(OSError):
    """A backend call failed: .code is the DWORD/HRESULT, .call names the call.
    For bulk adds .index is the failing filter's position (None if a transaction call failed)."""
    code: int
    call: str
    index: Optional[int]
    def __init__(self, code: int, call: str, index: Optional[int] = None) -> None: ...


class DuplicateKeyError(ValueError):
    """add_filters(check_duplicate_keys=True): filters .index and .first_index share a key."""
    index: int
    first_index: int
    def __init__(self, index: int, first_index: int) -> None: ...


class NotAFilterError(TypeError):
    """add_filters: the item at .index is neither a filter tuple nor (given a RuleFactory) a
    Rule."""
    index: int
    def __init__(self, index: int) -> None: ...


class RuleFactory:
    """What parse needs to build wfp.Rule objects: the class, layer_of(layer UUID) -> Layer
    member (or the UUID), {action type: Action}, and WeightRange(0) .. WeightRange(15)."""
    rule_type: type
    def __init__(self, rule_type: type, layer_of: Any, actions: dict,
                 weight_ranges: tuple) -> None: ...
    direct: bool  # the Rule's slots were found in its instances: read and set without calls
    def fill(self, rule: Any, values: tuple) -> None:
        """Set every field of a new Rule, values in RULE_FIELDS order (Rule.__init__ only)."""


RULE_FIELDS: Tuple[str, ...]


def unpack_conditions(packed: bytes) -> Tuple[ConditionTuple, ...]: ...
def pack_wire_conditions(conditions: Any) -> Any:
    """Condition tuples packed as a Rule keeps them (bytes), () for none, or the tuples
    themselves when they are not all of a packed type."""


class SimEngineHandle:
    """One embedded engine (wfp_sim_engine)."""
    state_path: Optional[str]
    def __init__(self, state_path: Optional[str] = None) -> None: ...
    def stats(self) -> dict: ...                 # keys of wfp_sim_stats
    def restart(self) -> None: ...
    def inject_failure(self, kind: int, nth: int, code: int) -> None: ...


class CoreSession:
    """An open engine handle on one backend.

    Every method raises CoreError when the backend call fails (code WFPKIT_E_SESSION_CLOSED once
    closed).  Malformed input raises TypeError, ValueError or OverflowError before anything
    reaches C; add_filters notes the index of the filter it could not compose.  Each engine
    call runs with the GIL released, since it may wait for another session's transaction."""
    backend_name: str                            # "sim" or "fwpuclnt"
    sim_engine: Optional[SimEngineHandle]        # the engine given at open, if any
    def __init__(self, backend: str, sim_engine: Optional[SimEngineHandle], key: uuid.UUID,
                 name: str, description: Optional[str], dynamic: bool,
                 txn_timeout_ms: int) -> None: ...
    def close(self) -> None: ...                 # idempotent; RuntimeError while another thread is in a call
    @property
    def closed(self) -> bool: ...

    def txn_begin(self, read_only: bool) -> None: ...
    def txn_commit(self) -> None: ...
    def txn_abort(self) -> None: ...

    def add_provider(self, provider: ProviderTuple) -> None: ...
    def delete_provider(self, key: uuid.UUID) -> None: ...
    def get_provider(self, key: uuid.UUID) -> ProviderTuple: ...
    def providers(self) -> list: ...             # list[ProviderTuple]

    def add_sublayer(self, sublayer: SublayerTuple) -> None: ...
    def delete_sublayer(self, key: uuid.UUID) -> None: ...
    def get_sublayer(self, key: uuid.UUID) -> SublayerTuple: ...
    def sublayers(self, provider_key: Optional[uuid.UUID] = None) -> list: ...

    def add_filters(self, filters: Sequence[Any], own_transaction: bool,
                    check_duplicate_keys: bool = False,
                    rules: Optional[RuleFactory] = None) -> list:
        """All-or-nothing; returns the filter ids.  GIL released while C adds.  filters are
        filter tuples, or with ``rules`` Rules (composed from their fields; anything else is
        NotAFilterError).  With check_duplicate_keys, DuplicateKeyError before anything
        reaches the backend.  Composed and added 4,096 filters at a time in one transaction."""
    def delete_filter_by_id(self, filter_id: int) -> None: ...
    def delete_filter_by_key(self, key: uuid.UUID) -> None: ...
    # With a rule_factory, the get_* and filters() calls give wfp.Rule objects, not tuples.
    def get_filter_by_id(self, filter_id: int,
                         rule_factory: Optional[RuleFactory] = None) -> FilterTuple: ...
    def get_filter_by_key(self, key: uuid.UUID,
                          rule_factory: Optional[RuleFactory] = None) -> FilterTuple: ...
    def filters(self, provider_key: Optional[uuid.UUID] = None,
                layer_key: Optional[uuid.UUID] = None, enum_type: int = 0, flags: int = 0,
                action_mask: int = 0xFFFFFFFF, conditions: Sequence[ConditionTuple] = (),
                sublayer_key: Optional[uuid.UUID] = None,
                action_type: Optional[int] = None,
                rule_factory: Optional[RuleFactory] = None) -> list:
        """list[FilterTuple] matching an FWPM_FILTER_ENUM_TEMPLATE0 built from the first six
        arguments; sublayer_key and action_type (exact match) are applied as pages are read."""
    def _without_function(self, function_name: str) -> None:
        """Tests: this session's backend table loses the named fwpuclnt export; calls needing
        it raise CoreError WFPKIT_E_UNSUPPORTED naming it, as on a Windows that lacks it."""

    def layers(self) -> list: ...                # list[LayerTuple]


def app_id_from_file_name(backend: str, path: str) -> bytes: ...
def error_name(code: int) -> Optional[str]: ...
def error_message(code: int) -> Optional[str]: ...
def sim_available() -> bool: ...
def win_available() -> Tuple[bool, int]: ...    # (loaded, status)


# ---- what-if classification, net events and snapshot loading (wfp/_classify.pxi) ----

CLASSIFY_TRACE: int
CLASSIFY_RECORD_DROPS: int
CLASSIFY_RECORD_ALLOWS: int
CLASSIFY_BOOT_TIME: int
RIGHT_ACTION_WRITE: int
CALLOUT_RIGHTS_DEFAULT: int
ACTION_CONTINUE: int


class CalloutBridge:
    """The callout models of one classify call: models are (callout_key, (action, rights) or
    None); a None model is answered by dispatch(index, callout_key, filter_id, action_type,
    filter_flags, rights, row) -> (action, rights)."""
    def __init__(self, models: Sequence[Tuple[uuid.UUID, Optional[Tuple[int, int]]]],
                 dispatch: Any) -> None: ...
    def take_error(self) -> Optional[BaseException]: ...


def classify_field_index(layer_key: uuid.UUID, field_key: uuid.UUID) -> Optional[int]: ...
def classify_rows(session: CoreSession, layer_key: uuid.UUID,
                  rows: Sequence[Sequence[Tuple[Any, ConditionValue]]], flags: int,
                  callouts: Optional[CalloutBridge] = None) -> list:
    """One result tuple per row: (action, decided, filter_id, filter_key, sublayer_key, hard,
    vetoed, trace_truncated, sublayers)."""
def net_events(session: CoreSession, start_time: int = 0, end_time: int = 0) -> list:
    """(time, type, filter_id, layer_id, flags, ip_version, protocol, local, remote,
    local_port, remote_port, app_id, user_sid) per event."""
def events_set_capacity(engine: SimEngineHandle, capacity: int) -> None: ...
def events_clear(engine: SimEngineHandle) -> None: ...
def load_filter(session: CoreSession, filter: FilterTuple, filter_id: int,
                effective_weight: int) -> None: ...
def load_builtin_sublayer_weight(session: CoreSession, key: uuid.UUID, weight: int) -> None: ...

# ---- content digests (wfp/_digest.pxi, src/core/digest.c) ----

DIGEST_SIZE: int
DIGEST_RECORD_SIZE: int

def digest_of_bytes(data: bytes) -> bytes: ...
def provider_digests(core: CoreSession, provider_key: Optional[uuid.UUID], records: bool = ...
                     ) -> Tuple[bytes, bytes, Optional[bytes], bytes]: ...
def filter_digests(filters: Iterable[tuple]) -> bytes: ...
def match_keys(records: bytes, keys: Iterable[int]
               ) -> Tuple[List[int], List[int], List[int], List[int]]: ...
def differing_digests(records: bytes, where: Sequence[int], digests: bytes) -> List[int]: ...
