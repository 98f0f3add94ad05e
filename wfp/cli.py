"""The ``wfp`` command line (also ``python -m wfp``).

One subcommand per function, each a ``cmd_<name>(session, args)`` registered in
:func:`build_parser`; global options choose the engine.  With the embedded engine the state is
kept in a per-user state file unless ``--state`` names another, so what ``wfp apply`` wrote is
what the next ``wfp rules`` reads.

Exit codes: 0 success, 1 error, 2 usage error, 3 ``plan --exit-code`` found changes.  Errors
are one line on stderr; ``--debug`` adds the traceback.  ``--json`` prints JSON on stdout.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import wfp
from wfp import policy as policies
from wfp.appid import app_id_to_path
from wfp.errors import WFPError
from wfp.fields import DataType, Field, FieldType, Match, Range, RawValue, coerce_layer
from wfp.rules import Action, Rule, WeightRange, error_code
from wfp.security import SecurityDescriptor
from wfp.session import default_backend

__all__ = ["main", "build_parser", "default_state_path", "EXIT_OK", "EXIT_ERROR", "EXIT_USAGE",
           "EXIT_CHANGES"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CHANGES = 0, 1, 2, 3
# Long lists in the text form of a plan; --json always has everything.
_PLAN_LINES_SHOWN = 50
_CONDITION_VALUES_SHOWN = 4


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit code 2)."""


def default_state_path() -> Path:
    """Where the embedded engine keeps its state for the CLI: $WFPKIT_STATE if set, else
    %LOCALAPPDATA%\\wfpkit\\engine.state on Windows and $XDG_STATE_HOME (~/.local/state)
    /wfpkit/engine.state elsewhere."""
    explicit = os.environ.get("WFPKIT_STATE")
    if explicit:
        return Path(explicit)
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "wfpkit" / "engine.state"


def open_session(args: argparse.Namespace) -> wfp.Session:
    """A session on the backend the global options name.

    Commands that write use a static session, so what they add outlives the process (in the
    state file of the embedded engine, in BFE on Windows); the others use a dynamic one.
    """
    backend = args.backend
    if backend == "auto" and args.state is not None:
        backend = "sim"  # --state only means something to the embedded engine
    if backend == "auto":
        backend = default_backend()
    dynamic = not getattr(args, "writes", False)
    if backend == "sim":
        state = Path(args.state) if args.state is not None else default_state_path()
        state.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return wfp.Session(name="wfp cli", dynamic=dynamic, backend=wfp.SimEngine(state))
    return wfp.Session(name="wfp cli", dynamic=dynamic, backend=backend)


# --------------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------------

def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Columns padded to their widest cell; the last column is not padded."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    for row in [list(headers)] + rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        print("  ".join(cells).rstrip())


def _json_value(value: Any) -> Any:
    """A condition value as JSON: addresses, networks and GUIDs as strings, bytes as
    ``{"hex": ...}``, ranges as ``{"low": ..., "high": ...}``."""
    if isinstance(value, Range):
        return {"low": _json_value(value.low), "high": _json_value(value.high)}
    if isinstance(value, RawValue):
        payload = value.payload.hex() if isinstance(value.payload, bytes) else repr(value.payload)
        return {"data_type": value.data_type, "payload": payload}
    if value is None:
        return None
    return _plain_json(value)


def _plain_json(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (Field, wfp.Layer)):
        return value.name
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network,
                          ipaddress.IPv6Network, uuid.UUID)):
        return str(value)
    if isinstance(value, SecurityDescriptor):
        return value.sddl
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    return str(value)


def _name_of(value: Any) -> Optional[str]:
    if value is None:
        return None
    return getattr(value, "name", None) or str(value)


def _weight_json(weight: Any) -> Any:
    return {"range": weight.value} if isinstance(weight, WeightRange) else weight


def _weight_text(weight: Any) -> str:
    if weight is None:
        return "auto"
    if isinstance(weight, WeightRange):
        return f"range {weight.value}"
    return str(weight)


