"""The wfp.testing pytest plugin, exercised the way a user's suite uses it."""

import importlib.metadata
import uuid

import wfp

PYTEST_PLUGIN_TEST = '''
import wfp

def test_block(wfp_session):
    wfp_session.add_rule(wfp.Rule(name="block dns", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                                  action=wfp.Action.BLOCK,
                                  conditions=[wfp.Field.IP_REMOTE_PORT == 53]))
    d = wfp_session.classify(wfp.Layer.ALE_AUTH_CONNECT_V4, {wfp.Field.IP_REMOTE_PORT: 53})
    assert d.action is wfp.Action.BLOCK

def test_fresh_engine_each_time(wfp_session):
    assert list(wfp_session.rules()) == []
'''


def test_the_package_registers_the_plugin():
    plugins = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert plugins.get("wfp") == "wfp.testing"


def test_fixtures_give_a_fresh_engine_per_test(pytester, pytestconfig):
    pytester.makepyfile(PYTEST_PLUGIN_TEST)
    # Installed, the plugin loads itself through its entry point; naming it again would clash.
    loaded = pytestconfig.pluginmanager.has_plugin("wfp")
    result = pytester.runpytest_inprocess(*([] if loaded else ["-p", "wfp.testing"]))
    result.assert_outcomes(passed=2)


def test_static_session_objects_outlive_it(wfp_engine, wfp_static_session):
    key = uuid.uuid4()
    wfp_static_session.add_provider(wfp.Provider(key=key, name="kept"))
    wfp_static_session.close()
    with wfp.Session(backend=wfp_engine) as other:
        assert key in {p.key for p in other.providers()}


def test_dynamic_session_objects_go_with_it(wfp_engine, wfp_session):
    key = uuid.uuid4()
    wfp_session.add_provider(wfp.Provider(key=key, name="gone"))
    wfp_session.close()
    with wfp.Session(backend=wfp_engine) as other:
        assert key not in {p.key for p in other.providers()}
