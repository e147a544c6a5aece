"""Enrolling a node: one command on the panel, one on the node, and each side holds only its own secret."""

from __future__ import annotations

import dataclasses

import pytest

from mailserver.agent import keys, signing
from mailserver.agent.config import load


@pytest.fixture
def sides(tmp_path):
    base = load()
    panel = dataclasses.replace(
        base, panel_key=tmp_path / "panel/panel.key", node_keys=tmp_path / "panel/nodes"
    )
    node = dataclasses.replace(
        base, node_key=tmp_path / "mx1/node.key", panel_trust=tmp_path / "mx1/trust", node="mx1"
    )
    return panel, node, tmp_path


def test_enrolling_a_node_gives_each_side_the_others_public_key_only(sides):
    panel, node, tmp_path = sides
    panel_public = keys.panel_init(panel)
    node_public = keys.node_enroll(node, panel_public)
    keys.add_node(panel, "mx1", node_public)

    assert signing.load_public(node.panel_trust / "panel.pub").text() == panel_public
    assert signing.load_public(panel.node_keys / "mx1.pub").text() == node_public
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.key")) == [
        "mx1/node.key",
        "panel/panel.key",
    ]


def test_running_panel_init_again_keeps_the_key(sides):
    panel, _, _ = sides
    assert keys.panel_init(panel) == keys.panel_init(panel)


def test_a_node_name_that_is_not_a_file_name_is_refused(sides):
    panel, _, _ = sides
    public = signing.PrivateKey.generate().public.text()
    with pytest.raises(ValueError, match="lower-case letters"):
        keys.add_node(panel, "../etc/evil", public)


def test_the_command_line_prints_the_line_to_run_on_the_panel(sides, capsys, monkeypatch):
    panel, node, _ = sides
    panel_public = keys.panel_init(panel)
    monkeypatch.setattr(keys.config, "load", lambda: node)
    assert keys.main(["node-enroll", panel_public]) == 0
    out = capsys.readouterr().out
    assert "nodeworx-keys add-node mx1 " in out
    assert keys.main(["node-enroll", "garbage"]) == 2
