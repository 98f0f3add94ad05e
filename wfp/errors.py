"""Errors raised by wfp: one class per common WFP result code, all carrying the HRESULT.

Every error is a :class:`WFPError` (an :class:`OSError`) with ``.code`` (the DWORD/HRESULT the
engine returned, or the code that best describes a problem caught before the engine) and
``.name`` (``"FWP_E_ALREADY_EXISTS"``).  Input that is wrong is rejected before anything reaches
the engine with a :class:`ValidationError` naming the field and the value.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type

from wfp import _ids

__all__ = [
    "WFPError", "AlreadyExists", "NotFound", "ProviderNotFound", "SublayerNotFound",
    "FilterNotFound", "LayerNotFound", "CalloutNotFound", "ConditionNotFound", "InUse",
    "LifetimeMismatch", "InvalidCondition", "TransactionError", "Timeout", "BuiltinObject",
    "WrongSession", "AccessDenied", "Unsupported", "ServiceUnavailable", "SessionClosed",
    "StateFileError", "ValidationError", "BulkError", "error_from_code", "error_name",
    "error_message",
]


def error_name(code: int) -> Optional[str]:
    """The SDK name of a result code ("FWP_E_IN_USE"), or None if it is not in the table."""
    entry = _ids.ERRORS.get(code)
    return entry[0] if entry else None


def error_message(code: int) -> Optional[str]:
    """The SDK message text of a result code, or None if it is not in the table."""
    entry = _ids.ERRORS.get(code)
    return entry[1] if entry else None


class WFPError(OSError):
    """A WFP call failed.

    Attributes:
        code: the result code (HRESULT for FWP_E_*, Win32 code otherwise).
        name: its SDK name, e.g. ``"FWP_E_ALREADY_EXISTS"`` (``"0x…"`` if unknown).
        message: the SDK message text.
        call: the API call that failed, when known.
        detail: extra context from this library (what object, which field).
    """

    hint: str = ""

    def __init__(self, code: int, call: Optional[str] = None, detail: Optional[str] = None) -> None:
        self.code = code
        self.name = error_name(code) or f"0x{code:08X}"
        self.message = error_message(code) or "Unknown error."
        self.call = call
        self.detail = detail
        super().__init__(code, self._render())

    def _render(self) -> str:
        parts = [f"{self.name}: {self.message}"]
        if self.detail:
            parts.append(self.detail)
        if self.call:
            parts.append(f"(in {self.call})")
        if self.hint:
            parts.append(self.hint)
        return " ".join(parts)

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self):  # keep pickling (multiprocessing) working with our constructor
        return (_rebuild, (type(self), self.code, self.call, self.detail))


def _rebuild(cls: Type[WFPError], code: int, call: Optional[str], detail: Optional[str]) -> WFPError:
    err = cls.__new__(cls)
    WFPError.__init__(err, code, call, detail)
    return err


class AlreadyExists(WFPError):
    """An object with that key already exists (FWP_E_ALREADY_EXISTS)."""


class NotFound(WFPError):
    """The object does not exist (FWP_E_*_NOT_FOUND)."""


class ProviderNotFound(NotFound):
    """FWP_E_PROVIDER_NOT_FOUND."""


class SublayerNotFound(NotFound):
    """FWP_E_SUBLAYER_NOT_FOUND."""


class FilterNotFound(NotFound):
    """FWP_E_FILTER_NOT_FOUND."""


class LayerNotFound(NotFound):
    """FWP_E_LAYER_NOT_FOUND."""


class CalloutNotFound(NotFound):
    """FWP_E_CALLOUT_NOT_FOUND."""


class ConditionNotFound(NotFound):
    """The condition field does not exist at this layer (FWP_E_CONDITION_NOT_FOUND)."""


class InUse(WFPError):
    """The object is referenced by other objects (FWP_E_IN_USE)."""


class LifetimeMismatch(WFPError):
    """Two objects with incompatible lifetimes (FWP_E_LIFETIME_MISMATCH)."""


class InvalidCondition(WFPError):
    """A condition's value, type or match type is not valid for its field."""


class TransactionError(WFPError):
    """Transaction misuse: nested, missing, read-only or aborted."""


class Timeout(WFPError, TimeoutError):
    """Timed out waiting for another session's transaction (FWP_E_TIMEOUT)."""


class BuiltinObject(WFPError):
    """Built-in objects cannot be deleted (FWP_E_BUILTIN_OBJECT)."""


class WrongSession(WFPError):
    """The object belongs to another (dynamic) session."""


class AccessDenied(WFPError, PermissionError):
    """The caller lacks the rights (ERROR_ACCESS_DENIED)."""

    hint = "Managing WFP needs an elevated (administrator) process."


class Unsupported(WFPError):
    """The function or backend is not available here."""


class ServiceUnavailable(WFPError):
    """The Base Filtering Engine could not be reached (an RPC error)."""

    hint = "Is the Base Filtering Engine service (BFE) running? Try: sc query bfe"


