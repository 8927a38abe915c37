"""``polca skills``: list, show, validate, mine, apply, export."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from polca.cli import app
from polca.skills.model import DEFAULT_LIBRARY, load_library
from polca.skills.pairs import DEFAULT_CORPUS

runner = CliRunner()

SLOW = '''def count_free(blocked, limit):
    taken = [int(b) for b in blocked]
    free = 0
    for i in range(limit):
        if i not in taken:
            free += 1
    return free
'''


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .polca/skills of the developer's own leaks in


def _run(*args: str):
    return runner.invoke(app, ["skills", *args])


def _flat(text: str) -> str:
    """``text`` without the error box and its line breaks."""
    return " ".join(text.replace("│", " ").split())


def test_list_table_json_and_family_filter():
    result = _run("list")
    assert result.exit_code == 0 and "list-membership-to-set" in result.output
    rows = json.loads(_run("list", "--json", "--family", "io").output)
    assert rows and all(row["family"] == "io" for row in rows)
    bad = _run("list", "--family", "nope")
    assert bad.exit_code == 1 and "families:" in bad.output


def test_show_prints_the_skill_and_rejects_unknown_ids():
    result = _run("show", "deque-for-queue-pop0")
    assert result.exit_code == 0 and "## Steps" in result.output and "rule.py" in result.output
    unknown = _run("show", "deque-for-queue")
    assert unknown.exit_code == 1 and "did you mean" in unknown.output


def test_validate_the_library_and_a_broken_folder(tmp_path):
    assert _run("validate").exit_code == 0
    broken = tmp_path / "lib"
    shutil.copytree(DEFAULT_LIBRARY / "python" / "deque-for-queue-pop0", broken / "deque-for-queue-pop0")
    (broken / "deque-for-queue-pop0" / "counter.py").write_text(
        (broken / "deque-for-queue-pop0" / "before.py").read_text())
    result = _run("validate", str(broken))
    assert result.exit_code == 1 and "rewrites counter.py" in result.output


def test_apply_prints_diagnosis_and_diff_and_writes_the_candidate(tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    result = _run("apply", str(slow), "--out", str(tmp_path / "fast.py"))
    assert result.exit_code == 0, result.output
    assert "membership-test-in-loop" in result.output and "+    taken = {int(b) for b in blocked}" in result.output
    assert "{int(b) for b in blocked}" in (tmp_path / "fast.py").read_text()
    data = json.loads(_run("apply", str(slow), "--json", "-k", "1").output)
    assert len(data["candidates"]) == 1 and "list-membership-to-set" in data["candidates"][0]["skills"]


def test_apply_without_candidates_and_missing_file(tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("def add(a, b):\n    return a + b\n")
    result = _run("apply", str(plain), "--out", str(tmp_path / "x.py"))
    assert result.exit_code == 1 and "no candidate" in result.output
    assert _run("apply", str(tmp_path / "absent.py")).exit_code == 1


def test_mine_ast_writes_loadable_skills_outside_the_library(tmp_path):
    lines = [line for line in DEFAULT_CORPUS.read_text().splitlines() if '"id": "last-' in line]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(lines) + "\n")
    result = _run("mine", str(pairs), "--out", str(tmp_path / "mined"))
    assert result.exit_code == 0, result.output
    assert "yes" in result.output and "mined-" in result.output
    assert load_library(tmp_path / "mined")
    assert _run("mine", str(pairs), "--miner", "llm").exit_code == 1
    assert "'magic' is not one of 'ast', 'llm'" in _flat(_run("mine", str(pairs), "--miner", "magic").output)


def test_mined_skills_in_dot_polca_join_the_library(tmp_path):
    lines = [line for line in DEFAULT_CORPUS.read_text().splitlines() if '"id": "last-' in line]
    (tmp_path / "pairs.jsonl").write_text("\n".join(lines) + "\n")
    assert _run("mine", "pairs.jsonl").exit_code == 0
    listed = _run("list", "--json").output
    assert '"mined-' in listed


def test_export_agent_skills(tmp_path):
    out = tmp_path / "agent"
    result = _run("export", "--format", "agent-skills", str(out))
    assert result.exit_code == 0, result.output
    text = (out / "list-membership-to-set" / "SKILL.md").read_text()
    assert text.startswith("---\nname: list-membership-to-set\ndescription:")
    assert (out / "list-membership-to-set" / "rule.py").is_file()
    assert _run("export", "--format", "agent-skills", str(out)).exit_code == 1
    assert _run("export", "--format", "agent-skills", str(out), "--force").exit_code == 0
    assert "'zip' is not one of 'agent-skills'" in _flat(_run("export", "--format", "zip", str(out), "--force").output)


def test_mine_with_the_llm_miner_and_apply_with_a_model(scripted_llm, tmp_path):
    skill = {"name": "Grow lists in place", "family": "constant-factors", "description": "Append, do not copy.",
             "tags": ["list"], "triggers": [r"\+\s*\["], "when_to_use": "A list grows by concatenation in a loop.",
             "steps": "1. Use append.", "complexity": "O(n^2) to O(n)", "pitfalls": "Aliases see the change.",
             "when_not_to_use": "The list is shared."}
    trace = {"what_changed": "append in place", "triggers": []}

    def respond(body):
        prompt = body["messages"][-1]["content"]
        if prompt.startswith("You audit"):
            return json.dumps(trace)
        if "reusable" in prompt:
            return json.dumps(skill)
        if "diagnosing" in prompt:
            return '{"bottlenecks": [], "summary": "fine"}'
        if "You select" in prompt:
            return '{"picks": []}'
        return "PLAN:\n- none\nCODE:\n```python\n" + SLOW.replace("[int(b)", "{int(b)").replace("blocked]", "blocked}") + "# by the model\n```"

    server = scripted_llm(respond)
    line = next(x for x in DEFAULT_CORPUS.read_text().splitlines() if '"id": "append-1"' in x)
    (tmp_path / "pairs.jsonl").write_text(line + "\n")
    model = ["--model", "openai/scripted", "--api-base", server.api_base]
    result = _run("mine", "pairs.jsonl", "--miner", "llm", *model, "--out", "mined")
    assert result.exit_code == 0, result.output
    assert [s.id for s in load_library(tmp_path / "mined")] == ["mined-grow-lists-in-place"]
    (tmp_path / "slow.py").write_text(SLOW)
    applied = json.loads(_run("apply", "slow.py", "--json", "-k", "2", *model).output)
    assert [c["via"] for c in applied["candidates"]] == ["rule", "model"]


def test_apply_with_a_model_without_a_provider_is_a_one_line_error(tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    result = _run("apply", str(slow), "--model", "gpt-4o-mini")
    assert result.exit_code == 1 and "did you mean 'openai/gpt-4o-mini'" in result.output
    assert "Traceback" not in result.output


def test_show_prints_skill_md_unwrapped_and_points_unknown_ids_at_the_list():
    skill_md = (DEFAULT_LIBRARY / "python" / "buffered-output" / "SKILL.md").read_text()
    long_line = max(skill_md.splitlines(), key=len)
    assert len(long_line) > 80
    result = runner.invoke(app, ["skills", "show", "buffered-output"], terminal_width=80)
    assert result.exit_code == 0 and long_line in result.output.splitlines()
    unknown = _run("show", "zzzzzz")
    assert unknown.exit_code == 1 and "`polca skills list` shows them" in unknown.output
    assert "registry.ids" not in unknown.output


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [("broken.py", "def f(:\n", "syntax error at line 1"), ("notes.txt", "x = 1\n", "not a Python file")],
)
def test_apply_refuses_a_file_that_is_not_valid_python(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    result = _run("apply", str(path))
    assert result.exit_code == 1 and expected in result.output, result.output


def test_list_in_a_narrow_terminal_keeps_every_name_whole():
    result = runner.invoke(app, ["skills", "list"], terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), result.output
    names = [skill.name for skill in load_library(DEFAULT_LIBRARY)]
    assert all(any(name in line for line in lines) for name in names), result.output


def test_apply_out_into_a_missing_folder_is_refused(tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    result = _run("apply", str(slow), "--out", str(tmp_path / "absent" / "fast.py"))
    assert result.exit_code == 1 and "existing folder" in result.output, result.output