def _value_text(field: Any, value: Any) -> str:
    if isinstance(value, Range):
        return f"{_value_text(field, value.low)}..{_value_text(field, value.high)}"
    if isinstance(value, SecurityDescriptor):
        return value.sddl
    if isinstance(value, bytes) and field in (Field.ALE_APP_ID, Field.ALE_ORIGINAL_APP_ID):
        return app_id_to_path(value)
    if isinstance(value, bytes):
        return value.hex() if len(value) <= 16 else value[:16].hex() + "..."
    return str(value)


def _conditions_text(conditions: Sequence[wfp.Condition]) -> str:
    """``ip_remote_port=53 ip_protocol=17|6 flags:flags_all_set=0x1``, long OR lists cut."""
    groups: Dict[Any, List[wfp.Condition]] = {}
    for condition in conditions:
        groups.setdefault(condition.field, []).append(condition)
    parts = []
    for field, group in groups.items():
        name = field.name.lower() if isinstance(field, Field) else str(field)
        values = []
        for condition in group[:_CONDITION_VALUES_SHOWN]:
            text = _value_text(field, condition.value)
            match = condition.match
            if match not in (Match.EQUAL, Match.RANGE):
                text = f"{getattr(match, 'name', match)}({text})".lower()
            values.append(text)
        if len(group) > _CONDITION_VALUES_SHOWN:
            values.append(f"...(+{len(group) - _CONDITION_VALUES_SHOWN})")
        parts.append(f"{name}={'|'.join(values)}")
    return " ".join(parts) or "-"


def _rule_json(rule: Rule, sublayer_names: Dict[uuid.UUID, str]) -> dict:
    return {
        "key": str(rule.key), "id": rule.id, "name": rule.name, "description": rule.description,
        "layer": _name_of(rule.layer), "sublayer": str(rule.sublayer) if rule.sublayer else None,
        "sublayer_name": sublayer_names.get(rule.sublayer),
        "provider": str(rule.provider) if rule.provider else None,
        "weight": _weight_json(rule.weight), "effective_weight": rule.effective_weight,
        "action": _name_of(rule.action), "hard": rule.hard, "persistent": rule.persistent,
        "boot_time": rule.boot_time, "disabled": rule.disabled,
        "conditions": [{"field": _name_of(c.field), "match": _name_of(c.match),
                        "value": _json_value(c.value)} for c in rule.conditions],
    }


