"""Sessions: an open connection to a filter engine, and everything done through it.

A :class:`Session` talks to one backend: ``"fwpuclnt"`` (the Windows Filtering Platform through
fwpuclnt.dll) or ``"sim"`` (the embedded engine; the process-wide one, or a :class:`SimEngine`
of its own).  Every call maps engine failures to :mod:`wfp.errors` classes; every call on a
closed session raises :class:`wfp.SessionClosed`.
"""

from __future__ import annotations

import gc
import os
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, List, NamedTuple, Optional, Union, cast

from wfp import _core
from wfp.errors import BulkError, StateFileError, ValidationError, WFPError, error_from_code
from wfp.fields import coerce_layer
from wfp.rules import (
    _RULE_FACTORY, LayerInfo, Provider, Rule, Sublayer, _check_key, _check_text, _coerce_action,
    error_code,
)

__all__ = ["Session", "SimEngine", "BACKENDS", "default_backend"]

BACKENDS = ("auto", "sim", "fwpuclnt")
_MAX_UINT32 = 0xFFFFFFFF
_ENUM_EVERYTHING = _core.FILTER_ENUM_FLAG_INCLUDE_BOOTTIME | _core.FILTER_ENUM_FLAG_INCLUDE_DISABLED


def _translate(error: _core.CoreError) -> WFPError:
    return error_from_code(error.code, error.call)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk work.

    Reading or building 100,000 rules creates millions of objects that hold no cycles; each
    of them counts towards a collection, and every full collection walks the whole heap,
    which made enumerating a large provider several times slower than the enumeration itself.
    What the block leaves alive is long-lived (rules read back, a policy, a plan): it goes
    straight to the oldest generation (``gc.freeze``/``gc.unfreeze`` move the young
    generations there without walking them) rather than being walked by the first young
    collection after the block.  That is skipped when someone else has frozen objects, which
    unfreezing would release.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _state_file_error(error: _core.CoreError, path: Union[str, bytes], hint: str = "") -> WFPError:
    """A failed engine call on a state file, naming the file (message and ``filename``)."""
    translated = error_from_code(error.code, error.call,
                                 f"state file {os.fsdecode(path)!r}{hint}")
    translated.filename = path
    return translated


class SimEngine:
    """An embedded engine of its own, optionally kept in a state file.

    With ``state_path``, persistent objects are loaded from the file now and saved at every
    commit that changes them; a corrupt, foreign, locked or unreadable file raises
    :class:`wfp.StateFileError`, whose message names the file (also its ``filename``).
    Several sessions may share one engine; it lives while any of them is open.
    """

    def __init__(self, state_path: Union[str, os.PathLike, None] = None) -> None:
        path = None
        if state_path is not None:
            if not isinstance(state_path, (str, bytes, os.PathLike)):
                raise ValidationError(error_code("FWP_E_INVALID_PARAMETER"), field="state_path",
                                      value=state_path, reason="expected a path")
            path = os.fspath(state_path)
            if ("\0" if isinstance(path, str) else b"\0") in path:
                raise ValidationError(error_code("FWP_E_INVALID_PARAMETER"), field="state_path",
                                      value=state_path, reason="a path cannot contain NUL")
        self._state_file = path
        try:
            self._handle = _core.SimEngineHandle(path)
        except _core.CoreError as error:
            raise self._engine_error(error) from None

    def _engine_error(self, error: _core.CoreError) -> WFPError:
        """The error of a failed engine call, naming the state file when there is one: most
        failures of an engine with a file are about the file, and a process may open several."""
        if self._state_file is None:
            return _translate(error)
        hint = self._backup_hint() if error.code == error_code("WFPKIT_E_STATE_CORRUPT") else ""
        return _state_file_error(error, self._state_file, hint)

    def _backup_hint(self) -> str:
        try:
            _, backup_status, _, backup_generation = _core.sim_state_inspect(self._state_file)
        except _core.CoreError:
            return ""
        if backup_status != 0:
            return "; no usable backup"
        return (f"; a good backup (generation {backup_generation}) exists: "
                f"wfp.SimEngine.recover({os.fsdecode(self._state_file)!r}) restores it")

    @classmethod
    def recover(cls, state_path: Union[str, os.PathLike]) -> "SimEngine":
        """Restore ``state_path`` from its backup ``<state_path>.bak`` when the file is corrupt
        or missing, then open it.  A file that loads is left as it is; a foreign file is never
        overwritten (:class:`wfp.StateFileError`); without a backup it raises a
        :class:`wfp.WFPError` named ``ERROR_FILE_NOT_FOUND``."""
        path = os.fspath(state_path)
        try:
            _core.sim_engine_recover(path)
        except _core.CoreError as error:
            raise _state_file_error(error, path) from None
        return cls(path)

    @property
    def state_path(self) -> Optional[str]:
        """The state file, or None for an engine kept in memory only."""
        return self._handle.state_path

    def stats(self) -> dict:
        """Counts of providers, sublayers (built-ins included), filters and sessions, the bytes
        the engine holds, and the next filter id."""
        return self._handle.stats()

    def restart(self) -> None:
        """Simulate a restart of the Base Filtering Engine: static objects go, persistent stay."""
        try:
            self._handle.restart()
        except _core.CoreError as error:
            raise self._engine_error(error) from None

    def inject_failure(self, kind: int, nth: int, code: int) -> None:
        """Fail the ``nth`` call of ``kind`` (0 = rule add) from now with ``code``, once."""
        self._handle.inject_failure(kind, nth, code)

    def load(self, snapshot: Any) -> dict:
        """Rebuild a snapshot (:meth:`Session.export`: a dict, JSON text or a file path) in this
        engine, in one transaction, keeping keys, rule ids and effective weights and the
        built-in sublayers' weights.  Returns the counts of providers, sublayers and rules
        added (built-in ones are not added).  See :mod:`wfp.snapshot`."""
        from wfp import snapshot as _snapshot
        return _snapshot.load(self, snapshot)

    def __repr__(self) -> str:
        return f"SimEngine(state_path={self.state_path!r})"


