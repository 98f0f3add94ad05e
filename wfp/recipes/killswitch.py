"""WireGuard's kill switch (``tunnel/firewall`` of wireguard-windows) as a wfpkit recipe.

One provider, one sublayer (weight 0xFFFF by default) and these rules at the four ALE
authorization layers (connect and receive/accept, IPv4 and IPv6), highest weight first; inside
the sublayer the heaviest matching rule decides:

====  ======  =========================================================================
  15  permit  the tunnel service itself: its app id (and, with ``service_sid``, its service
              SID), a *hard* permit so lower sublayers (Windows Defender Firewall) cannot block it
  15  permit  DNS (UDP or TCP port 53) to the listed servers of each family
  14  block   all other DNS: through the tunnel and on loopback too, so a local resolver
              must itself be listed
  13  permit  loopback (FLAGS has IS_LOOPBACK)
  12  permit  the tunnel interface; DHCPv4 and DHCPv6 to and from the local server;
              NDP router/neighbor solicitation, advertisement and redirect
   0  block   everything else
====  ======  =========================================================================

That is 27 rules, 33 with DNS servers of one family, 35 with both, and only the 4 service rules
with ``restrict=False`` (WireGuard installs those even when it restricts nothing).

Trade-offs, per reference §1.3: a static Block is hard in WFP's arbitration, so a *lower*
sublayer's permit (another product's) never opens what this recipe blocks, whatever
``hard_block`` says; ``hard_block=True`` also sets CLEAR_ACTION_RIGHT on the block-all rules, as
simplewall and Windscribe recommend, for engines that treat an unflagged static block as soft.
A *heavier* sublayer's hard permit (CLEAR_ACTION_RIGHT) does win; a heavier soft permit does not.
Raise ``sublayer_weight`` (0xFFFF, the maximum, by default) to stay on top.

With ``persistent=True`` the objects survive the process and the engine restarting, so the
machine stays offline if the VPN client dies (fail-closed); install them through a static
session (``wfp.Session(dynamic=False)``) and remove them with :meth:`KillSwitch.remove` or
:func:`remove_stale`.  The keys are derived from ``provider_key`` (a well-known default), so a
later process finds them.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import uuid
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from wfp.appid import app_id
from wfp.errors import ValidationError
from wfp.fields import Condition, Field, Layer
from wfp.rules import Action, Provider, Rule, Sublayer, WeightRange

__all__ = ["KillSwitch", "killswitch", "remove_stale", "PROVIDER_KEY"]

#: The provider key the recipe uses unless told otherwise.
PROVIDER_KEY = uuid.UUID("6b9b2d6e-3f0e-4c38-9f1c-2a5c8f1d7e01")

FWP_E_INVALID_PARAMETER = 0x80320035
IS_LOOPBACK = 0x1
UDP, TCP, ICMPV6 = 17, 6, 58

CONNECT_V4, ACCEPT_V4 = Layer.ALE_AUTH_CONNECT_V4, Layer.ALE_AUTH_RECV_ACCEPT_V4
CONNECT_V6, ACCEPT_V6 = Layer.ALE_AUTH_CONNECT_V6, Layer.ALE_AUTH_RECV_ACCEPT_V6
ALE_LAYERS = (CONNECT_V4, ACCEPT_V4, CONNECT_V6, ACCEPT_V6)
LINK_LOCAL = ipaddress.IPv6Network("fe80::/10")

Address = Union[str, ipaddress.IPv4Address, ipaddress.IPv6Address]


class KillSwitch:
    """A kill-switch rule set: :attr:`provider`, :attr:`sublayer` and :attr:`rules`, installed by
    :meth:`install` in one transaction and taken away by :meth:`remove` in one transaction.
    Also a context manager that removes it on exit."""

    def __init__(self, provider: Provider, sublayer: Sublayer, rules: Sequence[Rule]) -> None:
        self.provider = provider
        self.sublayer = sublayer
        self.rules: Tuple[Rule, ...] = tuple(rules)
        self.session: Any = None
        self.ids: Tuple[int, ...] = ()

    @property
    def installed(self) -> bool:
        """Whether :meth:`install` put it in an engine and :meth:`remove` has not taken it."""
        return self.session is not None

    def install(self, session: Any) -> "KillSwitch":
        """Add the provider, the sublayer and every rule in one transaction (the session's own
        if one is open), all or nothing."""
        if self.installed:
            raise ValidationError(
                FWP_E_INVALID_PARAMETER,
                field="killswitch",
                value=self.provider.key,
                reason="already installed; remove() it first",
            )
        if session.in_transaction:
            self._add(session)
        else:
            with session.transaction():
                self._add(session)
        self.session = session
        return self

    def _add(self, session: Any) -> None:
        session.add_provider(self.provider)
        session.add_sublayer(self.sublayer)
        self.ids = tuple(session.add_rules(self.rules))

    def remove(self, session: Any = None) -> None:
        """Delete everything of this kill switch's provider (its rules, its sublayers, itself) in
        one transaction: through the session it was installed with, or ``session`` (another
        process's, for a persistent one)."""
        session = session if session is not None else self.session
        if session is None:
            raise ValidationError(
                FWP_E_INVALID_PARAMETER,
                field="session",
                value=None,
                reason="not installed here: pass the session to remove it through",
            )
        remove_stale(session, self.provider.key)
        self.session = None
        self.ids = ()

    def __enter__(self) -> "KillSwitch":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.installed and not self.session.closed:
            self.remove()

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        state = "installed" if self.installed else "not installed"
        weight = self.sublayer.weight
        return f"<KillSwitch {len(self.rules)} rules, sublayer weight 0x{weight:04x}, {state}>"


def remove_stale(session: Any, provider_key: uuid.UUID = PROVIDER_KEY) -> None:
    """Delete every rule and sublayer of ``provider_key`` and the provider, in one transaction:
    the cleanup for a persistent kill switch whose process is gone.  Nothing there is fine."""
    provider_key = uuid.UUID(str(provider_key))

    def work() -> None:
        session.delete_rules([rule.key for rule in session.rules(provider=provider_key)])
        for sublayer in session.sublayers(provider=provider_key):
            session.delete_sublayer(sublayer.key)
        if any(p.key == provider_key for p in session.providers()):
            session.delete_provider(provider_key)

    if session.in_transaction:
        work()
    else:
        with session.transaction():
            work()


def _check_interface(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 64:
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field="tunnel_interface",
            value=value,
            reason="the tunnel interface's LUID, an unsigned 64-bit int",
        )
    return value


def _split_servers(
    servers: Iterable[Address],
) -> Tuple[List[ipaddress.IPv4Address], List[ipaddress.IPv6Address]]:
    if isinstance(servers, (str, bytes, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        servers = [servers]  # type: ignore[list-item]
    v4: List[ipaddress.IPv4Address] = []
    v6: List[ipaddress.IPv6Address] = []
    for i, server in enumerate(servers):
        try:
            address = ipaddress.ip_address(server.strip() if isinstance(server, str) else server)
        except ValueError:
            raise ValidationError(
                FWP_E_INVALID_PARAMETER,
                field=f"dns_servers[{i}]",
                value=server,
                reason="not an IP address",
            ) from None
        (v4 if address.version == 4 else v6).append(address)  # type: ignore[arg-type]
    return v4, v6


def _service_app_id(app_path: Any) -> bytes:
    if isinstance(app_path, (bytes, bytearray)):
        return bytes(app_path)  # already an app id
    if app_path is None:
        if sys.platform != "win32":
            raise ValidationError(
                FWP_E_INVALID_PARAMETER,
                field="app_path",
                value=None,
                reason="the tunnel service's executable (a Windows path) is needed "
                "off Windows; on Windows it defaults to this program",
            )
        app_path = sys.executable
    return app_id(os.fspath(app_path))


def killswitch(
    tunnel_interface: int,
    dns_servers: Iterable[Address] = (),
    *,
    hard_block: bool = False,
    sublayer_weight: int = 0xFFFF,
    persistent: bool = False,
    app_path: Any = None,
    restrict: bool = True,
    service_sid: Optional[str] = None,
    provider_key: uuid.UUID = PROVIDER_KEY,
) -> KillSwitch:
    """WireGuard's kill-switch rule set (see the module documentation), not yet installed.

    ``tunnel_interface`` is the tunnel's interface LUID; ``dns_servers`` the only resolvers DNS
    may reach; ``hard_block`` sets CLEAR_ACTION_RIGHT on the block-all rules;
    ``sublayer_weight`` the sublayer's weight; ``persistent`` makes every object persistent
    (fail-closed); ``app_path`` the tunnel service's executable (or its app id bytes), whose
    traffic is always permitted; ``service_sid`` narrows that to the service's SID;
    ``restrict=False`` installs only the service rules.  Call :meth:`KillSwitch.install`.
    """
    interface = _check_interface(tunnel_interface)
    v4_servers, v6_servers = _split_servers(dns_servers)
    service = _service_app_id(app_path)
    provider_key = uuid.UUID(str(provider_key))
    provider = Provider(
        key=provider_key,
        name="wfpkit kill switch",
        persistent=persistent,
        description="Kill switch: only the tunnel, loopback, DHCP, NDP and listed DNS",
    )
    sublayer = Sublayer(
        key=uuid.uuid5(provider_key, "sublayer"),
        name="wfpkit kill switch filters",
        description="Permissive and blocking filters",
        weight=sublayer_weight,
        provider=provider_key,
        persistent=persistent,
    )
    rules: List[Rule] = []

    def add(
        name: str,
        layers: Iterable[Layer],
        weight: int,
        action: Action,
        conditions: List[Condition],
        hard: bool = False,
    ) -> None:
        for layer in layers:
            rules.append(
                Rule(
                    key=uuid.uuid5(provider_key, f"{name}|{layer.name}"),
                    name=name,
                    layer=layer,
                    sublayer=sublayer.key,
                    provider=provider_key,
                    weight=WeightRange(weight),
                    action=action,
                    conditions=conditions,
                    hard=hard,
                    persistent=persistent,
                )
            )

    service_conditions = [Field.ALE_APP_ID == service]
    if service_sid is not None:
        service_conditions.append(Field.ALE_USER_ID == f"D:(A;;0x1;;;{service_sid})")
    add("permit tunnel service", ALE_LAYERS, 15, Action.PERMIT, service_conditions, hard=True)
    if not restrict:
        return KillSwitch(provider, sublayer, rules)

    dns = [Field.IP_REMOTE_PORT == 53, Field.IP_PROTOCOL == UDP, Field.IP_PROTOCOL == TCP]
    if v4_servers or v6_servers:
        add("block DNS", ALE_LAYERS, 14, Action.BLOCK, dns)
    if v4_servers:
        add(
            "permit DNS to listed servers",
            (CONNECT_V4, ACCEPT_V4),
            15,
            Action.PERMIT,
            dns + [Field.IP_REMOTE_ADDRESS == s for s in v4_servers],
        )
    if v6_servers:
        add(
            "permit DNS to listed servers",
            (CONNECT_V6, ACCEPT_V6),
            15,
            Action.PERMIT,
            dns + [Field.IP_REMOTE_ADDRESS == s for s in v6_servers],
        )

    add("permit loopback", ALE_LAYERS, 13, Action.PERMIT, [Field.FLAGS.all_set(IS_LOOPBACK)])
    add(
        "permit tunnel interface",
        ALE_LAYERS,
        12,
        Action.PERMIT,
        [Field.IP_LOCAL_INTERFACE == interface],
    )

    dhcp4 = [Field.IP_PROTOCOL == UDP, Field.IP_LOCAL_PORT == 68, Field.IP_REMOTE_PORT == 67]
    add(
        "permit DHCPv4",
        (CONNECT_V4,),
        12,
        Action.PERMIT,
        dhcp4 + [Field.IP_REMOTE_ADDRESS == ipaddress.IPv4Address("255.255.255.255")],
    )
    add("permit DHCPv4", (ACCEPT_V4,), 12, Action.PERMIT, dhcp4)

    dhcp6 = [
        Field.IP_PROTOCOL == UDP,
        Field.IP_REMOTE_PORT == 547,
        Field.IP_LOCAL_ADDRESS.in_(LINK_LOCAL),
        Field.IP_LOCAL_PORT == 546,
    ]
    add(
        "permit DHCPv6",
        (CONNECT_V6,),
        12,
        Action.PERMIT,
        dhcp6
        + [
            Field.IP_REMOTE_ADDRESS == ipaddress.IPv6Address("ff02::1:2"),
            Field.IP_REMOTE_ADDRESS == ipaddress.IPv6Address("ff05::1:3"),
        ],
    )
    add(
        "permit DHCPv6",
        (ACCEPT_V6,),
        12,
        Action.PERMIT,
        dhcp6 + [Field.IP_REMOTE_ADDRESS.in_(LINK_LOCAL)],
    )

    def ndp(message: int, remote: Optional[Condition]) -> List[Condition]:
        conditions = [Field.IP_PROTOCOL == ICMPV6, Field.ICMP_TYPE == message, Field.ICMP_CODE == 0]
        return conditions + ([remote] if remote is not None else [])

    all_routers = Field.IP_REMOTE_ADDRESS == ipaddress.IPv6Address("ff02::2")
    link_local_peer = Field.IP_REMOTE_ADDRESS.in_(LINK_LOCAL)
    add("permit NDP router solicitation", (CONNECT_V6,), 12, Action.PERMIT, ndp(133, all_routers))
    add(
        "permit NDP router advertisement",
        (ACCEPT_V6,),
        12,
        Action.PERMIT,
        ndp(134, link_local_peer),
    )
    add(
        "permit NDP neighbor solicitation",
        (CONNECT_V6, ACCEPT_V6),
        12,
        Action.PERMIT,
        ndp(135, None),
    )
    add(
        "permit NDP neighbor advertisement",
        (CONNECT_V6, ACCEPT_V6),
        12,
        Action.PERMIT,
        ndp(136, None),
    )
    add("permit NDP redirect", (ACCEPT_V6,), 12, Action.PERMIT, ndp(137, link_local_peer))

    add("block all", ALE_LAYERS, 0, Action.BLOCK, [], hard=hard_block)
    return KillSwitch(provider, sublayer, rules)
