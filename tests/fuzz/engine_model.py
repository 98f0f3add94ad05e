"""A plain Python model of the management semantics the embedded engine implements.

It is the other side of the differential test (fuzz_engine.py, test_engine_properties.py): the
same calls go to the engine through ``wfp.Session`` and to this model, and every result and every
error name must agree.  The rules are those of docs/DESIGN and the reference (§3.1 lifetimes and
references, §3.6 validation order, §4 transactions) written as directly as possible:

* objects live in three tables keyed by GUID; a filter also has an id, fresh for the engine;
* lifetimes: built-in, persistent, static, dynamic (owned by one session);
* add checks, in order: referenced sublayer/provider exist, no persistent object from a dynamic
  session, the reference rule, then duplicate key;
* delete checks, in order: exists, built-in, a dynamic session deletes only its own dynamic
  objects, nothing refers to it;
* one engine-wide reader/writer lock: a read/write transaction (explicit or the implicit one of a
  single write) is exclusive, a read-only one shared; a blocked call gives FWP_E_TIMEOUT;
* abort restores the state at begin; closing a session aborts its transaction, then removes its
  dynamic objects.  While another session holds a read/write transaction that removal waits for
  the transaction to end (the transaction is exclusive: its holder sees no other session's
  change, §4), and then happens after its commit or abort alike: a closed session's objects
  never come back.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional

UNIVERSAL_SUBLAYER = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")

PERSISTENT, STATIC, DYNAMIC, BUILTIN = "persistent", "static", "dynamic", "builtin"


class ModelError(Exception):
    """The error the model predicts: the FWP_E_*/WFPKIT_E_* name, and for bulk calls the index."""

    def __init__(self, name: str, index: Optional[int] = None, bulk: bool = False) -> None:
        super().__init__(name, index, bulk)
        self.name, self.index, self.bulk = name, index, bulk


@dataclass
class Obj:
    kind: str                      # "provider" | "sublayer" | "filter"
    key: uuid.UUID
    lifetime: str
    owner: Optional[int] = None    # the model session serial of a dynamic object
    provider: Optional[uuid.UUID] = None
    sublayer: Optional[uuid.UUID] = None
    value: object = None           # what the engine should read back (Provider/Sublayer/Rule)
    id: Optional[int] = None


@dataclass
class State:
    objects: Dict[str, Dict[uuid.UUID, Obj]] = field(
        default_factory=lambda: {"provider": {}, "sublayer": {}, "filter": {}})

    def users(self, obj: Obj) -> int:
        if obj.kind == "provider":
            return sum(1 for kind in ("sublayer", "filter") for o in self.objects[kind].values()
                       if o.provider == obj.key)
        if obj.kind == "sublayer":
            return sum(1 for o in self.objects["filter"].values() if o.sublayer == obj.key)
        return 0

    def drop(self, gone) -> None:
        """Remove objects for which gone(obj) holds, and whatever then refers to a removed one."""
        providers = {k for k, o in self.objects["provider"].items() if gone(o)}
        sublayers = {k for k, o in self.objects["sublayer"].items()
                     if gone(o) or o.provider in providers}
        filters = {k for k, o in self.objects["filter"].items()
                   if gone(o) or o.sublayer in sublayers or o.provider in providers}
        for kind, keys in (("provider", providers), ("sublayer", sublayers), ("filter", filters)):
            for key in keys:
                del self.objects[kind][key]


@dataclass
class ModelSession:
    serial: int
    dynamic: bool
    closed: bool = False
    txn: Optional[str] = None      # None | "rw" | "ro"
    snapshot: Optional[State] = None


def _reference_allowed(lifetime: str, owner: Optional[int], from_provider: Optional[uuid.UUID],
                       to: Obj, to_provider: Optional[uuid.UUID]) -> bool:
    if to.lifetime == BUILTIN:
        return True
    if to.lifetime == PERSISTENT:
        return lifetime != PERSISTENT or to_provider is None or to_provider == from_provider
    if to.lifetime == STATIC:
        return lifetime != PERSISTENT
    return lifetime == DYNAMIC and owner == to.owner


class EngineModel:
    """The model engine.  Every method returns what the engine should return or raises
    :class:`ModelError` with the error it should raise."""

    def __init__(self, builtin_providers, builtin_sublayers) -> None:
        self.state = State()
        for key in builtin_providers:
            self.state.objects["provider"][key] = Obj("provider", key, BUILTIN)
        for key in builtin_sublayers:
            self.state.objects["sublayer"][key] = Obj("sublayer", key, BUILTIN)
        self.sessions: List[ModelSession] = []
        self.last_filter_id = 0

    # ---- sessions and the lock ----

    def open_session(self, dynamic: bool) -> ModelSession:
        session = ModelSession(serial=len(self.sessions) + 1, dynamic=dynamic)
        self.sessions.append(session)
        return session

    def _others(self, session: ModelSession) -> List[ModelSession]:
        return [s for s in self.sessions if s is not session and not s.closed]

    def _check_open(self, session: ModelSession) -> None:
        if session.closed:
            raise ModelError("WFPKIT_E_SESSION_CLOSED")

    def _before_write(self, session: ModelSession) -> None:
        self._check_open(session)
        if session.txn == "ro":
            raise ModelError("FWP_E_INCOMPATIBLE_TXN")
        if session.txn is None and any(s.txn for s in self._others(session)):
            raise ModelError("FWP_E_TIMEOUT")

    def before_read(self, session: ModelSession) -> None:
        self._check_open(session)
        if session.txn is None and any(s.txn == "rw" for s in self._others(session)):
            raise ModelError("FWP_E_TIMEOUT")

    def begin(self, session: ModelSession, read_only: bool) -> None:
        self._check_open(session)
        if session.txn is not None:
            raise ModelError("FWP_E_TXN_IN_PROGRESS")
        others = self._others(session)
        if read_only:
            if any(s.txn == "rw" for s in others):
                raise ModelError("FWP_E_TIMEOUT")
            session.txn = "ro"
        else:
            if any(s.txn for s in others):
                raise ModelError("FWP_E_TIMEOUT")
            session.txn = "rw"
            session.snapshot = copy.deepcopy(self.state)

    def commit(self, session: ModelSession) -> None:
        ended_write = session.txn == "rw"
        session.txn, session.snapshot = None, None
        if ended_write:
            self._drop_closed_sessions_objects()

    def abort(self, session: ModelSession) -> None:
        ended_write = session.txn == "rw"
        if ended_write:
            self.state = session.snapshot
        session.txn, session.snapshot = None, None
        if ended_write:
            self._drop_closed_sessions_objects()

    def _drop_closed_sessions_objects(self) -> None:
        """The deferred part of closing: dynamic objects whose session has closed go."""
        closed = {s.serial for s in self.sessions if s.closed}
        self.state.drop(lambda o: o.lifetime == DYNAMIC and o.owner in closed)

    def close(self, session: ModelSession) -> None:
        if session.closed:
            return
        if session.txn is not None:
            self.abort(session)
        session.closed = True
        # Another session's open read/write transaction is exclusive: the removal waits for its
        # commit or abort (which both end with _drop_closed_sessions_objects).
        if session.dynamic and not any(s.txn == "rw" for s in self._others(session)):
            self._drop_closed_sessions_objects()

    def committed_state(self) -> State:
        """The state other processes see in the state file: the last committed one."""
        for s in self.sessions:
            if s.txn == "rw" and not s.closed:
                return s.snapshot
        return self.state

    def restart(self) -> None:
        if any(s.txn for s in self.sessions if not s.closed):
            raise ModelError("FWP_E_TXN_IN_PROGRESS")
        self.state.drop(lambda o: o.lifetime == STATIC)

    # ---- adds ----

    def _lifetime(self, session: ModelSession, persistent: bool) -> tuple[str, Optional[int]]:
        if persistent:
            if session.dynamic:
                raise ModelError("FWP_E_DYNAMIC_SESSION_IN_PROGRESS")
            return PERSISTENT, None
        return (DYNAMIC, session.serial) if session.dynamic else (STATIC, None)

    def add_provider(self, session: ModelSession, provider) -> None:
        self._before_write(session)
        lifetime, owner = self._lifetime(session, provider.persistent)
        table = self.state.objects["provider"]
        if provider.key in table:
            raise ModelError("FWP_E_ALREADY_EXISTS")
        table[provider.key] = Obj("provider", provider.key, lifetime, owner, value=provider)

    def add_sublayer(self, session: ModelSession, sublayer) -> None:
        self._before_write(session)
        providers = self.state.objects["provider"]
        if sublayer.provider is not None and sublayer.provider not in providers:
            raise ModelError("FWP_E_PROVIDER_NOT_FOUND")
        lifetime, owner = self._lifetime(session, sublayer.persistent)
        if sublayer.provider is not None and not _reference_allowed(
                lifetime, owner, sublayer.provider, providers[sublayer.provider], None):
            raise ModelError("FWP_E_LIFETIME_MISMATCH")
        table = self.state.objects["sublayer"]
        if sublayer.key in table:
            raise ModelError("FWP_E_ALREADY_EXISTS")
        table[sublayer.key] = Obj("sublayer", sublayer.key, lifetime, owner,
                                  provider=sublayer.provider, value=sublayer)

    def _check_rule(self, session: ModelSession, rule) -> Obj:
        sublayers, providers = self.state.objects["sublayer"], self.state.objects["provider"]
        sublayer_key = rule.sublayer if rule.sublayer is not None else UNIVERSAL_SUBLAYER
        if sublayer_key not in sublayers:
            raise ModelError("FWP_E_SUBLAYER_NOT_FOUND")
        if rule.provider is not None and rule.provider not in providers:
            raise ModelError("FWP_E_PROVIDER_NOT_FOUND")
        lifetime, owner = self._lifetime(session, rule.persistent)
        sublayer = sublayers[sublayer_key]
        if not _reference_allowed(lifetime, owner, rule.provider, sublayer, sublayer.provider):
            raise ModelError("FWP_E_LIFETIME_MISMATCH")
        if rule.provider is not None and not _reference_allowed(
                lifetime, owner, rule.provider, providers[rule.provider], None):
            raise ModelError("FWP_E_LIFETIME_MISMATCH")
        if rule.key in self.state.objects["filter"]:
            raise ModelError("FWP_E_ALREADY_EXISTS")
        read_back = dataclasses.replace(rule, sublayer=sublayer_key)
        return Obj("filter", rule.key, lifetime, owner, provider=rule.provider,
                   sublayer=sublayer_key, value=read_back)

    def add_rule(self, session: ModelSession, rule) -> Obj:
        """Returns the new filter's record; its id is filled in by the caller (set_id)."""
        self._before_write(session)
        obj = self._check_rule(session, rule)
        self.state.objects["filter"][rule.key] = obj
        return obj

    def add_rules(self, session: ModelSession, rules) -> List[Obj]:
        self._check_open(session)
        seen = set()
        for rule in rules:
            if rule.key in seen:
                raise ModelError("FWP_E_ALREADY_EXISTS")  # the Python layer's own check
            seen.add(rule.key)
        if not rules:
            return []  # nothing to add: no transaction is opened
        own_transaction = session.txn is None
        if own_transaction and any(s.txn for s in self._others(session)):
            raise ModelError("FWP_E_TIMEOUT", None, bulk=True)
        before = copy.deepcopy(self.state)
        added = []
        for index, rule in enumerate(rules):
            try:
                if session.txn == "ro":
                    raise ModelError("FWP_E_INCOMPATIBLE_TXN")
                obj = self._check_rule(session, rule)
            except ModelError as error:
                self.state = before
                raise ModelError(error.name, index, bulk=True) from None
            self.state.objects["filter"][rule.key] = obj
            added.append(obj)
        return added

    def set_id(self, obj: Obj, filter_id: int) -> None:
        """Record the id the engine gave; ids must be fresh for the engine's whole life."""
        if filter_id <= self.last_filter_id:
            raise AssertionError(f"filter id {filter_id} reused or not increasing "
                                 f"(last {self.last_filter_id})")
        self.last_filter_id = filter_id
        obj.id = filter_id
        obj.value = dataclasses.replace(obj.value, id=filter_id)

    # ---- deletes ----

    def _delete(self, session: ModelSession, kind: str, obj: Optional[Obj]) -> None:
        if obj is None:
            raise ModelError({"provider": "FWP_E_PROVIDER_NOT_FOUND",
                              "sublayer": "FWP_E_SUBLAYER_NOT_FOUND",
                              "filter": "FWP_E_FILTER_NOT_FOUND"}[kind])
        if obj.lifetime == BUILTIN:
            raise ModelError("FWP_E_BUILTIN_OBJECT")
        if session.dynamic:
            if obj.lifetime != DYNAMIC:
                raise ModelError("FWP_E_DYNAMIC_SESSION_IN_PROGRESS")
            if obj.owner != session.serial:
                raise ModelError("FWP_E_WRONG_SESSION")
        if self.state.users(obj):
            raise ModelError("FWP_E_IN_USE")
        del self.state.objects[kind][obj.key]

    def find_filter(self, selector) -> Optional[Obj]:
        if isinstance(selector, int):
            return next((o for o in self.state.objects["filter"].values() if o.id == selector),
                        None)
        return self.state.objects["filter"].get(selector)

    def delete(self, session: ModelSession, kind: str, selector) -> None:
        self._before_write(session)
        obj = (self.find_filter(selector) if kind == "filter"
               else self.state.objects[kind].get(selector))
        self._delete(session, kind, obj)

    def delete_rules(self, session: ModelSession, selectors) -> None:
        self._check_open(session)
        own_transaction = session.txn is None
        if own_transaction and any(s.txn for s in self._others(session)):
            raise ModelError("FWP_E_TIMEOUT")  # the own transaction's begin, not a bulk error
        before = copy.deepcopy(self.state)
        for index, selector in enumerate(selectors):
            try:
                if session.txn == "ro":
                    raise ModelError("FWP_E_INCOMPATIBLE_TXN")
                self._delete(session, "filter", self.find_filter(selector))
            except ModelError as error:
                if own_transaction:
                    self.state = before
                raise ModelError(error.name, index, bulk=True) from None

    # ---- reads ----

    def get(self, session: ModelSession, kind: str, selector) -> Obj:
        self.before_read(session)
        obj = (self.find_filter(selector) if kind == "filter"
               else self.state.objects[kind].get(selector))
        if obj is None:
            raise ModelError({"provider": "FWP_E_PROVIDER_NOT_FOUND",
                              "sublayer": "FWP_E_SUBLAYER_NOT_FOUND",
                              "filter": "FWP_E_FILTER_NOT_FOUND"}[kind])
        return obj

    def listing(self, session: ModelSession, kind: str, state: Optional[State] = None,
                **where) -> Dict[uuid.UUID, object]:
        """Non-built-in objects of a kind (filters narrowed by layer/provider/sublayer/action),
        as key -> expected read-back value."""
        if state is None:
            self.before_read(session)
            state = self.state
        result = {}
        for key, obj in state.objects[kind].items():
            if obj.lifetime == BUILTIN:
                continue
            value = obj.value
            if any(v is not None and getattr(value, name) != v for name, v in where.items()):
                continue
            result[key] = value
        return result
