"""Snapshots: every provider, sublayer and rule of an engine as a versioned JSON document.

:meth:`wfp.Session.export` takes one from any backend (a live Windows machine included);
:meth:`wfp.SimEngine.load` rebuilds it in an embedded engine keeping keys, rule ids, weights
and effective weights, and the weights the built-in sublayers had, so the machine's decisions can
be explained anywhere with :meth:`wfp.Session.classify`.

The document (``"format": "wfpkit-snapshot"``, ``"version": 1``) keeps the engine's own values
rather than their Python forms, so nothing a machine holds is lost in translation: GUIDs as
strings, flags and action types as numbers, and each value as ``{"type": <FWP_DATA_TYPE>, ...}``
with ``"value"`` (numbers, strings), ``"hex"`` (bytes), ``"addr"``/``"mask"`` (IPv4 address and
mask), ``"hex"``/``"prefix"`` (IPv6 prefix) or ``"low"``/``"high"`` (ranges).  Names of layers
and fields are added for people reading it (``"layer_name"``, ``"field_name"``) and ignored on
load.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Union

from wfp import _core, _ids
from wfp.errors import ValidationError, error_from_code
from wfp.fields import DataType, Field, Layer

if TYPE_CHECKING:
    from wfp.session import Session, SimEngine

__all__ = ["FORMAT", "VERSION", "export", "load", "dumps", "read"]

FORMAT = "wfpkit-snapshot"
VERSION = 1
FWP_E_INVALID_PARAMETER = 0x80320035

_BUILTIN_PROVIDERS = {uuid.UUID(g) for g in _ids.PROVIDERS.values()}
_BUILTIN_SUBLAYERS = {uuid.UUID(g) for g in _ids.SUBLAYERS.values()}
_LAYER_NAMES = {layer.value: layer.name for layer in Layer}
_FIELD_NAMES = {f.value: f.name for f in Field}
_EVERYTHING = _core.FILTER_ENUM_FLAG_INCLUDE_BOOTTIME | _core.FILTER_ENUM_FLAG_INCLUDE_DISABLED


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------


def _value_to_json(wire: Any) -> Dict[str, Any]:
    data_type, payload = wire
    out: Dict[str, Any] = {"type": int(data_type)}
    if payload is None:
        return out
    if data_type == DataType.V4_ADDR_MASK:
        out["addr"], out["mask"] = int(payload[0]), int(payload[1])
    elif data_type == DataType.V6_ADDR_MASK:
        out["hex"], out["prefix"] = bytes(payload[0]).hex(), int(payload[1])
    elif data_type == DataType.RANGE:
        out["low"], out["high"] = _value_to_json(payload[0]), _value_to_json(payload[1])
    elif isinstance(payload, (bytes, bytearray)):
        out["hex"] = bytes(payload).hex()
    else:
        out["value"] = payload
    return out


def _value_from_json(doc: Mapping[str, Any], where: str) -> tuple:
    try:
        data_type = int(doc["type"])
        if data_type == DataType.V4_ADDR_MASK:
            return (data_type, (int(doc["addr"]), int(doc["mask"])))
        if data_type == DataType.V6_ADDR_MASK:
            return (data_type, (bytes.fromhex(doc["hex"]), int(doc["prefix"])))
        if data_type == DataType.RANGE:
            return (
                data_type,
                (_value_from_json(doc["low"], where), _value_from_json(doc["high"], where)),
            )
        if "hex" in doc:
            return (data_type, bytes.fromhex(doc["hex"]))
        return (data_type, doc.get("value"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            FWP_E_INVALID_PARAMETER, field=where, value=doc, reason=f"not a snapshot value ({exc})"
        ) from None


def _uuid_or_none(text: Optional[str]) -> Optional[uuid.UUID]:
    return uuid.UUID(text) if text is not None else None


def _str_or_none(key: Optional[uuid.UUID]) -> Optional[str]:
    return str(key) if key is not None else None


def _hex_or_none(data: Optional[bytes]) -> Optional[str]:
    return data.hex() if data is not None else None


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------


def _filter_to_json(t: tuple) -> Dict[str, Any]:
    (
        key,
        name,
        description,
        flags,
        provider,
        layer,
        sublayer,
        weight,
        conditions,
        action_type,
        action_key,
        raw_context,
        provider_context,
        data,
        filter_id,
        effective_weight,
    ) = t
    return {
        "key": str(key),
        "name": name,
        "description": description,
        "flags": flags,
        "provider": _str_or_none(provider),
        "layer": str(layer),
        "layer_name": _LAYER_NAMES.get(layer),
        "sublayer": _str_or_none(sublayer),
        "weight": _value_to_json(weight),
        "conditions": [
            {
                "field": str(field),
                "field_name": _FIELD_NAMES.get(field),
                "match": match,
                "value": _value_to_json(value),
            }
            for field, match, value in conditions
        ],
        "action": action_type,
        "action_key": _str_or_none(action_key),
        "raw_context": raw_context,
        "provider_context": _str_or_none(provider_context),
        "data": _hex_or_none(data),
        "id": filter_id,
        "effective_weight": effective_weight,
    }


def export(session: "Session", path: Union[str, "os.PathLike[str]", None] = None) -> Dict[str, Any]:
    """See :meth:`wfp.Session.export`."""
    session._check_open("FwpmFilterEnum0")
    core = session._core
    try:
        providers = core.providers()
        sublayers = core.sublayers(None)
        filters = core.filters(
            None, None, _core.FILTER_ENUM_OVERLAPPING, _EVERYTHING, _core.ACTION_MASK_ANY, ()
        )
    except _core.CoreError as error:
        raise error_from_code(error.code, error.call) from None
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(timezone.utc).isoformat(),
        "backend": session.backend,
        "providers": [
            {
                "key": str(key),
                "name": name,
                "description": description,
                "flags": flags,
                "data": _hex_or_none(data),
                "service_name": service_name,
                "builtin": key in _BUILTIN_PROVIDERS,
            }
            for key, name, description, flags, data, service_name in providers
        ],
        "sublayers": [
            {
                "key": str(key),
                "name": name,
                "description": description,
                "flags": flags,
                "provider": _str_or_none(provider),
                "data": _hex_or_none(data),
                "weight": weight,
                "builtin": key in _BUILTIN_SUBLAYERS,
            }
            for key, name, description, flags, provider, data, weight in sublayers
        ],
        "filters": [_filter_to_json(t) for t in filters],
    }
    if path is not None:
        with open(path, "w", encoding="utf-8") as out:
            out.write(dumps(doc))
    return doc


def dumps(doc: Mapping[str, Any]) -> str:
    """The snapshot as JSON text."""
    return json.dumps(doc, indent=1, ensure_ascii=False)


def read(source: Union[Mapping[str, Any], str, bytes, "os.PathLike[str]"]) -> Dict[str, Any]:
    """A snapshot document from a dict, JSON text or a file path, with its format checked."""
    if isinstance(source, Mapping):
        doc = dict(source)
    else:
        if isinstance(source, bytes):
            text = source.decode("utf-8")
        elif isinstance(source, str) and source.lstrip().startswith("{"):
            text = source
        else:
            with open(os.fspath(source), encoding="utf-8") as f:
                text = f.read()
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise ValidationError(
                FWP_E_INVALID_PARAMETER,
                field="snapshot",
                value=str(source)[:80],
                reason=f"not JSON: {exc}",
            ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field="snapshot.format",
            value=doc.get("format") if isinstance(doc, dict) else doc,
            reason=f"not a {FORMAT} document",
        )
    if doc.get("version") != VERSION:
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field="snapshot.version",
            value=doc.get("version"),
            reason=f"this wfpkit reads version {VERSION}",
        )
    return doc


# --------------------------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------------------------


def _filter_wire(f: Mapping[str, Any], where: str) -> tuple:
    try:
        conditions = [
            (
                uuid.UUID(c["field"]),
                int(c["match"]),
                _value_from_json(c["value"], f"{where}.conditions"),
            )
            for c in f["conditions"]
        ]
        return (
            uuid.UUID(f["key"]),
            f["name"],
            f.get("description"),
            int(f["flags"]),
            _uuid_or_none(f.get("provider")),
            uuid.UUID(f["layer"]),
            _uuid_or_none(f.get("sublayer")),
            _value_from_json(f["weight"], f"{where}.weight"),
            conditions,
            int(f["action"]),
            _uuid_or_none(f.get("action_key")),
            int(f.get("raw_context") or 0),
            _uuid_or_none(f.get("provider_context")),
            bytes.fromhex(f["data"]) if f.get("data") is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            FWP_E_INVALID_PARAMETER,
            field=where,
            value=f.get("key") if isinstance(f, Mapping) else f,
            reason=f"not a snapshot filter ({exc})",
        ) from None


def load(
    engine: "SimEngine", source: Union[Mapping[str, Any], str, bytes, "os.PathLike[str]"]
) -> Dict[str, int]:
    """See :meth:`wfp.SimEngine.load`."""
    from wfp.session import Session

    doc = read(source)
    providers = [p for p in doc.get("providers", []) if not p.get("builtin")]
    sublayers = [s for s in doc.get("sublayers", []) if not s.get("builtin")]
    builtin_weights = [
        (uuid.UUID(s["key"]), int(s["weight"]))
        for s in doc.get("sublayers", [])
        if s.get("builtin")
    ]
    filters = [
        (_filter_wire(f, f"filters[{i}]"), int(f["id"]), f.get("effective_weight"))
        for i, f in enumerate(doc.get("filters", []))
    ]
    persistent_provider = _core.PROVIDER_FLAG_PERSISTENT
    with Session(name="wfpkit snapshot load", dynamic=False, backend=engine) as session:
        core = session._core
        try:
            with session.transaction():
                for p in providers:
                    core.add_provider(
                        (
                            uuid.UUID(p["key"]),
                            p["name"],
                            p.get("description"),
                            int(p["flags"]) & persistent_provider,
                            bytes.fromhex(p["data"]) if p.get("data") is not None else None,
                            p.get("service_name"),
                        )
                    )
                for s in sublayers:
                    core.add_sublayer(
                        (
                            uuid.UUID(s["key"]),
                            s["name"],
                            s.get("description"),
                            int(s["flags"]) & _core.SUBLAYER_FLAG_PERSISTENT,
                            _uuid_or_none(s.get("provider")),
                            bytes.fromhex(s["data"]) if s.get("data") is not None else None,
                            int(s["weight"]),
                        )
                    )
                for wire, filter_id, effective_weight in filters:
                    if effective_weight is None:
                        raise ValidationError(
                            FWP_E_INVALID_PARAMETER,
                            field=f"filter {wire[0]}.effective_weight",
                            value=None,
                            reason="the snapshot lacks it",
                        )
                    _load_filter(core, wire, filter_id, int(effective_weight))
            known = {s.key for s in session.sublayers()}
            for key, weight in builtin_weights:
                if key in known:
                    _core.load_builtin_sublayer_weight(core, key, weight)
        except _core.CoreError as error:
            raise error_from_code(error.code, error.call) from None
    return {"providers": len(providers), "sublayers": len(sublayers), "rules": len(filters)}


def _load_filter(core: Any, wire: tuple, filter_id: int, effective_weight: int) -> None:
    """One filter through the binding's loader (kept apart so errors name the filter)."""
    try:
        _core.load_filter(core, wire, filter_id, effective_weight)
    except _core.CoreError as error:
        raise error_from_code(
            error.code, error.call, f"filter {wire[0]} (id {filter_id})"
        ) from None