def default_backend() -> str:
    """What backend="auto" picks: "fwpuclnt" on Windows when fwpuclnt.dll loads, else "sim"."""
    if os.name == "nt" and _core.win_available()[0]:
        return "fwpuclnt"
    return "sim"


def _resolve_backend(backend: Any) -> tuple[str, Optional[SimEngine]]:
    if isinstance(backend, SimEngine):
        return "sim", backend
    if backend == "auto":
        return default_backend(), None
    if backend in ("sim", "fwpuclnt"):
        return backend, None
    raise ValidationError(error_code("FWP_E_INVALID_PARAMETER"), field="backend", value=backend,
                          reason="expected 'auto', 'sim', 'fwpuclnt' or a wfp.SimEngine")


def _rule_selector(key_or_id: Any) -> Union[int, uuid.UUID]:
    """A filter id (int) or key (UUID) from an int, a UUID, a UUID string or a Rule."""
    if isinstance(key_or_id, int) and not isinstance(key_or_id, bool):
        if not 0 <= key_or_id <= (1 << 64) - 1:
            raise ValidationError(error_code("FWP_E_OUT_OF_BOUNDS"), field="id", value=key_or_id,
                                  reason="a rule id is an unsigned 64-bit int")
        return key_or_id
    return cast(uuid.UUID, _check_key("key", key_or_id, optional=False))


class FilterDigests(NamedTuple):
    """What :meth:`Session.filter_digests` returns.

    ``filters`` and ``sublayers`` are records of 32 bytes, sorted by key: the key (16 bytes,
    ``uuid.UUID.bytes``) then the 16-byte digest of the object.  ``provider`` is the
    provider's digest (None when the engine has no such provider), ``aggregate`` one digest of
    all of them (equal exactly when all the records and the provider digest are).
    """

    filters: bytes
    sublayers: bytes
    provider: Optional[bytes]
    aggregate: bytes

    def filter_map(self) -> "dict[uuid.UUID, bytes]":
        """The filter records as {key: digest}."""
        data = self.filters
        return {uuid.UUID(bytes=data[i:i + 16]): data[i + 16:i + 32]
                for i in range(0, len(data), 32)}