class Progress:
    """A one-line progress report on stderr for work that runs longer than a second.

    Silent unless stderr is a terminal; nothing is drawn for work that ends within a second.
    """

    DELAY = 1.0
    INTERVAL = 0.25

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = bool(getattr(self._stream, "isatty", lambda: False)())
        self._phase = ""
        self._started = time.monotonic()
        self._drawn = False
        self._done = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> "Progress":
        if self._enabled:
            self._thread = threading.Thread(target=self._run, name="wfp progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()

    def phase(self, text: str) -> None:
        """Name what is being done now."""
        self._phase = text

    def _run(self) -> None:
        if self._done.wait(self.DELAY):
            return
        while not self._done.is_set():
            elapsed = time.monotonic() - self._started
            self._stream.write(f"\r\x1b[Kwfp: {self._phase}... {elapsed:.0f}s")
            self._stream.flush()
            self._drawn = True
            self._done.wait(self.INTERVAL)


# --------------------------------------------------------------------------------------------
# Lookups by name or key
# --------------------------------------------------------------------------------------------

def _as_uuid(text: str) -> Optional[uuid.UUID]:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _resolve(kind: str, text: Optional[str], objects: Callable[[], Sequence[Any]]
             ) -> Optional[uuid.UUID]:
    """A provider or sublayer key from a key or a unique name."""
    if text is None:
        return None
    key = _as_uuid(text)
    if key is not None:
        return key
    matches = [o.key for o in objects() if o.name == text]
    if not matches:
        raise UsageError(f"no {kind} named {text!r} (give its name or key)")
    if len(matches) > 1:
        raise UsageError(f"{len(matches)} {kind}s are named {text!r}; give the key")
    return matches[0]


def _parse_action(text: Optional[str]) -> Optional[Action]:
    if text is None:
        return None
    try:
        return Action[text.upper()]
    except KeyError:
        raise UsageError(f"unknown action {text!r}; one of "
                         + ", ".join(a.name.lower() for a in Action)) from None


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------

def cmd_layers(session: wfp.Session, args: argparse.Namespace) -> int:
    """List the filtering layers: name, layer id and number of condition fields."""
    layers = sorted(session.layers(), key=lambda layer: layer.id)
    if args.json:
        json.dump([{"name": layer.name, "key": str(layer.key), "id": layer.id,
                    "flags": layer.flags, "field_count": len(layer.fields),
                    "fields": [getattr(f.field, "name", str(f.field)) for f in layer.fields]}
                   for layer in layers], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max((len(layer.name) for layer in layers), default=4)
    print(f"{'NAME':<{width}}  {'ID':>4}  {'FIELDS':>6}")
    for layer in layers:
        print(f"{layer.name:<{width}}  {layer.id:>4}  {len(layer.fields):>6}")
    return 0


def cmd_fields(session: wfp.Session, args: argparse.Namespace) -> int:
    """List the condition fields of a layer with their data type there."""
    try:
        layer = coerce_layer(args.layer)
    except WFPError:
        raise UsageError(f"unknown layer {args.layer!r} (wfp layers lists them)") from None
    info = next((i for i in session.layers() if i.layer == layer), None)
    if info is None:
        raise UsageError(f"the engine does not know layer {layer.name}")
    rows = []
    for f in info.fields:
        data_type = DataType(f.data_type).name if f.data_type in DataType._value2member_map_ \
            else str(f.data_type)
        kind = FieldType(f.field_type).name if f.field_type in FieldType._value2member_map_ \
            else str(f.field_type)
        rows.append((_name_of(f.field), data_type, kind))
    if args.json:
        _print_json([{"field": name, "data_type": dt, "field_type": ft} for name, dt, ft in rows])
    else:
        _print_table(("FIELD", "TYPE", "KIND"), rows)
    return 0


def cmd_providers(session: wfp.Session, args: argparse.Namespace) -> int:
    """List the providers (built-ins included)."""
    providers = session.providers()
    if args.json:
        _print_json([{"key": str(p.key), "name": p.name, "description": p.description,
                      "persistent": p.persistent, "disabled": p.disabled,
                      "service_name": p.service_name} for p in providers])
    else:
        _print_table(("KEY", "PERSISTENT", "NAME"),
                     [(p.key, "yes" if p.persistent else "no", p.name) for p in providers])
    return 0


def cmd_sublayers(session: wfp.Session, args: argparse.Namespace) -> int:
    """List the sublayers (built-ins included), or those of one provider."""
    provider = _resolve("provider", args.provider, session.providers)
    sublayers = sorted(session.sublayers(provider=provider), key=lambda s: -s.weight)
    if args.json:
        _print_json([{"key": str(s.key), "name": s.name, "description": s.description,
                      "weight": s.weight, "provider": str(s.provider) if s.provider else None,
                      "persistent": s.persistent} for s in sublayers])
    else:
        _print_table(("KEY", "WEIGHT", "NAME"), [(s.key, s.weight, s.name) for s in sublayers])
    return 0


def cmd_rules(session: wfp.Session, args: argparse.Namespace) -> int:
    """List rules, optionally only those at a layer, of a provider, in a sublayer or with an
    action."""
    try:
        layer = coerce_layer(args.layer) if args.layer is not None else None
    except WFPError:
        raise UsageError(f"unknown layer {args.layer!r} (wfp layers lists them)") from None
    provider = _resolve("provider", args.provider, session.providers)
    sublayer_objects = session.sublayers()
    sublayer = _resolve("sublayer", args.sublayer, lambda: sublayer_objects)
    rules = session.rules(layer=layer, provider=provider, sublayer=sublayer,
                          action=_parse_action(args.action))
    names = {s.key: s.name for s in sublayer_objects}
    if args.json:
        _print_json([_rule_json(r, names) for r in rules])
        return 0
    _print_table(("ID", "ACTION", "WEIGHT", "LAYER", "SUBLAYER", "NAME", "CONDITIONS"),
                 [(r.id, _name_of(r.action) + (" (hard)" if r.hard else ""),
                   _weight_text(r.weight), _name_of(r.layer),
                   names.get(r.sublayer, str(r.sublayer)), r.name,
                   _conditions_text(r.conditions)) for r in rules])
    return 0


def _show_plan(plan: policies.Plan, *, limit: Optional[int]) -> None:
    changes = plan.changes
    for change in changes[:limit] if limit is not None else changes:
        print(change.describe())
    if limit is not None and len(changes) > limit:
        print(f"... and {len(changes) - limit} more (--json lists every change)")
    print(("Plan: " if plan.has_changes else "No changes: ") + plan.summary())


def cmd_plan(session: wfp.Session, args: argparse.Namespace) -> int:
    """Show what applying a policy file would change; nothing is written."""
    with Progress() as progress:
        progress.phase("reading the policy")
        policy = policies.load(args.file)
        progress.phase("comparing with the engine")
        plan = policy.plan(session, prune=args.prune)
    if args.json:
        _print_json(plan.to_dict())
    else:
        _show_plan(plan, limit=None)
    return EXIT_CHANGES if args.exit_code and plan.has_changes else EXIT_OK


def _confirm(args: argparse.Namespace, question: str) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("stdin is not a terminal: pass --yes to apply without asking")
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _carry_out(args: argparse.Namespace, preview: policies.Plan,
               run: Callable[[Callable[[str], None]], policies.Plan]) -> int:
    if not preview.has_changes:
        if args.json:
            _print_json(preview.to_dict())
        else:
            print("No changes: " + preview.summary())
        return EXIT_OK
    if not args.json:
        _show_plan(preview, limit=_PLAN_LINES_SHOWN)
    if not _confirm(args, "Apply these changes?"):
        print("Nothing applied.", file=sys.stderr)
        return EXIT_ERROR
    with Progress() as progress:
        applied = run(progress.phase)
    if args.json:
        _print_json(applied.to_dict())
    else:
        print("Applied: " + applied.summary())
    return EXIT_OK


def cmd_apply(session: wfp.Session, args: argparse.Namespace) -> int:
    """Make the engine match a policy file, in one transaction."""
    with Progress() as progress:
        progress.phase("reading the policy")
        policy = policies.load(args.file)
        if args.yes:
            # Nothing to confirm: the plan made inside the transaction is the one shown.
            applied = policy.apply(session, prune=args.prune, progress=progress.phase)
    if args.yes:
        return _show_applied(args, applied)
    with Progress() as progress:
        progress.phase("comparing with the engine")
        preview = policy.plan(session, prune=args.prune)
    # The preview is carried out as shown unless the provider's objects changed meanwhile
    # (Policy.apply checks their digest inside its transaction, and plans again if so).
    return _carry_out(args, preview,
                      lambda report: policy.apply(session, prune=args.prune, plan=preview,
                                                  progress=report))


def _show_applied(args: argparse.Namespace, applied: policies.Plan) -> int:
    if args.json:
        _print_json(applied.to_dict())
    elif not applied.has_changes:
        print("No changes: " + applied.summary())
    else:
        _show_plan(applied, limit=_PLAN_LINES_SHOWN)
        print("Applied: " + applied.summary())
    return EXIT_OK


def cmd_export(session: wfp.Session, args: argparse.Namespace) -> int:
    """Write every provider, sublayer and rule of the engine as a snapshot (TOML, or JSON)."""
    document = session.export()
    text = (json.dumps(document, indent=1, ensure_ascii=False) + "\n" if args.json
            else policies.render_toml(document))
    if args.output is None:
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def cmd_import(session: wfp.Session, args: argparse.Namespace) -> int:
    """Add a snapshot's objects by key: missing ones added, differing ones replaced, nothing
    else touched, in one transaction."""
    snapshot = policies.load_snapshot(args.snapshot)
    preview = snapshot.plan(session)
    return _carry_out(args, preview, lambda report: snapshot.apply(session, progress=report))


def _explain_value(text: str) -> Any:
    """A value typed on the command line: an int (decimal or 0x hex) or the text itself."""
    stripped = text.strip()
    try:
        return int(stripped, 0)
    except ValueError:
        return stripped


def cmd_explain(session: wfp.Session, args: argparse.Namespace) -> int:
    """Classify field values at a layer and explain the decision."""
    if not hasattr(wfp.Session, "classify"):
        raise WFPError(error_code("WFPKIT_E_UNSUPPORTED"), "explain",
                       "classification is not available in this version of wfpkit")
    try:
        layer = coerce_layer(args.layer)
    except WFPError:
        raise UsageError(f"unknown layer {args.layer!r} (wfp layers lists them)") from None
    values: Dict[Any, Any] = {}
    for item in args.values:
        name, equals, text = item.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"expected FIELD=VALUE, got {item!r}")
        try:
            field = wfp.fields.coerce_field(name.strip())
        except WFPError:
            raise UsageError(f"unknown field {name.strip()!r} (wfp fields {layer.name} lists "
                             "them)") from None
        values[field] = _explain_value(text)
    decision = session.classify(layer, values)
    if args.json:
        rule = decision.rule
        _print_json({
            "layer": layer.name, "action": decision.action.name, "decided": decision.decided,
            "hard": decision.hard, "vetoed": decision.vetoed,
            "rule": {"key": str(rule.key), "id": rule.id, "name": rule.name} if rule else None,
            "sublayer": str(decision.sublayer) if decision.sublayer else None,
            "trace": [{"sublayer": str(s.sublayer), "weight": s.weight,
                       "action": s.action.name if s.action is not None else None,
                       "effect": s.effect.name.lower(),
                       "steps": [{"rule_key": str(step.rule_key), "rule_id": step.rule_id,
                                  "effective_weight": step.effective_weight,
                                  "outcome": step.outcome.name.lower()} for step in s.steps]}
                      for s in decision.trace]})
    else:
        print(str(decision))
    return 0


def cmd_events(session: wfp.Session, args: argparse.Namespace) -> int:
    """List the net events the engine recorded (drops, and allows when asked for)."""
    events = session.events()
    if args.json:
        _print_json([{"time": e.time.isoformat(), "action": _name_of(e.action),
                      "rule_id": e.rule_id, "layer": _name_of(e.layer), "protocol": e.protocol,
                      "local_address": _plain_json(e.local_address) if e.local_address else None,
                      "remote_address": _plain_json(e.remote_address) if e.remote_address else None,
                      "local_port": e.local_port, "remote_port": e.remote_port,
                      "app": app_id_to_path(e.app_id) if e.app_id else None, "user": e.user}
                     for e in events])
    else:
        for event in events:
            print(str(event))
    return 0


def cmd_app_id(session: wfp.Session, args: argparse.Namespace) -> int:
    """Print the app id (ALE_APP_ID value) of a program path."""
    blob = wfp.app_id(args.path, backend=session)
    if args.json:
        _print_json({"path": args.path, "app_id": app_id_to_path(blob), "hex": blob.hex()})
    else:
        print(app_id_to_path(blob))
    return 0


# --------------------------------------------------------------------------------------------
# The parser and main
# --------------------------------------------------------------------------------------------

Command = Callable[[wfp.Session, argparse.Namespace], int]


def _command(commands: Any, name: str, handler: Command, *, writes: bool = False,
             json_option: bool = True) -> argparse.ArgumentParser:
    doc = (handler.__doc__ or "").strip().split("\n\n")[0]
    parser = commands.add_parser(name, help=doc.split(".")[0], description=doc)
    if json_option:
        parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=handler, writes=writes)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: global engine options and one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="wfp", description="Inspect and program the Windows Filtering Platform "
                                "(or wfpkit's embedded engine).",
        epilog="Exit codes: 0 ok, 1 error, 2 usage, 3 plan --exit-code found changes.")
    parser.add_argument("--version", action="version", version=f"wfpkit {wfp.__version__}")
    parser.add_argument("--backend", choices=("auto", "sim", "fwpuclnt"), default="auto",
                        help="engine to use (default: fwpuclnt on Windows, else the embedded one)")
    parser.add_argument("--state", metavar="PATH", default=None,
                        help="state file of the embedded engine (default: a per-user file)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _command(commands, "layers", cmd_layers)
    fields = _command(commands, "fields", cmd_fields)
    fields.add_argument("layer", metavar="LAYER", help="a layer name (wfp layers)")
    _command(commands, "providers", cmd_providers)
    sublayers = _command(commands, "sublayers", cmd_sublayers)
    sublayers.add_argument("--provider", metavar="P", help="only this provider's (name or key)")
    rules = _command(commands, "rules", cmd_rules)
    rules.add_argument("--layer", metavar="L", help="only rules at this layer")
    rules.add_argument("--provider", metavar="P", help="only this provider's (name or key)")
    rules.add_argument("--sublayer", metavar="S", help="only rules in this sublayer (name or key)")
    rules.add_argument("--action", metavar="A", help="only rules with this action (block, permit)")
    plan = _command(commands, "plan", cmd_plan)
    plan.add_argument("file", metavar="FILE", help="a policy file (TOML or JSON)")
    plan.add_argument("--prune", action="store_true",
                      help="also show the provider's objects not in the file, to be deleted")
    plan.add_argument("--exit-code", action="store_true",
                      help="exit with 3 when there are changes (0 when there are none)")
    apply = _command(commands, "apply", cmd_apply, writes=True)
    apply.add_argument("file", metavar="FILE", help="a policy file (TOML or JSON)")
    apply.add_argument("--prune", action="store_true",
                       help="delete the provider's objects that are not in the file")
    apply.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    export = _command(commands, "export", cmd_export)
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    imports = _command(commands, "import", cmd_import, writes=True)
    imports.add_argument("snapshot", metavar="SNAPSHOT", help="a snapshot (wfp export)")
    imports.add_argument("--yes", "-y", action="store_true", help="import without asking")
    explain = _command(commands, "explain", cmd_explain)
    explain.add_argument("layer", metavar="LAYER", help="a layer name (wfp layers)")
    explain.add_argument("values", metavar="FIELD=VALUE", nargs="*",
                         help="field values, e.g. ip_remote_address=8.8.8.8 ip_remote_port=53")
    _command(commands, "events", cmd_events)
    app = _command(commands, "app-id", cmd_app_id)
    app.add_argument("path", metavar="PATH", help="a program path (C:\\...\\app.exe)")
    return parser


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 error, 2 usage, 3 plan has changes)."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    handler: Command = args.handler
    try:
        with open_session(args) as session:
            return handler(session, args)
    except UsageError as error:
        if args.debug:
            traceback.print_exc()
        parser.print_usage(sys.stderr)
        print(f"wfp: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Output piped into a command that stopped reading (e.g. head): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("wfp: interrupted; nothing of the unfinished operation was applied",
              file=sys.stderr)
        return EXIT_ERROR
    except (WFPError, OSError) as error:
        if args.debug:
            traceback.print_exc()
        print(f"wfp: {_one_line(error)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # a bug: still one line unless asked for the traceback
        if args.debug:
            traceback.print_exc()
        print(f"wfp: internal error: {type(error).__name__}: {_one_line(error)} "
              "(--debug shows the traceback)", file=sys.stderr)
        return EXIT_ERROR
