"""The skill format: parsing, validation that reports every problem, measured figures."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from polca.skills.model import (
    Measured,
    SkillFormatError,
    load_library,
    parse_skill,
    validate_skill_dir,
    write_measured,
)

SECTIONS = ("When to use", "Steps", "Complexity", "Pitfalls", "When not to use", "Before-After example")


def _front(skill_id: str = "tiny-skill", **overrides) -> str:
    fields = {
        "id": skill_id,
        "type": "operator",
        "language": "python",
        "family": "algorithmic",
        "name": "Tiny skill",
        "description": "Does a tiny thing.",
        "tags": "[a, b]",
        "triggers": "['x\\s+in']",
    }
    fields.update(overrides)
    lines = [f"{k}: {v}" for k, v in fields.items() if v is not None]
    return "---\n" + "\n".join(lines) + "\n---\n"


def _body(sections=SECTIONS) -> str:
    return "".join(f"\n## {title}\nText for {title.lower()}.\n" for title in sections)


def _skill_dir(tmp_path: Path, name: str = "tiny-skill", text: str | None = None, files=None) -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(text if text is not None else _front(name) + _body())
    for file_name, content in (files or {}).items():
        (folder / file_name).write_text(textwrap.dedent(content))
    return folder


def test_a_well_formed_skill_parses_into_a_frozen_skill(tmp_path):
    skill = parse_skill(_skill_dir(tmp_path))
    assert skill.id == "tiny-skill"
    assert skill.tags == ("a", "b")
    assert skill.triggers == (r"x\s+in",)
    assert [title for title, _ in skill.sections] == list(SECTIONS)
    assert skill.section("Pitfalls") == "Text for pitfalls."
    assert not skill.has_rule
    with pytest.raises(AttributeError):
        skill.id = "other"  # type: ignore[misc]


def test_every_problem_is_reported_together(tmp_path):
    text = _front("wrong-id", type="recipe") + _body(SECTIONS[:3])
    errors = validate_skill_dir(_skill_dir(tmp_path, text=text))
    joined = "\n".join(errors)
    assert "does not match its folder name 'tiny-skill'" in joined
    assert "type 'recipe' is unknown" in joined
    assert "'## Pitfalls' is missing" in joined
    assert "'## When not to use' is missing" in joined
    assert len(errors) >= 5


def test_bad_yaml_is_reported_with_the_rest(tmp_path):
    text = "---\nid: [unclosed\n---\n" + _body(SECTIONS[:1])
    errors = validate_skill_dir(_skill_dir(tmp_path, text=text))
    assert any("not valid YAML" in e for e in errors)
    assert any("'## Steps' is missing" in e for e in errors)


def test_missing_front_matter_is_an_error(tmp_path):
    errors = validate_skill_dir(_skill_dir(tmp_path, text=_body()))
    assert any("must start with YAML front matter" in e for e in errors)


def test_measured_figures_cannot_be_typed_into_front_matter(tmp_path):
    text = _front(median_speedup="3.2") + _body()
    errors = validate_skill_dir(_skill_dir(tmp_path, text=text))
    assert any("measured.json" in e and "median_speedup" in e for e in errors)


def test_bad_trigger_regex_and_bad_list_types_are_errors(tmp_path):
    text = _front(triggers="['(unclosed']", tags="not-a-list") + _body()
    errors = validate_skill_dir(_skill_dir(tmp_path, text=text))
    assert any("not a valid regular expression" in e for e in errors)
    assert any("tags must be a list" in e for e in errors)


def test_a_rule_needs_a_counter_example_and_an_example(tmp_path):
    folder = _skill_dir(tmp_path, files={"rule.py": "def rewrite(module):\n    return module\n"})
    errors = validate_skill_dir(folder)
    assert any("needs a counter.py" in e for e in errors)
    assert any("needs before.py/after.py" in e for e in errors)


def test_example_files_follow_the_convention(tmp_path):
    folder = _skill_dir(tmp_path, files={"before.py": "def solve(x):\n    return x\n", "after.py": "x = 1\n"})
    errors = validate_skill_dir(folder)
    assert any("make_input(size, rng)" in e for e in errors)
    folder = _skill_dir(
        tmp_path,
        "other-skill",
        text=_front("other-skill") + _body(),
        files={
            "before.py": "BENCH_SIZE = 3\ndef make_input(size, rng):\n    return (size,), {}\ndef solve(n):\n    return n\n",
            "after.py": "def compute(n):\n    return n\n",
        },
    )
    assert validate_skill_dir(folder) == ["other-skill: after.py must define solve()"]


def test_parse_skill_raises_one_error_listing_all_problems(tmp_path):
    folder = _skill_dir(tmp_path, text=_front(type="recipe", family="misc") + _body(SECTIONS[:2]))
    with pytest.raises(SkillFormatError) as info:
        parse_skill(folder)
    assert len(info.value.errors) >= 3
    assert "problem(s) in the skill format" in str(info.value)


def test_load_library_collects_problems_across_folders(tmp_path):
    _skill_dir(tmp_path, "good-skill", text=_front("good-skill") + _body())
    _skill_dir(tmp_path, "bad-one", text=_front("bad-one", type="x") + _body())
    _skill_dir(tmp_path, "bad-two", text=_front("bad-two") + _body(SECTIONS[1:]))
    with pytest.raises(SkillFormatError) as info:
        load_library(tmp_path)
    assert any(e.startswith("bad-one:") for e in info.value.errors)
    assert any(e.startswith("bad-two:") for e in info.value.errors)


def test_load_library_rejects_duplicate_ids(tmp_path):
    _skill_dir(tmp_path / "python", "same-id", text=_front("same-id") + _body())
    _skill_dir(tmp_path / "other", "same-id", text=_front("same-id") + _body())
    with pytest.raises(SkillFormatError, match="is used by"):
        load_library(tmp_path)


def test_load_library_rejects_a_missing_directory(tmp_path):
    with pytest.raises(ValueError, match="is not a directory"):
        load_library(tmp_path / "nowhere")


def test_meta_skill_prompt_renders_only_with_exact_placeholders(tmp_path):
    text = _front("ask-model", type="meta", family="judge") + "\n## When to use\nAlways.\n\n## Prompt\nCheck {program} against {{json}} and {evidence}.\n"
    skill = parse_skill(_skill_dir(tmp_path, "ask-model", text=text))
    assert skill.placeholders == ("program", "evidence")
    assert skill.render_prompt(program="P", evidence="E") == "Check P against {json} and E."
    with pytest.raises(ValueError, match="missing \\['evidence'\\]"):
        skill.render_prompt(program="P")
    with pytest.raises(ValueError, match="unknown \\['extra'\\]"):
        skill.render_prompt(program="P", evidence="E", extra="X")


def test_operator_skills_have_no_prompt(tmp_path):
    skill = parse_skill(_skill_dir(tmp_path))
    with pytest.raises(ValueError, match="only meta skills have a prompt"):
        _ = skill.prompt


def test_meta_skills_carry_no_code(tmp_path):
    text = _front("ask-model", type="meta", family="judge") + "\n## When to use\nA.\n\n## Prompt\nB.\n"
    folder = _skill_dir(tmp_path, "ask-model", text=text, files={"rule.py": "x = 1\n"})
    assert any("meta skills carry no rule.py" in e for e in validate_skill_dir(folder))


def test_measured_figures_round_trip_through_measured_json(tmp_path):
    skill = parse_skill(_skill_dir(tmp_path))
    assert skill.measured() is None
    figures = Measured(example_speedup_median=4.5, example_size=100, task_speedups_median={"t1": 2.0})
    path = write_measured(skill, figures)
    assert json.loads(path.read_text())["example_speedup_median"] == 4.5
    assert skill.measured() == figures
    assert validate_skill_dir(skill.path) == []


def test_unknown_section_lookup_names_the_sections(tmp_path):
    skill = parse_skill(_skill_dir(tmp_path))
    with pytest.raises(KeyError, match="When to use"):
        skill.section("Nope")


def test_triggers_with_repeated_groups_are_rejected(tmp_path):
    text = _front(triggers="['for.*:\\s*\\n(\\s+.*\\n)*?\\s+print']") + _body()
    errors = validate_skill_dir(_skill_dir(tmp_path, text=text))
    assert any("repeats a group" in e for e in errors)
