"""Fuzz harness: a differential test of the engine API against engine_model.py.

The input decodes into a sequence of calls on up to three sessions (dynamic and static) of one
embedded engine, in memory or kept in a state file: add/delete of providers, sublayers and rules
(single and bulk), transactions (read/write and read-only, commit and abort, misuse), lookups,
listings, engine restarts and, with a state file, a second engine reading the file.  Every call
goes to the engine through ``wfp.Session`` and to the model; results and error names must agree
and every listing must equal the model's.  Sessions wait 1 ms for the transaction lock, so
blocked calls show up as FWP_E_TIMEOUT at once.

Run: ``python tests/fuzz/fuzz_engine.py -max_total_time=3600 corpus/`` (docs/fuzzing.md).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_support  # noqa: E402
from engine_model import EngineModel, ModelError, ModelSession, UNIVERSAL_SUBLAYER  # noqa: E402
from fuzz_support import ByteSource  # noqa: E402

with fuzz_support.instrumented(__name__ == "__main__"):
    import wfp  # noqa: E402

PROVIDER_KEYS = [uuid.UUID(int=0xB0_0000 + i) for i in range(3)]
SUBLAYER_KEYS = [uuid.UUID(int=0x5B_0000 + i) for i in range(3)]
RULE_KEYS = [uuid.UUID(int=0xF1_0000 + i) for i in range(6)]
LAYERS = [wfp.Layer.ALE_AUTH_CONNECT_V4, wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4,
          wfp.Layer.OUTBOUND_TRANSPORT_V6]
F = wfp.Field
CONDITIONS = {
    wfp.Layer.ALE_AUTH_CONNECT_V4: [F.IP_REMOTE_PORT == 53, F.IP_PROTOCOL == 17,
                                    F.IP_REMOTE_ADDRESS.in_("10.0.0.0/8"),
                                    F.IP_REMOTE_PORT.between(1000, 2000)],
    wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4: [F.IP_LOCAL_PORT == 22, F.IP_REMOTE_ADDRESS == "192.0.2.1"],
    wfp.Layer.OUTBOUND_TRANSPORT_V6: [F.IP_REMOTE_PORT == 443,
                                      F.IP_REMOTE_ADDRESS.in_("2001:db8::/32")],
}
MAX_SESSIONS = 6
TXN_WAIT_MS = 1
TRACE = bool(os.environ.get("WFP_FUZZ_TRACE"))  # print each call and its outcome to stderr


def trace(message: str) -> None:
    if TRACE:
        print(message, file=sys.stderr, flush=True)


class Mismatch(AssertionError):
    """The engine and the model disagree."""


class Run:
    """One input's run: one engine, its sessions, and the model beside it."""

    def __init__(self, src: ByteSource, state_dir: Optional[Path]) -> None:
        self.src = src
        self.state_path = state_dir / "state.wfp" if state_dir is not None else None
        self.engine = wfp.SimEngine(self.state_path)
        self.sessions: List[tuple[ModelSession, wfp.Session, List[Any]]] = []
        self.next_serial = 0
        with wfp.Session(name="probe", backend=self.engine) as probe:
            builtin_providers = [p.key for p in probe.providers()]
            builtin_sublayers = [s.key for s in probe.sublayers()]
        self.builtin_provider = builtin_providers[0]
        self.model = EngineModel(builtin_providers, builtin_sublayers)
        # The probe session took serial 1 in the model's numbering too.
        self.model.open_session(dynamic=True).closed = True
        self.open_session(dynamic=False)
        self.open_session(dynamic=True)

    def close(self) -> None:
        for _, session, _ in self.sessions:
            session.close()

    # ---- plumbing ----

    def open_session(self, dynamic: bool) -> None:
        session = wfp.Session(name=f"fuzz {len(self.sessions)}", dynamic=dynamic,
                              txn_timeout_ms=TXN_WAIT_MS, backend=self.engine)
        self.sessions.append((self.model.open_session(dynamic), session, []))

    def compare(self, what: str, model_call: Callable[[], Any], engine_call: Callable[[], Any]
                ) -> tuple[Any, Any]:
        try:
            expected, model_error = model_call(), None
        except ModelError as error:
            expected, model_error = None, error
        try:
            got, engine_error = engine_call(), None
        except wfp.WFPError as error:
            got, engine_error = None, error
        trace(f"  {what}: model {model_error.name if model_error else 'ok'}, "
              f"engine {engine_error.name if engine_error else 'ok'}")
        if model_error is None and engine_error is None:
            return expected, got
        if model_error is None or engine_error is None:
            raise Mismatch(f"{what}: model {model_error and model_error.args!r}, "
                           f"engine {engine_error!r}")
        engine_bulk = isinstance(engine_error, wfp.BulkError)
        engine_index = engine_error.index if engine_bulk else None
        if (engine_error.name != model_error.name or engine_bulk != model_error.bulk
                or engine_index != model_error.index):
            raise Mismatch(f"{what}: model {model_error.args!r}, engine {engine_error!r} "
                           f"(bulk={engine_bulk}, index={engine_index})")
        return None, None

    def pick_session(self) -> tuple[ModelSession, wfp.Session, List[Any]]:
        return self.src.choice(self.sessions)

    def make_rule(self) -> wfp.Rule:
        src = self.src
        layer = src.choice(LAYERS)
        conditions = [src.choice(CONDITIONS[layer]) for _ in range(src.int_in(0, 2))]
        weight = src.choice([None, src.uint(8), wfp.WeightRange(src.int_in(0, 15))])
        return wfp.Rule(key=src.choice(RULE_KEYS), name=f"rule {src.int_in(0, 9)}", layer=layer,
                        action=src.choice([wfp.Action.BLOCK, wfp.Action.PERMIT]),
                        sublayer=src.choice([None, UNIVERSAL_SUBLAYER, *SUBLAYER_KEYS]),
                        provider=src.choice([None, self.builtin_provider, *PROVIDER_KEYS]),
                        weight=weight, conditions=conditions,
                        persistent=src.int_in(0, 3) == 0, hard=src.boolean())

    def rule_selector(self) -> Any:
        src = self.src
        kind = src.int_in(0, 3)
        if kind == 0:
            return src.choice(RULE_KEYS)
        known = [o.id for o in self.model.state.objects["filter"].values()]
        if kind == 1 and known:
            return src.choice(known)
        return src.int_in(0, self.model.last_filter_id + 2)

    # ---- the calls ----

    def step(self) -> None:
        src = self.src
        op = src.int_in(0, 16)
        model_session, session, txn_stack = self.pick_session()
        model = self.model
        trace(f"op {op} on session #{self.sessions.index((model_session, session, txn_stack))} "
              f"(serial {model_session.serial}, {'dynamic' if model_session.dynamic else 'static'}"
              f"{', closed' if model_session.closed else ''}, txn {model_session.txn})")
        if op == 0:
            if len(self.sessions) < MAX_SESSIONS:
                self.open_session(src.boolean())
        elif op == 1:
            model.close(model_session)
            session.close()
            txn_stack.clear()
        elif op == 2:
            provider = wfp.Provider(key=src.choice(PROVIDER_KEYS), name="p",
                                    persistent=src.int_in(0, 2) == 0)
            self.compare(f"add_provider({provider.key}, persistent={provider.persistent})", lambda: model.add_provider(model_session, provider),
                         lambda: session.add_provider(provider))
        elif op == 3:
            sublayer = wfp.Sublayer(key=src.choice(SUBLAYER_KEYS), name="s",
                                    weight=src.uint(2),
                                    provider=src.choice([None, self.builtin_provider,
                                                         *PROVIDER_KEYS]),
                                    persistent=src.int_in(0, 2) == 0)
            self.compare(f"add_sublayer({sublayer.key}, provider={sublayer.provider}, "
                         f"persistent={sublayer.persistent})", lambda: model.add_sublayer(model_session, sublayer),
                         lambda: session.add_sublayer(sublayer))
        elif op == 4:
            rule = self.make_rule()
            obj, rule_id = self.compare("add_rule", lambda: model.add_rule(model_session, rule),
                                        lambda: session.add_rule(rule))
            if obj is not None:
                model.set_id(obj, rule_id)
        elif op == 5:
            rules = [self.make_rule() for _ in range(src.int_in(0, 3))]
            objs, ids = self.compare("add_rules", lambda: model.add_rules(model_session, rules),
                                     lambda: session.add_rules(rules))
            for obj, rule_id in zip(objs or (), ids or ()):
                model.set_id(obj, rule_id)
        elif op == 6:
            key = src.choice([self.builtin_provider, *PROVIDER_KEYS])
            self.compare(f"delete_provider({key})", lambda: model.delete(model_session, "provider", key),
                         lambda: session.delete_provider(key))
        elif op == 7:
            key = src.choice([UNIVERSAL_SUBLAYER, *SUBLAYER_KEYS])
            self.compare(f"delete_sublayer({key})", lambda: model.delete(model_session, "sublayer", key),
                         lambda: session.delete_sublayer(key))
        elif op == 8:
            selector = self.rule_selector()
            self.compare(f"delete_rule({selector!r})",
                         lambda: model.delete(model_session, "filter", selector),
                         lambda: session.delete_rule(selector))
        elif op == 9:
            selectors = [self.rule_selector() for _ in range(src.int_in(0, 3))]
            self.compare(f"delete_rules({selectors!r})",
                         lambda: model.delete_rules(model_session, selectors),
                         lambda: session.delete_rules(selectors))
        elif op == 10:
            read_only = src.int_in(0, 2) == 0
            context = session.transaction(read_only=read_only)

            def begin() -> None:
                context.__enter__()
                txn_stack.append(context)
            self.compare("begin", lambda: model.begin(model_session, read_only), begin)
        elif op == 11:
            if txn_stack:
                context = txn_stack.pop()
                commit = src.boolean()
                trace(f"  {'commit' if commit else 'abort'}")
                if commit:
                    model.commit(model_session)
                    context.__exit__(None, None, None)
                else:
                    model.abort(model_session)
                    aborting = RuntimeError("abort")
                    try:
                        context.__exit__(RuntimeError, aborting, None)
                    except RuntimeError as error:
                        if error is not aborting:
                            raise
        elif op == 12:
            if model_session.txn is None and not model_session.closed:
                call = src.choice([session._core.txn_commit, session._core.txn_abort])
                try:
                    call()
                except Exception as error:  # noqa: BLE001 - the binding's own error type
                    name = wfp.error_from_code(error.code).name
                    if name != "FWP_E_NO_TXN_IN_PROGRESS":
                        raise Mismatch(f"commit/abort without a transaction: {name}") from None
                else:
                    raise Mismatch("commit/abort without a transaction succeeded")
        elif op == 13:
            self.check_get(model_session, session)
        elif op == 14:
            self.check_listing(model_session, session)
        elif op == 15:
            self.compare("restart", model.restart, self.engine.restart)
        elif self.state_path is not None:
            self.check_state_file()

    def check_get(self, model_session: ModelSession, session: wfp.Session) -> None:
        src, model = self.src, self.model
        kind = src.choice(["provider", "sublayer", "filter"])
        if kind == "filter":
            selector = self.rule_selector()
            call = lambda: session.rule(selector)  # noqa: E731
        elif kind == "provider":
            selector = src.choice(PROVIDER_KEYS)
            call = lambda: session.provider(selector)  # noqa: E731
        else:
            selector = src.choice(SUBLAYER_KEYS)
            call = lambda: session.sublayer(selector)  # noqa: E731
        obj, got = self.compare(f"get {kind} {selector!r}",
                                lambda: model.get(model_session, kind, selector), call)
        if obj is not None and (got != obj.value or (kind == "filter" and got.id != obj.id)):
            raise Mismatch(f"get {kind}: engine {got!r}, model {obj.value!r}")

    def check_listing(self, model_session: ModelSession, session: wfp.Session) -> None:
        src, model = self.src, self.model
        kind = src.choice(["provider", "sublayer", "filter"])
        where: dict = {}
        if kind == "filter":
            for name, options in (("layer", LAYERS), ("provider", PROVIDER_KEYS),
                                  ("sublayer", SUBLAYER_KEYS),
                                  ("action", [wfp.Action.BLOCK, wfp.Action.PERMIT])):
                if src.int_in(0, 3) == 0:
                    where[name] = src.choice(options)
            call = lambda: session.rules(**where)  # noqa: E731
        elif kind == "provider":
            call = session.providers
        else:
            call = session.sublayers
        expected, got = self.compare(f"list {kind} {where}",
                                     lambda: model.listing(model_session, kind, **where), call)
        if expected is not None:
            self.same_objects(f"list {kind} {where}", expected, got, kind)

    def same_objects(self, what: str, expected: dict, got: list, kind: str) -> None:
        builtin = {o.key for o in self.model.state.objects[kind].values()
                   if o.lifetime == "builtin"}
        got_by_key = {o.key: o for o in got if o.key not in builtin}
        if got_by_key != expected:
            raise Mismatch(f"{what}:\n engine {sorted(map(str, got_by_key))}\n"
                           f" model  {sorted(map(str, expected))}\n"
                           f" differing: {[(got_by_key.get(k), expected.get(k)) for k in set(got_by_key) | set(expected) if got_by_key.get(k) != expected.get(k)]}")
        if kind == "filter":
            for key, rule in got_by_key.items():
                if rule.id != expected[key].id:
                    raise Mismatch(f"{what}: id of {key}: engine {rule.id}, "
                                   f"model {expected[key].id}")

    def check_state_file(self) -> None:
        """A second engine opened on the file sees exactly the committed durable objects."""
        committed = self.model.committed_state()
        durable = [o for kind in committed.objects.values() for o in kind.values()
                   if o.lifetime in ("static", "persistent")]
        reader = wfp.SimEngine(self.state_path)
        with wfp.Session(name="reader", dynamic=False, backend=reader) as session:
            listings = {"provider": session.providers(), "sublayer": session.sublayers(),
                        "filter": session.rules()}
        for kind, got in listings.items():
            expected = {o.key: o.value for o in durable if o.kind == kind}
            self.same_objects(f"state file {kind}s", expected, got, kind)


def test_one_input(data: bytes) -> None:
    """Entry point for atheris and for the regression replays."""
    src = ByteSource(data)
    state_dir = Path(tempfile.mkdtemp(prefix="wfp-fuzz-")) if src.boolean() else None
    run = None
    try:
        run = Run(src, state_dir)
        while src.remaining:
            run.step()
    finally:
        if run is not None:
            run.close()
        if state_dir is not None:
            shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    fuzz_support.run(test_one_input)
