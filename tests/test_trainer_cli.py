"""``polca train sft|rl|serve`` from the command line, on a tiny local model."""

from __future__ import annotations

import importlib.util
import json

import pytest
import typer
from polca.trainer.export import ProblemRow, ScoredCode, write_jsonl
from polca.trainer.serve import optimize_hint, vllm_command
from typer.testing import CliRunner

from polca.cli import train as train_cli

NO_VLLM = pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    train_cli.register(root)
    return root


def _invoke(app, *args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def checkpoint(tmp_path):
    folder = tmp_path / "policy-7"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


def test_vllm_command_serves_the_checkpoint_under_its_folder_name(checkpoint) -> None:
    command = vllm_command(checkpoint, host="0.0.0.0", port=8011)
    assert command[:3] == ["vllm", "serve", str(checkpoint)]
    assert command[command.index("--port") + 1] == "8011"
    assert command[command.index("--served-model-name") + 1] == "policy-7"


def test_optimize_hint_points_litellm_at_the_server() -> None:
    assert optimize_hint("policy-7", port=8011) == (
        "--model hosted_vllm/policy-7 --api-base http://127.0.0.1:8011/v1"
    )


def test_vllm_command_rejects_a_folder_without_a_model(tmp_path) -> None:
    with pytest.raises(ValueError, match="config.json"):
        vllm_command(tmp_path)


def test_serve_dry_run_prints_the_command_and_the_optimize_flags(app, checkpoint) -> None:
    result = _invoke(app, "train", "serve", str(checkpoint), "--port", "8011", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"vllm serve {checkpoint}" in result.output
    assert "--model hosted_vllm/policy-7 --api-base http://127.0.0.1:8011/v1" in result.output


@NO_VLLM
def test_serve_without_vllm_names_the_gpu_extra(app, checkpoint) -> None:
    result = _invoke(app, "train", "serve", str(checkpoint))
    assert result.exit_code == 1
    assert "polca[gpu]" in result.output


@pytest.fixture
def data(tmp_path) -> str:
    winner = ScoredCode("def f(x):\n    return x\n", "h1", 2.0, 1, True, "llm", "r", "c")
    row = ProblemRow(
        problem_id="p", domain="program", split="train", prompt="1 + 2 =", task="t",
        objective="runtime", code="def f(x):\n    return x\n",
        check={"qualname": "f", "inputs": [{"args": [1]}]}, winners=[winner], candidates=[winner],
    )
    path = tmp_path / "data.jsonl"
    write_jsonl([row], path)
    return str(path)


def test_sft_and_rl_commands_train_and_save_their_config(app, data, tmp_path) -> None:
    pytest.importorskip("trl")
    from polca.trainer.tiny import build_tiny_model

    tiny = str(build_tiny_model(tmp_path / "tiny"))
    sft_dir, rl_dir = tmp_path / "sft", tmp_path / "rl"
    result = _invoke(app, "train", "sft", "--base-model", tiny, "--data", data,
                     "--out", str(sft_dir), "--max-steps", "1", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    result = _invoke(app, "train", "rl", "--base-model", str(sft_dir), "--data", data, "--algo", "pipo",
                     "--out", str(rl_dir), "--max-steps", "2", "--batch-size", "4",
                     "--num-generations", "2", "--max-completion-length", "4")
    assert result.exit_code == 0, result.output
    assert "PIPO: 0 closed-loop steps" in result.output
    saved = json.loads((rl_dir / "polca_train.json").read_text())
    assert (saved["kind"], saved["algo"], saved["base_model"]) == ("rl", "pipo", str(sft_dir))


def test_rl_rejects_an_unknown_algorithm_with_the_choices(app, data, tmp_path) -> None:
    result = _invoke(app, "train", "rl", "--base-model", "m", "--data", data, "--algo", "ppo")
    assert result.exit_code == 2
    assert "'ppo' is not one of 'grpo', 'pipo'" in " ".join(result.output.replace("│", " ").split())


def test_sft_on_a_missing_file_says_how_to_make_one(app, tmp_path) -> None:
    pytest.importorskip("trl")
    result = _invoke(app, "train", "sft", "--base-model", "m", "--data", str(tmp_path / "none.jsonl"),
                     "--out", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert "polca train export" in result.output
