"""Enumeration on the real engine: templates, paging past one page, and what BFE fills in."""
import wfp
from wfp import _core

from winhelpers import Objects

PAGE = 8192  # the core's default page (WFP_PAGER_DEFAULT_PAGE): more rules than this need two


def rules_for(objects, layer, count, first_port):
    return [wfp.Rule(name=f"enum {first_port + i}", layer=layer, action=wfp.Action.BLOCK,
                     sublayer=objects.sublayer, provider=objects.provider,
                     weight=wfp.WeightRange(i % 16),
                     conditions=[wfp.Field.IP_REMOTE_PORT == first_port + i])
            for i in range(count)]


def test_layer_and_provider_templates_page_through_everything(real, real_objects):
    v4 = rules_for(real_objects, wfp.Layer.ALE_AUTH_CONNECT_V4, PAGE + 500, 10000)
    v6 = rules_for(real_objects, wfp.Layer.ALE_AUTH_CONNECT_V6, 300, 10000)
    real.add_rules(v4 + v6)
    read_v4 = real.rules(layer=wfp.Layer.ALE_AUTH_CONNECT_V4, provider=real_objects.provider)
    assert sorted(r.key for r in read_v4) == sorted(r.key for r in v4)
    read_all = real.rules(provider=real_objects.provider)
    assert len(read_all) == len(v4) + len(v6)
    other = Objects(real)
    assert real.rules(provider=other.provider) == []
    by_key = {r.key: r for r in read_v4}
    sample = by_key[v4[1234].key]
    assert sample.conditions == v4[1234].conditions
    assert sample.weight == wfp.WeightRange(1234 % 16)
    assert sample.id is not None and sample.effective_weight is not None


def test_sublayer_template_selects_by_provider(real, real_objects):
    mine = real.sublayers(provider=real_objects.provider)
    assert [s.key for s in mine] == [real_objects.sublayer]
    assert mine[0].weight == 0x8000


def enumerate_keys(session, provider, conditions, enum_type):
    wires = session._core.filters(provider, wfp.Layer.ALE_AUTH_CONNECT_V4.value, enum_type, 0,
                                  _core.ACTION_MASK_ANY, conditions, None, None)
    return {wire[0] for wire in wires}


def test_overlapping_and_fully_contained_templates_match_the_embedded_engine(
        real, sim, real_objects, sim_objects):
    """Same rules, same templates, same selection on both engines (compared by rule name)."""
    port = wfp.Field.IP_REMOTE_PORT
    rule_conditions = {
        "port 80": [port == 80],
        "ports 70-90": [port.between(70, 90)],
        "port 443": [port == 443],
        "any port": [],
        "port 80 to 10.0.0.0/8": [port == 80, wfp.Field.IP_REMOTE_ADDRESS.in_("10.0.0.0/8")],
    }
    templates = {
        "equal 80": [(port.value, int(wfp.Match.EQUAL), (int(wfp.DataType.UINT16), 80))],
        "range 75-85": [(port.value, int(wfp.Match.RANGE),
                         (int(wfp.DataType.RANGE), ((2, 75), (2, 85))))],
        "none": [],
    }
    selections = {}
    for label, session, objects in (("BFE", real, real_objects), ("embedded", sim, sim_objects)):
        names = {}
        for name, conditions in rule_conditions.items():
            rule = wfp.Rule(name=name, layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                            action=wfp.Action.PERMIT, sublayer=objects.sublayer,
                            provider=objects.provider, conditions=conditions)
            session.add_rule(rule)
            names[rule.key] = name
        for template, conditions in templates.items():
            for enum_type in (_core.FILTER_ENUM_OVERLAPPING, _core.FILTER_ENUM_FULLY_CONTAINED):
                keys = enumerate_keys(session, objects.provider, conditions, enum_type)
                selections.setdefault((template, enum_type), {})[label] = sorted(
                    names[k] for k in keys if k in names)
    differences = {k: v for k, v in selections.items() if v["BFE"] != v["embedded"]}
    print(selections)
    assert differences == {}
    assert len(selections[("none", _core.FILTER_ENUM_OVERLAPPING)]["BFE"]) == len(rule_conditions)


def test_get_by_id_and_by_key_agree(real, real_objects):
    (rule,) = rules_for(real_objects, wfp.Layer.ALE_AUTH_CONNECT_V4, 1, 4242)
    rule_id = real.add_rule(rule)
    assert real.rule(rule_id).key == rule.key
    assert real.rule(rule.key).id == rule_id
    real.delete_rule(rule_id)
    assert real.rules(provider=real_objects.provider) == []
