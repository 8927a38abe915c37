"""The registry: an index built from the skill folders, with lookups that explain misses."""

from __future__ import annotations

import json

import pytest

from polca.skills.model import DEFAULT_LIBRARY, load_library
from polca.skills.registry import SkillRegistry, UnknownSkillError, build_registry


@pytest.fixture(scope="module")
def registry() -> SkillRegistry:
    return build_registry()


def test_registry_is_built_from_the_folders(registry):
    assert len(registry) == len(load_library())
    assert "deque-for-queue-pop0" in registry
    assert registry.get("deque-for-queue-pop0").family == "data-structures"
    assert list(registry.ids) == sorted(registry.ids)


def test_unknown_id_lists_close_matches(registry):
    with pytest.raises(UnknownSkillError, match="did you mean deque-for-queue-pop0"):
        registry.get("deque-for-queue-pop")


def test_unknown_id_without_close_matches_says_how_to_list(registry):
    with pytest.raises(UnknownSkillError, match="registry.ids"):
        registry.get("zzzz")


def test_lookups_by_family_tags_and_rules(registry):
    io_ids = {s.id for s in registry.by_family("io")}
    assert {"bulk-stdin-read", "buffered-output"} <= io_ids
    assert [s.id for s in registry.with_tags("deque", "bfs")] == ["deque-for-queue-pop0"]
    assert all(s.has_rule for s in registry.with_rules())
    assert {s.type for s in registry.metas()} == {"meta"}


def test_triggers_point_at_matching_skills(registry):
    source = "def f(q):\n    while q:\n        x = q.pop(0)\n"
    hits = registry.triggered_by(source)
    assert hits[0][0].id == "deque-for-queue-pop0"
    assert registry.triggered_by("x = 1\n") == []


def test_every_skill_is_triggered_by_its_own_before_example(registry):
    silent = [s.id for s in registry.operators() if s.id not in {h.id for h, _ in registry.triggered_by(s.before_path.read_text())}]
    assert silent == []


def test_index_is_plain_json(registry):
    index = registry.to_index()
    assert json.loads(json.dumps(index)) == index
    entry = next(e for e in index if e["id"] == "precompiled-regex")
    assert entry["has_rule"] is True and entry["type"] == "operator"


def test_duplicate_ids_are_rejected():
    skills = load_library()
    with pytest.raises(ValueError, match="share the id"):
        SkillRegistry([skills[0], skills[0]])


def test_several_libraries_merge_into_one_registry(tmp_path):
    builtin = load_library()[0]
    folder = tmp_path / "mined" / "my-mined-skill"
    folder.mkdir(parents=True)
    text = (builtin.path / "SKILL.md").read_text().replace(f"id: {builtin.id}", "id: my-mined-skill", 1)
    (folder / "SKILL.md").write_text(text)
    merged = build_registry(tmp_path / "mined", DEFAULT_LIBRARY)
    assert "my-mined-skill" in merged and builtin.id in merged


def test_the_same_id_in_two_libraries_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="share the id"):
        build_registry(DEFAULT_LIBRARY, DEFAULT_LIBRARY)