class Session:
    """An open session on a filter engine; a context manager that closes it.

    ``dynamic=True`` (the default) makes every object added through the session disappear when
    it closes.  ``txn_timeout_ms`` bounds how long a call waits for another session's
    transaction (None: the engine's default, 15 s on Windows).  ``backend`` is "auto" (fwpuclnt
    on Windows when it loads, else the embedded engine), "sim", "fwpuclnt", or a
    :class:`SimEngine`.
    """

    def __init__(self, *, name: str = "", description: str = "", dynamic: bool = True,
                 txn_timeout_ms: Optional[int] = None, backend: Any = "auto") -> None:
        _check_text("name", name, required=True)
        _check_text("description", description, required=False)
        if not isinstance(dynamic, bool):
            raise ValidationError(error_code("FWP_E_INVALID_PARAMETER"), field="dynamic",
                                  value=dynamic, reason="expected True or False")
        if txn_timeout_ms is not None and (
                not isinstance(txn_timeout_ms, int) or isinstance(txn_timeout_ms, bool)
                or not 0 <= txn_timeout_ms <= _MAX_UINT32):
            raise ValidationError(error_code("FWP_E_OUT_OF_BOUNDS"), field="txn_timeout_ms",
                                  value=txn_timeout_ms,
                                  reason="milliseconds from 0 to 2**32-1, or None")
        backend_name, engine = _resolve_backend(backend)
        self._engine = engine
        self._dynamic = dynamic
        self._in_transaction = False
        self.key = uuid.uuid4()
        try:
            self._core = _core.CoreSession(
                backend_name, engine._handle if engine is not None else None, self.key, name,
                description or None, dynamic, txn_timeout_ms or 0)
        except _core.CoreError as error:
            raise _translate(error) from None

    # ---- lifetime ----

    @property
    def backend(self) -> str:
        """The backend in use: "sim" or "fwpuclnt"."""
        return self._core.backend_name

    @property
    def engine(self) -> Optional[SimEngine]:
        """The SimEngine this session was opened on, if one was given."""
        return self._engine

    @property
    def dynamic(self) -> bool:
        """Whether objects added through this session go away when it closes."""
        return self._dynamic

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._core.closed

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction opened with :meth:`transaction` is in progress."""
        return self._in_transaction

    def close(self) -> None:
        """Close the session (an open transaction is aborted); calling it again does nothing."""
        self._in_transaction = False
        try:
            self._core.close()
        except _core.CoreError as error:
            raise self._error(error) from None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("in transaction" if self._in_transaction else "open")
        return f"<wfp.Session backend={self.backend!r} dynamic={self._dynamic} {state}>"

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except _core.CoreError as error:
            raise self._error(error) from None

    def _error(self, error: _core.CoreError) -> WFPError:
        """A failed call's error; one about the engine's state file (saving at a commit, say)
        names the file, as the SimEngine's own errors do."""
        translated = _translate(error)
        if self._engine is not None and isinstance(translated, StateFileError):
            return self._engine._engine_error(error)
        return translated

    def _check_open(self, call: str) -> None:
        if self._core.closed:
            raise error_from_code(error_code("WFPKIT_E_SESSION_CLOSED"), call,
                                  "the session is closed")

    # ---- transactions ----

    @contextmanager
    def transaction(self, read_only: bool = False) -> Iterator["Session"]:
        """Run the block in one transaction: committed when it ends, aborted on an exception.

        Transactions do not nest: opening one inside another raises
        :class:`wfp.TransactionError` before anything reaches the engine.
        """
        self._check_open("FwpmTransactionBegin0")
        if self._in_transaction:
            raise error_from_code(error_code("FWP_E_TXN_IN_PROGRESS"), "FwpmTransactionBegin0",
                                  "a transaction is already open on this session; they do not nest")
        self._call(self._core.txn_begin, bool(read_only))
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self._end_transaction_after_error()
            raise
        self._in_transaction = False
        try:
            self._call(self._core.txn_commit)
        except WFPError:
            self._end_transaction_after_error()
            raise

    def _end_transaction_after_error(self) -> None:
        self._in_transaction = False
        if self._core.closed:
            return  # closing the session already aborted it
        try:
            self._core.txn_abort()
        except _core.CoreError:
            pass  # the engine already ended it (e.g. a failed commit); nothing is left to undo

    # ---- layers ----

    def layers(self) -> List[LayerInfo]:
        """Every filtering layer the engine knows, with its fields."""
        self._check_open("FwpmLayerEnum0")
        return [LayerInfo._from_wire(t) for t in self._call(self._core.layers)]

    # ---- providers ----

    def providers(self) -> List[Provider]:
        """Every provider, built-in ones included."""
        self._check_open("FwpmProviderEnum0")
        return [Provider._from_wire(t) for t in self._call(self._core.providers)]

    def provider(self, key: Any) -> Provider:
        """The provider with this key (:class:`wfp.ProviderNotFound` if there is none)."""
        self._check_open("FwpmProviderGetByKey0")
        key = _check_key("key", key, optional=False)
        return Provider._from_wire(self._call(self._core.get_provider, key))

    def add_provider(self, provider: Provider) -> uuid.UUID:
        """Add a provider; returns its key."""
        self._check_open("FwpmProviderAdd0")
        if not isinstance(provider, Provider):
            raise ValidationError(error_code("FWP_E_INVALID_PARAMETER"), field="provider",
                                  value=provider, reason="expected a wfp.Provider")
        self._call(self._core.add_provider, provider._to_wire())
        return provider.key

    def delete_provider(self, provider: Any) -> None:
        """Delete a provider by key (or Provider); it must no longer be referenced."""
        self._check_open("FwpmProviderDeleteByKey0")
        self._call(self._core.delete_provider, _check_key("provider", provider, optional=False))

    # ---- sublayers ----

    def sublayers(self, provider: Any = None) -> List[Sublayer]:
        """Every sublayer (built-ins included), or those of one provider."""
        self._check_open("FwpmSubLayerEnum0")
        provider_key = _check_key("provider", provider, optional=True)
        return [Sublayer._from_wire(t) for t in self._call(self._core.sublayers, provider_key)]

    def sublayer(self, key: Any) -> Sublayer:
        """The sublayer with this key (:class:`wfp.SublayerNotFound` if there is none)."""
        self._check_open("FwpmSubLayerGetByKey0")
        key = _check_key("key", key, optional=False)
        return Sublayer._from_wire(self._call(self._core.get_sublayer, key))

    def add_sublayer(self, sublayer: Sublayer) -> uuid.UUID:
        """Add a sublayer; returns its key."""
        self._check_open("FwpmSubLayerAdd0")
        if not isinstance(sublayer, Sublayer):
            raise ValidationError(error_code("FWP_E_INVALID_PARAMETER"), field="sublayer",
                                  value=sublayer, reason="expected a wfp.Sublayer")
        self._call(self._core.add_sublayer, sublayer._to_wire())
        return sublayer.key

    def delete_sublayer(self, sublayer: Any) -> None:
        """Delete a sublayer by key (or Sublayer); it must hold no rules."""
        self._check_open("FwpmSubLayerDeleteByKey0")
        self._call(self._core.delete_sublayer, _check_key("sublayer", sublayer, optional=False))

    # ---- rules ----

    def rules(self, layer: Any = None, provider: Any = None, sublayer: Any = None,
              action: Any = None) -> List[Rule]:
        """Rules, optionally only those at a layer, of a provider, in a sublayer, with an action.

        Layer, provider and action go to the engine in its enumeration template; the sublayer
        is matched as the results are read.  Disabled and boot-time rules are included.
        """
        self._check_open("FwpmFilterEnum0")
        layer_key = coerce_layer(layer).value if layer is not None else None
        provider_key = _check_key("provider", provider, optional=True)
        sublayer_key = _check_key("sublayer", sublayer, optional=True)
        if action is not None:
            wanted = _coerce_action(action)
            if wanted is None:
                raise ValidationError(error_code("FWP_E_INVALID_ACTION_TYPE"), field="action",
                                      value=action, reason="expected a wfp.Action")
            action = wanted
        # The template's mask selects by action bits, which BLOCK and PERMIT share; the exact
        # action type is then matched as the results are read.
        action_mask = int(action) if action is not None else _core.ACTION_MASK_ANY
        with _collector_paused():
            # The binding builds the Rules itself (the per-rule cost is most of an enumeration).
            return self._call(self._core.filters, provider_key, layer_key,
                              _core.FILTER_ENUM_OVERLAPPING, _ENUM_EVERYTHING, action_mask, (),
                              sublayer_key, int(action) if action is not None else None,
                              _RULE_FACTORY)

    def rule(self, key_or_id: Any) -> Rule:
        """The rule with this key (UUID) or id (int); :class:`wfp.FilterNotFound` otherwise."""
        self._check_open("FwpmFilterGetByKey0")
        selector = _rule_selector(key_or_id)
        if isinstance(selector, int):
            return self._call(self._core.get_filter_by_id, selector, _RULE_FACTORY)
        return self._call(self._core.get_filter_by_key, selector, _RULE_FACTORY)

    @staticmethod
    def _not_a_rule(value: Any, label: str) -> ValidationError:
        return ValidationError(error_code("FWP_E_INVALID_PARAMETER"), field=label, value=value,
                               reason="expected a wfp.Rule")

    def add_rule(self, rule: Rule) -> int:
        """Add one rule; returns its id."""
        self._check_open("FwpmFilterAdd0")
        if not isinstance(rule, Rule):
            raise self._not_a_rule(rule, "rule")
        return self._call(self._core.add_filters, [rule], False, False, _RULE_FACTORY)[0]

    def filter_digests(self, provider: Any = None, *, records: bool = True) -> "FilterDigests":
        """Content digests of a provider's rules, sublayers and the provider itself as the
        engine holds them (inside a transaction: as the transaction sees them), computed in C
        without building a Python object per rule.  ``provider`` None: every rule of the
        engine, and no sublayers.  Without ``records`` only the aggregate is computed.

        A digest is 128 bits of a non-cryptographic hash of the object's canonical form (see
        ``src/core/digest.c``): equal objects give equal digests, and any change to a field
        that says what an object does changes it.  It detects change; it is no proof against
        someone crafting a collision.
        """
        self._check_open("FwpmFilterEnum0")
        provider_key = _check_key("provider", provider, optional=True)
        return FilterDigests(*self._call(_core.provider_digests, self._core, provider_key,
                                         bool(records)))

    def _add_filters(self, items: List[Any], rule_at: Callable[[int], Any],
                     rules: bool) -> List[int]:
        """add_rules for a list of Rules (``rules``), or of filter tuples made and checked
        elsewhere (the binding's form); ``rule_at(index)`` gives the Rule an error names."""
        try:
            # The binding composes Rules from their fields and refuses anything else, and
            # checks the keys for duplicates, all before anything is sent.
            return self._core.add_filters(items, not self._in_transaction, True,
                                          _RULE_FACTORY if rules else None)
        except _core.NotAFilterError as refused:
            raise self._not_a_rule(items[refused.index], f"rules[{refused.index}]") from None
        except _core.DuplicateKeyError as duplicate:
            raise ValidationError(error_code("FWP_E_ALREADY_EXISTS"),
                                  field=f"rules[{duplicate.index}].key",
                                  value=rule_at(duplicate.index).key,
                                  reason=f"the same key as rules[{duplicate.first_index}]") from None
        except _core.CoreError as error:
            index = error.index
            raise BulkError(self._error(error), index,
                            rule_at(index) if index is not None else None) from None

    def add_rules(self, rules: Iterable[Rule]) -> List[int]:
        """Add many rules all-or-nothing, in one call into the engine; returns their ids.

        Outside a transaction the rules get one of their own; inside ``with s.transaction()``
        they join it.  Two rules with the same key are a :class:`wfp.ValidationError` before
        anything is sent.  An engine failure raises :class:`wfp.BulkError` with the index and
        the rule that failed, and nothing of the call is applied.
        """
        self._check_open("FwpmFilterAdd0")
        rules = rules if type(rules) is list else list(rules)
        return self._add_filters(rules, rules.__getitem__, True)

    def delete_rule(self, key_or_id: Any) -> None:
        """Delete a rule by key (UUID or Rule) or id (int)."""
        self._check_open("FwpmFilterDeleteById0")
        self._call(self._delete_one, _rule_selector(key_or_id))

    def _delete_one(self, selector: Union[int, uuid.UUID]) -> None:
        if isinstance(selector, int):
            self._core.delete_filter_by_id(selector)
        else:
            self._core.delete_filter_by_key(selector)

    def delete_rules(self, keys_or_ids: Iterable[Any]) -> None:
        """Delete many rules (keys, ids or Rules) in one transaction, all or nothing.

        Inside ``with s.transaction()`` they join it: a failure raises :class:`wfp.BulkError`,
        and letting it leave the ``with`` block aborts every deletion.
        """
        self._check_open("FwpmFilterDeleteById0")
        items = list(keys_or_ids)
        selectors = [_rule_selector(item) for item in items]
        own_transaction = not self._in_transaction
        if own_transaction:
            self._call(self._core.txn_begin, False)
        index = None
        try:
            for index, selector in enumerate(selectors):
                self._delete_one(selector)
            index = None
            if own_transaction:
                self._core.txn_commit()
        except _core.CoreError as error:
            if own_transaction:
                try:
                    self._core.txn_abort()
                except _core.CoreError:
                    pass  # a failed commit may already have ended it
            raise BulkError(self._error(error), index,
                            items[index] if index is not None else None) from None
        except BaseException:
            if own_transaction:
                self._core.txn_abort()
            raise

    # ---- what-if classification, net events, snapshots (wfp.classify, wfp.snapshot) ----

    def classify(self, layer: Any, values: Any, *, trace: bool = True, callouts: Any = None,
                 record: str = "drops", boot_time: bool = False) -> Any:
        """Would traffic with these field values be permitted at ``layer``, and which rule
        decides?  Returns a :class:`wfp.Decision` (embedded engine only; never changes rules).

        ``values`` maps fields to values of their run-time type (see :mod:`wfp.classify`);
        ``callouts`` maps callout keys to models for this call; ``record`` is "drops" (a net
        event for a Block), "all" or "none"; ``boot_time`` classifies against boot-time rules.
        """
        from wfp import classify as _classify
        return _classify.classify(self, layer, values, trace=trace, callouts=callouts,
                                  record=record, boot_time=boot_time)

    def classify_many(self, layer: Any, rows: Iterable[Any], *, trace: bool = False,
                      callouts: Any = None, record: str = "drops") -> List[Any]:
        """Classify many rows of values at one layer in one call into the engine, with the GIL
        released (Python callout models re-acquire it); a list of :class:`wfp.Decision`."""
        from wfp import classify as _classify
        return _classify.classify_many(self, layer, rows, trace=trace, callouts=callouts,
                                       record=record)

    def classify_connection(self, direction: str, protocol: Any, local: Any, remote: Any,
                            app: Any = None, **options: Any) -> Any:
        """Classify every layer a TCP or UDP connection crosses (reference §1.8); blocked if any
        layer blocks, naming it.  ``local``/``remote`` are addresses or (address, port);
        ``app`` an app id or a path; options: ``user``, ``interface``, ``flags``, ``values``,
        ``trace``, ``callouts``, ``record``.  Returns a :class:`wfp.ConnectionDecision`."""
        from wfp import classify as _classify
        return _classify.classify_connection(self, direction, protocol, local, remote, app,
                                             **options)

    def register_callout(self, callout: Any, model: Any) -> None:
        """Attach a model to a callout key for this session's classifies: a fixed answer
        (``wfp.Action.PERMIT``/``BLOCK``, :class:`wfp.CalloutAction`, :class:`wfp.CalloutVerdict`)
        or a callable taking a :class:`wfp.CalloutCall`."""
        from wfp import classify as _classify
        _classify.register_callout(self, callout, model)

    def unregister_callout(self, callout: Any) -> None:
        """Detach a callout model: the callout acts as unregistered again."""
        from wfp import classify as _classify
        _classify.unregister_callout(self, callout)

    def events(self, *, since: Any = None, until: Any = None) -> List[Any]:
        """Net events (drops, and allows when classify was asked to record them) through the
        backend's net-event enumeration, oldest first; a list of :class:`wfp.NetEvent`."""
        from wfp import classify as _classify
        return _classify.events(self, since=since, until=until)

    def export(self, path: Any = None) -> dict:
        """Every provider, sublayer and rule of this session's engine (any backend) as a
        versioned snapshot document, also written to ``path`` as JSON when given; load it
        with :meth:`SimEngine.load`.  See :mod:`wfp.snapshot`."""
        from wfp import snapshot as _snapshot
        return _snapshot.export(self, path)
