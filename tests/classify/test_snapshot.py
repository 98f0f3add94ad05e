"""Snapshots: export from a session, load into another embedded engine: same state, same
decisions."""

from __future__ import annotations

import copy
import json
import random
import uuid

import pytest

import wfp
from wfp import Field as F
from wfp import _ids, snapshot
from wfp.recipes import killswitch

from .conftest import CALLOUT, V4, V6, Policy

PERMIT, BLOCK = wfp.Action.PERMIT, wfp.Action.BLOCK
UNIVERSAL = uuid.UUID(_ids.SUBLAYERS["UNIVERSAL"])
APP = r"C:\Program Files\WireGuard\wireguard.exe"


def build_policy(session: wfp.Session) -> Policy:
    policy = Policy(session)
    killswitch(0x11, ("10.64.0.1", "fd00::1"), app_path=APP, sublayer_weight=0x9000).install(
        session
    )
    corp = session.add_provider(wfp.Provider(name="corp", data=b"\x01\x02"))
    low = session.add_sublayer(wfp.Sublayer(name="corp", weight=0x1000, provider=corp, data=b"x"))
    policy.rule(
        "corp web",
        low,
        PERMIT,
        F.IP_REMOTE_PORT.between(80, 443),
        provider=corp,
        hard=True,
        description="web for everyone",
    )
    policy.rule(
        "corp ssh v6",
        low,
        BLOCK,
        F.IP_REMOTE_ADDRESS.in_("2001:db8::/32"),
        layer=V6,
        weight=wfp.WeightRange(7),
    )
    policy.rule(
        "corp callout",
        low,
        wfp.Action.CALLOUT_TERMINATING,
        F.IP_REMOTE_PORT == 25,
        callout=CALLOUT,
        permit_if_callout_missing=True,
        weight=2**61,
    )
    policy.rule("universal", UNIVERSAL, BLOCK, F.IP_PROTOCOL == 47)
    return policy


def comparable(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k != "created"}
    for kind in ("providers", "sublayers", "filters"):
        out[kind] = sorted(out[kind], key=lambda item: item["key"])
    return out


def random_values(rng: random.Random, layer: wfp.Layer) -> dict:
    v6 = layer.is_v6
    return {
        F.IP_PROTOCOL: rng.choice([6, 17, 47, 58]),
        F.IP_REMOTE_PORT: rng.choice([25, 53, 80, 443, 8080, 0]),
        F.IP_LOCAL_PORT: rng.choice([68, 546, 135, 50000]),
        F.IP_REMOTE_ADDRESS: rng.choice(
            ["2001:db8::1", "fd00::1", "ff02::1:2", "fe80::1"]
            if v6
            else ["10.64.0.1", "8.8.8.8", "255.255.255.255", "127.0.0.1"]
        ),
        F.IP_LOCAL_INTERFACE: rng.choice([0x11, 0x2]),
        F.FLAGS: rng.choice([0, 1]),
    }


def test_export_document(session):
    build_policy(session)
    doc = session.export()
    assert (doc["format"], doc["version"], doc["backend"]) == ("wfpkit-snapshot", 1, "sim")
    json.dumps(doc)  # plain JSON
    assert any(s["builtin"] and uuid.UUID(s["key"]) == UNIVERSAL for s in doc["sublayers"])
    web = next(f for f in doc["filters"] if f["name"] == "corp web")
    assert (
        web["layer_name"] == "ALE_AUTH_CONNECT_V4"
        and web["conditions"][0]["field_name"] == "IP_REMOTE_PORT"
    )
    assert web["conditions"][0]["value"] == {
        "type": 258,
        "low": {"type": 2, "value": 80},
        "high": {"type": 2, "value": 443},
    }
    assert web["id"] == session.rule(uuid.UUID(web["key"])).id
    assert web["effective_weight"] == session.rule(uuid.UUID(web["key"])).effective_weight
    assert len(doc["filters"]) == 35 + 4


def test_round_trip_is_equal_and_decides_the_same(session, tmp_path):
    build_policy(session)
    doc = session.export(tmp_path / "machine.json")
    engine = wfp.SimEngine()
    counts = engine.load(tmp_path / "machine.json")
    assert counts == {"providers": 2, "sublayers": 2, "rules": 39}
    with wfp.Session(name="explain", backend=engine) as loaded:
        assert comparable(loaded.export()) == comparable(doc)
        rng = random.Random(4)
        for layer in (V4, V6, wfp.Layer.ALE_AUTH_RECV_ACCEPT_V4):
            rows = [random_values(rng, layer) for _ in range(150)]
            original = session.classify_many(layer, rows, trace=True, record="none")
            again = loaded.classify_many(layer, rows, trace=True, record="none")
            assert again == original
            assert {d.action for d in original} == {PERMIT, BLOCK}


