"""Our GUID tables against what BFE enumerates (FwpmLayerEnum0, FwpmSubLayerEnum0).

mingw-w64 has none of these GUIDs, and one public project shipped a wrong one, so the tables are
checked here against the engine itself.
"""
import uuid

import wfp
from wfp import _ids

OUR_LAYERS = {uuid.UUID(row[0]): name for name, row in _ids.LAYERS.items()}


def test_every_engine_layer_is_in_our_table_with_its_id(real):
    engine_layers = real.layers()
    assert len(engine_layers) >= 50
    unknown = [(layer.key, layer.name) for layer in engine_layers if layer.key not in OUR_LAYERS]
    assert unknown == [], f"layers BFE has and our table lacks: {unknown}"
    wrong_ids = []
    for layer in engine_layers:
        name = OUR_LAYERS[layer.key]
        if _ids.LAYERS[name][1] != layer.id:
            wrong_ids.append((name, _ids.LAYERS[name][1], layer.id))
    assert wrong_ids == [], f"(layer, our layerId, BFE's layerId): {wrong_ids}"


def test_engine_layer_keys_read_back_as_our_layer_members(real):
    by_key = {layer.key: layer for layer in real.layers()}
    connect = by_key[wfp.Layer.ALE_AUTH_CONNECT_V4.value]
    assert connect.layer is wfp.Layer.ALE_AUTH_CONNECT_V4
    assert connect.default_sublayer == uuid.UUID(_ids.SUBLAYERS["UNIVERSAL"])


def test_each_layers_fields_and_types_match_our_table(real):
    """The fields BFE offers at each layer, and their run-time data types, are ours."""
    problems = []
    for layer in real.layers():
        name = OUR_LAYERS.get(layer.key)
        if name is None:
            continue
        ours = {uuid.UUID(_ids.CONDITIONS[field]): (data_type, field_type)
                for field, data_type, field_type in _ids.LAYERS[name][6]}
        theirs = {(f.field.value if isinstance(f.field, wfp.Field) else f.field):
                  (f.data_type, f.field_type) for f in layer.fields}
        if ours != theirs:
            missing = sorted(str(k) for k in set(theirs) - set(ours))
            extra = sorted(str(k) for k in set(ours) - set(theirs))
            typed = sorted((str(k), ours[k], theirs[k]) for k in set(ours) & set(theirs)
                           if ours[k] != theirs[k])
            problems.append(f"{name}: BFE-only {missing}, ours-only {extra}, "
                            f"(field, ours, BFE) types {typed}")
    assert problems == [], "\n".join(problems)


def test_builtin_sublayer_keys_are_real(real):
    engine_keys = {sublayer.key for sublayer in real.sublayers()}
    ours = {uuid.UUID(key): name for name, key in _ids.SUBLAYERS.items()}
    assert uuid.UUID(_ids.SUBLAYERS["UNIVERSAL"]) in engine_keys
    present = [name for key, name in ours.items() if key in engine_keys]
    # Some built-in sublayers appear only with their feature (IPsec, Teredo, ...); a byte-order
    # mistake in the table would make nearly all of them vanish.
    assert len(present) >= len(ours) // 2, f"only {present} of {sorted(ours.values())}"