class SessionClosed(WFPError):
    """The session was closed."""


class StateFileError(WFPError):
    """The embedded engine's state file is corrupt, foreign, locked or unreadable."""


_BY_NAME: Dict[str, Type[WFPError]] = {
    "FWP_E_ALREADY_EXISTS": AlreadyExists,
    "FWP_E_NOT_FOUND": NotFound,
    "FWP_E_PROVIDER_NOT_FOUND": ProviderNotFound,
    "FWP_E_SUBLAYER_NOT_FOUND": SublayerNotFound,
    "FWP_E_FILTER_NOT_FOUND": FilterNotFound,
    "FWP_E_LAYER_NOT_FOUND": LayerNotFound,
    "FWP_E_CALLOUT_NOT_FOUND": CalloutNotFound,
    "FWP_E_PROVIDER_CONTEXT_NOT_FOUND": NotFound,
    "FWP_E_CONDITION_NOT_FOUND": ConditionNotFound,
    "FWP_E_IN_USE": InUse,
    "FWP_E_LIFETIME_MISMATCH": LifetimeMismatch,
    "FWP_E_TYPE_MISMATCH": InvalidCondition,
    "FWP_E_MATCH_TYPE_MISMATCH": InvalidCondition,
    "FWP_E_INVALID_RANGE": InvalidCondition,
    "FWP_E_INVALID_NET_MASK": InvalidCondition,
    "FWP_E_INVALID_ENUMERATOR": InvalidCondition,
    "FWP_E_DUPLICATE_CONDITION": InvalidCondition,
    "FWP_E_TXN_IN_PROGRESS": TransactionError,
    "FWP_E_NO_TXN_IN_PROGRESS": TransactionError,
    "FWP_E_INCOMPATIBLE_TXN": TransactionError,
    "FWP_E_TXN_ABORTED": TransactionError,
    "FWP_E_TIMEOUT": Timeout,
    "FWP_E_BUILTIN_OBJECT": BuiltinObject,
    "FWP_E_WRONG_SESSION": WrongSession,
    "FWP_E_DYNAMIC_SESSION_IN_PROGRESS": WrongSession,
    "ERROR_ACCESS_DENIED": AccessDenied,
    "ERROR_PROC_NOT_FOUND": Unsupported,
    "ERROR_MOD_NOT_FOUND": Unsupported,
    "WFPKIT_E_UNSUPPORTED": Unsupported,
    "RPC_S_SERVER_UNAVAILABLE": ServiceUnavailable,
    "RPC_S_CALL_FAILED": ServiceUnavailable,
    "RPC_S_CANNOT_SUPPORT": ServiceUnavailable,
    "EPT_S_NOT_REGISTERED": ServiceUnavailable,
    "WFPKIT_E_SESSION_CLOSED": SessionClosed,
    "FWP_E_SESSION_ABORTED": SessionClosed,
    "WFPKIT_E_STATE_CORRUPT": StateFileError,
    "WFPKIT_E_STATE_VERSION": StateFileError,
    "WFPKIT_E_STATE_IO": StateFileError,
    "WFPKIT_E_STATE_LOCKED": StateFileError,
}


def error_class(code: int) -> Type[WFPError]:
    """The exception class used for a result code."""
    return _BY_NAME.get(error_name(code) or "", WFPError)


def error_from_code(code: int, call: Optional[str] = None, detail: Optional[str] = None) -> WFPError:
    """Build the most specific :class:`WFPError` for a result code."""
    return error_class(code)(code, call, detail)


class ValidationError(WFPError, ValueError):
    """Input rejected before it reached the engine.

    ``.field`` names what was wrong (``"conditions[2] IP_REMOTE_PORT"``, ``"weight"``),
    ``.value`` is the offending value and ``.code`` the FWP_E_* code that describes it.
    """

    def __init__(self, code: int, field: str, value: Any = None, reason: str = "") -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(code, detail=f"{field}={value!r}" + (f": {reason}" if reason else ""))

    def __reduce__(self):
        return (type(self), (self.code, self.field, self.value, self.reason))


class BulkError(WFPError):
    """A bulk operation failed; nothing of it was applied.

    ``.index`` is the position of the item that failed (None if the transaction itself failed),
    ``.rule`` that item and ``.cause`` the underlying :class:`WFPError`.
    """

    def __init__(self, cause: WFPError, index: Optional[int], rule: Any = None) -> None:
        self.cause = cause
        self.index = index
        self.rule = rule
        where = f"item {index}" if index is not None else "the transaction"
        name = getattr(rule, "name", None)
        what = f"{where} ({name!r})" if name else where
        super().__init__(cause.code, cause.call,
                         f"bulk operation failed at {what}; nothing was applied"
                         + (f"; {cause.detail}" if cause.detail else ""))

    def __reduce__(self):
        return (type(self), (self.cause, self.index, self.rule))
