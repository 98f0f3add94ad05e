"""The real-Windows suite: what only fwpuclnt.dll and the Base Filtering Engine can show.

Everything here is skipped, with the reason, unless the process runs on Windows, elevated, with
the BFE service running and fwpuclnt.dll loadable.  Most checks run the same operation on the
real engine and on the embedded one and require the same outcome, so a difference is a bug in
the embedded engine (or in our tables), named in the failure.
"""
from __future__ import annotations

import ctypes
import pathlib
import sys
from typing import Iterator, Optional

import pytest

import wfp
from wfp import _core
from wfp.errors import error_name

from winhelpers import Objects

HERE = pathlib.Path(__file__).resolve().parent
SERVICE_RUNNING = 4


def _is_elevated() -> bool:
    return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]


def _bfe_state() -> Optional[int]:
    """The BFE service's dwCurrentState, or None if it cannot be queried."""
    advapi = ctypes.windll.advapi32  # type: ignore[attr-defined]
    advapi.OpenSCManagerW.restype = ctypes.c_void_p
    advapi.OpenServiceW.restype = ctypes.c_void_p
    advapi.OpenServiceW.argtypes = [ctypes.c_void_p, ctypes.c_wchar_p, ctypes.c_uint32]
    advapi.QueryServiceStatus.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    advapi.CloseServiceHandle.argtypes = [ctypes.c_void_p]
    manager = advapi.OpenSCManagerW(None, None, 0x0001)  # SC_MANAGER_CONNECT
    if not manager:
        return None
    try:
        service = advapi.OpenServiceW(manager, "BFE", 0x0004)  # SERVICE_QUERY_STATUS
        if not service:
            return None
        try:
            status = (ctypes.c_uint32 * 7)()  # SERVICE_STATUS
            if not advapi.QueryServiceStatus(service, status):
                return None
            return status[1]
        finally:
            advapi.CloseServiceHandle(service)
    finally:
        advapi.CloseServiceHandle(manager)


def _skip_reason() -> Optional[str]:
    if sys.platform != "win32":
        return "real-Windows suite: needs fwpuclnt.dll and the Base Filtering Engine (Windows only)"
    loaded, status = _core.win_available()
    if not loaded:
        return f"fwpuclnt.dll could not be loaded ({error_name(status) or hex(status)})"
    if not _is_elevated():
        return "real-Windows suite: needs an elevated (administrator) process"
    state = _bfe_state()
    if state != SERVICE_RUNNING:
        return f"the Base Filtering Engine service (BFE) is not running (state {state})"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason is None:
        return
    marker = pytest.mark.skip(reason=reason)
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).resolve().parents:
            item.add_marker(marker)


@pytest.fixture
def real() -> Iterator[wfp.Session]:
    """A dynamic session on the real engine: whatever a test adds goes when it closes."""
    with wfp.Session(name="wfpkit windows tests", backend="fwpuclnt") as session:
        assert session.backend == "fwpuclnt"
        yield session


@pytest.fixture
def sim() -> Iterator[wfp.Session]:
    """A dynamic session on a fresh embedded engine, for side-by-side comparisons."""
    with wfp.Session(name="wfpkit windows tests", backend=wfp.SimEngine()) as session:
        yield session


@pytest.fixture
def real_objects(real) -> Objects:
    return Objects(real)


@pytest.fixture
def sim_objects(sim) -> Objects:
    return Objects(sim)