def test_load_accepts_text_and_dicts(session):
    build_policy(session)
    text = snapshot.dumps(session.export())
    for source in (text, text.encode(), json.loads(text)):
        engine = wfp.SimEngine()
        engine.load(source)
        with wfp.Session(name="s", backend=engine) as loaded:
            assert len(loaded.rules()) == 39


def test_ids_stay_and_new_ones_come_after(session):
    policy = build_policy(session)
    engine = wfp.SimEngine()
    engine.load(session.export())
    with wfp.Session(name="s", backend=engine) as loaded:
        assert loaded.rule(policy.keys["corp web"]).id == policy.ids["corp web"]
        new = loaded.add_rule(wfp.Rule(name="new", layer=V4, action=BLOCK))
        assert new > max(r.id for r in loaded.rules() if r.name != "new")


def machine_doc(session: wfp.Session) -> dict:
    """A snapshot as a Windows machine would give it: a third-party callout, a disabled rule,
    built-in sublayer weights of its own."""
    policy = Policy(session)
    s = policy.sublayer(0x100)
    policy.rule(
        "driver callout", s, wfp.Action.CALLOUT_TERMINATING, F.IP_REMOTE_PORT == 25, callout=CALLOUT
    )
    policy.rule("disabled block", s, BLOCK, F.IP_REMOTE_PORT == 80, weight=50)
    policy.rule("universal permit", UNIVERSAL, PERMIT, F.IP_REMOTE_PORT == 80, hard=True)
    doc = copy.deepcopy(session.export())
    third_party = str(uuid.uuid4())
    for f in doc["filters"]:
        if f["name"] == "driver callout":
            f["action_key"] = third_party
        if f["name"] == "disabled block":
            f["flags"] |= 0x20  # FWPM_FILTER_FLAG_DISABLED, as BFE reports for a disabled provider
    for sl in doc["sublayers"]:
        if uuid.UUID(sl["key"]) == UNIVERSAL:
            sl["weight"] = 0x0050  # below our S(0x100) on that machine
    return doc


def test_windows_snapshot_features(session):
    doc = machine_doc(session)
    engine = wfp.SimEngine()
    engine.load(doc)
    with wfp.Session(name="s", backend=engine) as loaded:
        # An unknown (unregistered) callout blocks; a model can be attached to its key.
        third_party = uuid.UUID(
            next(f["action_key"] for f in doc["filters"] if f["name"] == "driver callout")
        )
        d25 = loaded.classify(V4, {F.IP_REMOTE_PORT: 25})
        assert d25.action == BLOCK and d25.trace[0].steps[0].unregistered
        assert (
            loaded.classify(V4, {F.IP_REMOTE_PORT: 25}, callouts={third_party: PERMIT}).action
            == PERMIT
        )
        # The disabled rule never matches; UNIVERSAL now sorts after S(0x100).
        d80 = loaded.classify(V4, {F.IP_REMOTE_PORT: 80})
        assert (d80.action, d80.rule.name) == (PERMIT, "universal permit")
        assert [t.weight for t in d80.trace] == [0x100, 0x50]
        assert d80.trace[0].steps == ()
        assert next(s for s in loaded.sublayers() if s.key == UNIVERSAL).weight == 0x50


def test_a_failing_load_applies_nothing(session):
    build_policy(session)
    doc = session.export()
    doc["filters"][-1]["id"] = doc["filters"][0]["id"]  # a duplicate id
    engine = wfp.SimEngine()
    with pytest.raises(wfp.WFPError):
        engine.load(doc)
    with wfp.Session(name="s", backend=engine) as loaded:
        assert loaded.rules() == []
        assert [p for p in loaded.providers() if p.name == "corp"] == []


@pytest.mark.parametrize(
    "change,field",
    [
        (lambda d: d.update(format="something else"), "snapshot.format"),
        (lambda d: d.update(version=99), "snapshot.version"),
        (lambda d: d["filters"][0].pop("layer"), "filters[0]"),
    ],
)
def test_bad_documents_are_named(session, change, field):
    build_policy(session)
    doc = session.export()
    change(doc)
    with pytest.raises(wfp.ValidationError) as info:
        wfp.SimEngine().load(doc)
    assert info.value.field == field


def test_persistent_objects_load_into_a_state_file(tmp_path):
    with wfp.Session(name="static", dynamic=False, backend=wfp.SimEngine()) as source:
        killswitch(0x11, app_path=APP, persistent=True).install(source)
        doc = source.export()
    state = tmp_path / "state"
    wfp.SimEngine(state).load(doc)
    with wfp.Session(name="after", backend=wfp.SimEngine(state)) as reopened:
        assert len(reopened.rules()) == 27 and all(r.persistent for r in reopened.rules())
