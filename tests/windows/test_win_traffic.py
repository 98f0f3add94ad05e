"""Packets: a loopback TCP connect is blocked by a rule, then allowed by a heavier one."""
import ipaddress
import socket
import threading

import pytest

import wfp

from winhelpers import Objects


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def accept_forever():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return True
    except OSError:
        return False


def rule(objects, port, action, weight):
    return wfp.Rule(name=f"loopback {action.name}", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                    action=action, sublayer=objects.sublayer, provider=objects.provider,
                    weight=weight, hard=True,
                    conditions=[wfp.Field.IP_REMOTE_PORT == port,
                                wfp.Field.IP_REMOTE_ADDRESS == ipaddress.ip_address("127.0.0.1")])


def test_loopback_connect_blocked_then_allowed(real, listener):
    objects = Objects(real, weight=0xFFFF)
    assert connects(listener), "the listener is unreachable before any rule"
    block_id = real.add_rule(rule(objects, listener, wfp.Action.BLOCK, 100))
    assert not connects(listener), "the BLOCK rule did not stop the connect"
    permit_id = real.add_rule(rule(objects, listener, wfp.Action.PERMIT, 200))
    assert connects(listener), "the heavier PERMIT rule did not win"
    real.delete_rule(permit_id)
    assert not connects(listener)
    real.delete_rule(block_id)
    assert connects(listener)
