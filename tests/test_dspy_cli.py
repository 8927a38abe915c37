"""``polca optimize-prompt``: a DSPy program, a metric and JSONL data from the command line."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import dspy
import pytest
import typer
from typer.testing import CliRunner

from polca.cli.prompts import program_input_keys, register
from tests.test_dspy_compile import CUE, DATA, proposer_model, task_model

PROGRAM = '''
import dspy

program = dspy.Predict("question -> answer")


def metric(gold, pred, trace=None):
    return float(gold.answer == pred.answer)
'''


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    module = f"qa_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(PROGRAM)
    for name, rows in (("train.jsonl", DATA[:4]), ("val.jsonl", DATA[4:])):
        (tmp_path / name).write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in rows))
    monkeypatch.chdir(tmp_path)
    return tmp_path, module


def test_optimize_prompt_prints_scores_before_and_after_and_the_new_instructions(workdir, scripted_llm) -> None:
    path, module = workdir
    task, proposer = scripted_llm(task_model), scripted_llm(proposer_model)
    args = ["optimize-prompt", f"{module}:program", "--trainset", "train.jsonl", "--valset", "val.jsonl",
            "--metric", f"{module}:metric", "--model", "openai/scripted", "--api-base", proposer.api_base,
            "--task-model", "openai/scripted", "--task-api-base", task.api_base,
            "--max-evaluations", "20", "--db", f"sqlite:///{path / 'polca.db'}"]
    result = CliRunner().invoke(_app(), [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["before"] == 0.0 and report["after"] == 1.0 and report["num_validation"] == 2
    assert CUE in report["params"]["self.instructions"] and report["changed"] == ["self.instructions"]
    shown = CliRunner().invoke(_app(), args)
    assert shown.exit_code == 0 and "before" in shown.output and CUE in shown.output


def test_bad_specs_and_data_are_one_line_errors(workdir) -> None:
    path, module = workdir
    (path / "bad.jsonl").write_text("not json\n")
    base = ["--metric", f"{module}:metric", "--model", "openai/scripted", "--task-model", "openai/scripted"]
    for spec, trainset, expected in (("nocolon", "train.jsonl", "module:attr"),
                                     (f"{module}:missing", "train.jsonl", "has no attribute"),
                                     (f"{module}:program", "bad.jsonl", "cannot read examples")):
        result = CliRunner().invoke(_app(), ["optimize-prompt", spec, "--trainset", trainset, *base])
        assert result.exit_code == 1 and expected in result.output


def test_input_keys_default_to_fields_no_predictor_produces() -> None:
    class TwoStep(dspy.Module):
        def __init__(self) -> None:
            super().__init__()
            self.draft = dspy.Predict("question, context -> notes")
            self.final = dspy.Predict("question, notes -> answer")

    assert program_input_keys(TwoStep()) == ["question", "context"]


def test_the_task_model_answers_within_the_configured_token_limit(monkeypatch):
    from polca.cli.prompts import _task_lm
    from polca.config import load_config

    monkeypatch.setenv("POLCA_LLM_MAX_TOKENS", "128")
    limited = _task_lm("openai/smollm2", "http://127.0.0.1:1/v1", load_config())
    assert limited.kwargs["max_tokens"] == 128
