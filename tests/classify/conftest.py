"""Helpers for the classify tests: sublayers and rules in one call, a built-in callout key."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import wfp
from wfp import _ids

V4 = wfp.Layer.ALE_AUTH_CONNECT_V4
V6 = wfp.Layer.ALE_AUTH_CONNECT_V6
PORT = wfp.Field.IP_REMOTE_PORT
# The embedded engine knows only built-in callouts; any one serves as "a driver's callout".
CALLOUT = uuid.UUID(_ids.CALLOUTS["IPSEC_INBOUND_TRANSPORT_V4"])
OTHER_CALLOUT = uuid.UUID(_ids.CALLOUTS["IPSEC_OUTBOUND_TRANSPORT_V4"])


class Policy:
    """Adds sublayers and rules to a session and remembers them by name."""

    def __init__(self, session: wfp.Session) -> None:
        self.session = session
        self.ids: dict[str, int] = {}
        self.keys: dict[str, uuid.UUID] = {}

    def sublayer(self, weight: int, name: str | None = None) -> uuid.UUID:
        return self.session.add_sublayer(
            wfp.Sublayer(name=name or f"S(0x{weight:x})", weight=weight)
        )

    def rule(
        self,
        name: str,
        sublayer: uuid.UUID,
        action: wfp.Action,
        *conditions: Any,
        layer: wfp.Layer = V4,
        **options: Any,
    ) -> int:
        rule = wfp.Rule(
            name=name,
            layer=layer,
            sublayer=sublayer,
            action=action,
            conditions=list(conditions),
            **options,
        )
        self.ids[name] = self.session.add_rule(rule)
        self.keys[name] = rule.key
        return self.ids[name]

    def name_of(self, decision: wfp.Decision) -> str | None:
        """The name of the deciding rule (None when nothing decided)."""
        by_id = {v: k for k, v in self.ids.items()}
        return by_id.get(decision.rule_id) if decision.decided else None


@pytest.fixture
def policy(session: wfp.Session) -> Policy:
    return Policy(session)
