"""The ``wfp`` command line (also ``python -m wfp``).

One subcommand per function, each a ``cmd_<name>(session, args)`` registered in
:func:`build_parser`; global options choose the engine.  With the embedded engine the state is
kept in a per-user state file unless ``--state`` names another.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

import wfp
from wfp.errors import WFPError
from wfp.session import default_backend

__all__ = ["main", "build_parser", "default_state_path"]


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
    """A session on the backend the global options name."""
    backend = args.backend
    if backend == "auto" and args.state is not None:
        backend = "sim"  # --state only means something to the embedded engine
    if backend == "auto":
        backend = default_backend()
    if backend == "sim":
        state = Path(args.state) if args.state is not None else default_state_path()
        state.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return wfp.Session(name="wfp cli", backend=wfp.SimEngine(state))
    return wfp.Session(name="wfp cli", backend=backend)


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


Command = Callable[[wfp.Session, argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: global engine options and one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="wfp", description="Inspect and program the Windows Filtering Platform "
                                "(or wfpkit's embedded engine).")
    parser.add_argument("--version", action="version", version=f"wfpkit {wfp.__version__}")
    parser.add_argument("--backend", choices=("auto", "sim", "fwpuclnt"), default="auto",
                        help="engine to use (default: fwpuclnt on Windows, else the embedded one)")
    parser.add_argument("--state", metavar="PATH", default=None,
                        help="state file of the embedded engine (default: a per-user file)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    layers = commands.add_parser("layers", help=cmd_layers.__doc__, description=cmd_layers.__doc__)
    layers.add_argument("--json", action="store_true", help="print JSON instead of a table")
    layers.set_defaults(handler=cmd_layers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the process exit status (0 ok, 1 engine error, 2 usage)."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    handler: Command = args.handler
    try:
        with open_session(args) as session:
            return handler(session, args)
    except WFPError as error:
        print(f"wfp: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Output piped into a command that stopped reading (e.g. head): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
