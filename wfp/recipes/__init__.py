"""Ready-made rule sets.

* :func:`killswitch`: WireGuard's kill switch for a VPN tunnel (block everything except the
  tunnel, loopback, DHCP, NDP and, optionally, DNS to listed servers only).
"""

from wfp.recipes.killswitch import KillSwitch, killswitch

__all__ = ["KillSwitch", "killswitch"]
