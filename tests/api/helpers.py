"""Helpers for the API tests: building typical objects and capturing an engine's whole state."""

from __future__ import annotations

import os
import uuid
from typing import Any

import wfp

V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
V6 = wfp.Layer.ALE_AUTH_CONNECT_V6


def snapshot(session: wfp.Session) -> Any:
    """Everything an engine shows: providers, sublayers and rules with their ids and effective
    weights, each sorted by key, so two snapshots are equal exactly when nothing changed."""
    providers = sorted(session.providers(), key=lambda p: p.key)
    sublayers = sorted(session.sublayers(), key=lambda s: s.key)
    rules = sorted(((r, r.id, r.effective_weight) for r in session.rules()),
                   key=lambda item: item[0].key)
    return providers, sublayers, rules


def add_base(session: wfp.Session, *, persistent: bool = False) -> tuple[uuid.UUID, uuid.UUID]:
    """Add a provider and a sublayer of it; returns their keys."""
    provider = session.add_provider(wfp.Provider(name="test provider", persistent=persistent))
    sublayer = session.add_sublayer(wfp.Sublayer(name="test sublayer", weight=0x100,
                                                 provider=provider, persistent=persistent))
    return provider, sublayer


def port_rule(port: int, *, sublayer: uuid.UUID, provider: uuid.UUID | None = None,
              action: wfp.Action = wfp.Action.BLOCK, layer: wfp.Layer = V4,
              **extra: Any) -> wfp.Rule:
    """A rule matching one remote port."""
    return wfp.Rule(name=f"port {port}", layer=layer, sublayer=sublayer, provider=provider,
                    action=action, conditions=[wfp.Field.IP_REMOTE_PORT == port], **extra)


def subprocess_env() -> dict:
    """The environment for a child Python that must import this same wfp package (run it with
    a cwd outside the source tree: a checkout without a build would shadow an installed wfp)."""
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(wfp.__file__)))
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": package_root + (os.pathsep + path if path else "")}
