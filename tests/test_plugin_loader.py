"""The loader keeps every step of the plugin unless the user said otherwise."""

from __future__ import annotations

from importlib import metadata

import pytest
from tensorboard import program
from tensorboard.plugins import base_plugin
from tensorboard.plugins.core import core_plugin

from tb_explain.plugin.loader import ExplainLoader
from tb_explain.plugin.plugin import ExplainPlugin


def configured_flags(argv):
    board = program.TensorBoard(plugins=[core_plugin.CorePluginLoader(), ExplainLoader])
    board.configure(["tensorboard", *argv])
    return board.flags


def test_fix_flags_keeps_every_step_by_default(tmp_path):
    flags = configured_flags(["--logdir", str(tmp_path)])
    assert flags.samples_per_plugin == {"explain": 0}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("explain=5", {"explain": 5}),
        ("images=3,explain=7", {"images": 3, "explain": 7}),
        ("images=3", {"images": 3, "explain": 0}),
    ],
)
def test_a_users_samples_per_plugin_wins(tmp_path, value, expected):
    argv = ["--logdir", str(tmp_path), "--samples_per_plugin", value]
    assert configured_flags(argv).samples_per_plugin == expected


def test_entry_point_names_the_loader():
    points = metadata.entry_points(group="tensorboard_plugins")
    explain = [p for p in points if p.name == "explain"]
    assert [p.value for p in explain] == ["tb_explain.plugin.loader:ExplainLoader"]
    assert explain[0].load() is ExplainLoader


def test_load_returns_the_plugin_with_an_iframe_tab(tmp_path):
    context = base_plugin.TBContext(logdir=str(tmp_path), data_provider=None)
    plugin = ExplainLoader().load(context)
    assert isinstance(plugin, ExplainPlugin)
    assert plugin.plugin_name == "explain"
    assert plugin.is_active() is False
    metadata_ = plugin.frontend_metadata()
    assert metadata_.es_module_path == "/index.js"
    assert metadata_.tab_name == "Explain"
    assert "/index.js" in plugin.get_plugin_apps()


def test_cache_flag_defaults_and_rejects_negative_values(tmp_path):
    from tensorboard.plugins import base_plugin

    from tb_explain.plugin.loader import DEFAULT_CACHE_MB

    logdir = ["--logdir", str(tmp_path)]
    assert configured_flags(logdir).explain_cache_mb == DEFAULT_CACHE_MB
    assert configured_flags([*logdir, "--explain_cache_mb", "8"]).explain_cache_mb == 8
    with pytest.raises(base_plugin.FlagsError, match="explain_cache_mb"):
        configured_flags([*logdir, "--explain_cache_mb", "-1"])
