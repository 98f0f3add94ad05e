"""wfpkit: the Windows Filtering Platform from Python, with an embedded engine for every OS.

::

    import wfp
    with wfp.Session(name="vpn") as s:
        s.add_provider(wfp.Provider(key=PROV, name="Contoso"))
        s.add_sublayer(wfp.Sublayer(key=SUB, name="killswitch", weight=0xFFFF, provider=PROV))
        with s.transaction():
            s.add_rule(wfp.Rule(name="allow vpn", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                                sublayer=SUB, weight=1000, action=wfp.Action.PERMIT,
                                conditions=[wfp.Field.IP_LOCAL_INTERFACE == 5]))

The default backend is fwpuclnt.dll on Windows and the embedded engine elsewhere
(``backend="sim"`` or a :class:`wfp.SimEngine` choose it explicitly).
"""

__version__ = "0.1.0"

from wfp.appid import app_id
from wfp.errors import (
    AccessDenied, AlreadyExists, BuiltinObject, BulkError, CalloutNotFound, ConditionNotFound,
    FilterNotFound, InUse, InvalidCondition, LayerNotFound, LifetimeMismatch, NotFound,
    ProviderNotFound, ServiceUnavailable, SessionClosed, StateFileError, SublayerNotFound,
    Timeout, TransactionError, Unsupported, ValidationError, WFPError, WrongSession,
    error_from_code,
)
from wfp.fields import Condition, DataType, Field, FieldType, Layer, Match, Range, RawValue
from wfp.rules import Action, FieldInfo, LayerInfo, Provider, Rule, Sublayer, WeightRange
from wfp.session import FilterDigests, Session, SimEngine
from wfp.classify import (
    CalloutAction, CalloutCall, CalloutVerdict, ConnectionDecision, Decision, NetEvent, Token,
)

__all__ = [
    "__version__",
    "FilterDigests", "Session", "SimEngine",
    "Provider", "Sublayer", "Rule", "Action", "WeightRange", "LayerInfo", "FieldInfo",
    "Layer", "Field", "Match", "Condition", "Range", "RawValue", "DataType", "FieldType",
    "app_id",
    "WFPError", "ValidationError", "BulkError", "AlreadyExists", "NotFound", "ProviderNotFound",
    "SublayerNotFound", "FilterNotFound", "LayerNotFound", "CalloutNotFound",
    "ConditionNotFound", "InUse", "LifetimeMismatch", "InvalidCondition", "TransactionError",
    "Timeout", "BuiltinObject", "WrongSession", "AccessDenied", "Unsupported",
    "ServiceUnavailable", "SessionClosed", "StateFileError", "error_from_code",
    "Decision", "ConnectionDecision", "NetEvent", "Token", "CalloutAction", "CalloutVerdict",
    "CalloutCall",
]
