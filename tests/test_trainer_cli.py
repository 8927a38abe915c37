"""``polca train sft|rl|serve`` from the command line, on a tiny local model."""

from __future__ import annotations

import importlib.util
import json

import pytest
import typer
from typer.testing import CliRunner

from polca.cli import train as train_cli
from polca.trainer.export import ProblemRow, ScoredCode, write_jsonl
from polca.trainer.serve import optimize_hint, vllm_command

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
                     "--out", str(rl_dir), "--max-steps", "2", "--batch-size", "2",
                     "--num-generations", "2", "--max-completion-length", "4")
    assert result.exit_code == 0, result.output
    assert "trained 2 steps" in result.output
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


def _rows_file(tmp_path, count: int, check: dict | None = None) -> str:
    rows = [
        ProblemRow(problem_id=f"p{i}", domain="program", split="train", prompt="1 + 2 =", task="t",
                   objective="runtime", code="def f(x):\n    return x\n",
                   check=check or {"qualname": "f", "inputs": [{"args": [1]}]})
        for i in range(count)
    ]
    path = tmp_path / f"data-{count}.jsonl"
    write_jsonl(rows, path)
    return str(path)


@pytest.mark.parametrize("sizes", [("4", "2"), ("8", "4")])
def test_rl_that_would_train_nothing_fails_before_the_model_loads(app, tmp_path, sizes) -> None:
    batch, group = sizes
    # The base model does not exist: reaching the model loader would fail differently.
    result = _invoke(app, "train", "rl", "--base-model", str(tmp_path / "no-model"), "--data", _rows_file(tmp_path, 1),
                     "--batch-size", batch, "--num-generations", group, "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "nothing would train" in result.output
    assert f"takes {int(batch) // int(group)} of them" in result.output
    assert f"Lower --batch-size to {group} or less" in result.output
    assert not (tmp_path / "out").exists()


def test_rl_that_would_leave_most_data_unseen_says_how_many_steps(app, tmp_path) -> None:
    result = _invoke(app, "train", "rl", "--base-model", str(tmp_path / "no-model"), "--data", _rows_file(tmp_path, 10),
                     "--batch-size", "2", "--num-generations", "2", "--max-steps", "2")
    assert result.exit_code == 1
    assert "most of the data would be dropped" in result.output
    assert "reach 2 of the 10" in result.output and "Raise --max-steps to 5 or more" in result.output


def test_rl_needs_groups_of_two(app, tmp_path) -> None:
    result = _invoke(app, "train", "rl", "--base-model", "m", "--data", _rows_file(tmp_path, 4),
                     "--batch-size", "1", "--num-generations", "1")
    assert result.exit_code == 1 and "--num-generations 4" in result.output


def test_sft_that_would_leave_most_data_unseen_fails(app, tmp_path) -> None:
    winner = ScoredCode("def f(x):\n    return x\n", "h1", 2.0, 1, True, "llm", "r", "c")
    rows = [ProblemRow(f"p{i}", "program", "train", "1 + 2 =", "t", "runtime", "x = 1\n", {}, [winner], [winner])
            for i in range(9)]
    write_jsonl(rows, tmp_path / "sft.jsonl")
    result = _invoke(app, "train", "sft", "--base-model", "m", "--data", str(tmp_path / "sft.jsonl"),
                     "--batch-size", "2", "--max-steps", "1")
    assert result.exit_code == 1 and "reach 2 of the 9" in result.output


@NO_VLLM
def test_report_to_wandb_without_wandb_says_how_to_install_it(app, data, tmp_path) -> None:
    pytest.importorskip("trl")
    if importlib.util.find_spec("wandb") is not None:
        pytest.skip("wandb is installed")
    result = _invoke(app, "train", "sft", "--base-model", str(tmp_path / "no-model"), "--data", data,
                     "--batch-size", "1", "--max-steps", "1", "--report-to", "wandb")
    assert result.exit_code == 1 and "pip install wandb" in result.output


def test_report_to_rejects_unknown_backends(app, data) -> None:
    result = _invoke(app, "train", "sft", "--base-model", "m", "--data", data, "--report-to", "mlflow")
    assert result.exit_code != 0 and "mlflow" in result.output


@pytest.fixture
def adapter(tmp_path):
    folder = tmp_path / "policy-lora"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "/models/base", "r": 24}))
    return folder


def test_serve_dry_run_of_an_adapter_serves_it_on_its_base_with_vllm_lora(app, adapter) -> None:
    result = _invoke(app, "train", "serve", str(adapter), "--port", "8011", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "vllm serve /models/base" in result.output
    assert f"--enable-lora --lora-modules policy-lora={adapter} --max-lora-rank 32" in result.output
    assert "--model hosted_vllm/policy-lora --api-base http://127.0.0.1:8011/v1" in result.output


def test_serve_takes_the_adapters_base_from_the_command_line(adapter) -> None:
    command = vllm_command(adapter, base="/other/base", name="mine")
    assert command[:3] == ["vllm", "serve", "/other/base"]
    assert command[command.index("--lora-modules") + 1] == f"mine={adapter}"


def test_serve_for_rl_prints_trls_generation_server(app, checkpoint) -> None:
    result = _invoke(app, "train", "serve", str(checkpoint), "--for-rl", "--port", "8123", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"trl vllm-serve --model {checkpoint} --host 127.0.0.1 --port 8123" in result.output
    assert "--use-vllm --vllm-mode server --vllm-host 127.0.0.1 --vllm-port 8123" in result.output


def test_serve_for_rl_refuses_an_adapter(app, adapter) -> None:
    result = _invoke(app, "train", "serve", str(adapter), "--for-rl", "--dry-run")
    assert result.exit_code == 1 and "polca train merge" in result.output


def test_lora_adapter_merges_and_serves_both_ways(app, data, tmp_path) -> None:
    pytest.importorskip("peft")
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from polca.trainer.tiny import build_tiny_model

    tiny = str(build_tiny_model(tmp_path / "tiny"))
    lora, merged = tmp_path / "lora", tmp_path / "merged"
    result = _invoke(app, "train", "sft", "--base-model", tiny, "--data", data, "--out", str(lora),
                     "--max-steps", "2", "--batch-size", "1", "--lora", "--lr", "0.05")
    assert result.exit_code == 0, result.output
    assert (lora / "adapter_config.json").is_file() and not (lora / "config.json").is_file()
    result = _invoke(app, "train", "merge", str(lora), "--out", str(merged))
    assert result.exit_code == 0, result.output
    assert (merged / "config.json").is_file() and not (merged / "adapter_config.json").is_file()

    ids = torch.tensor([[5, 14, 6, 17, 7]])
    base = AutoModelForCausalLM.from_pretrained(tiny)
    with torch.no_grad():
        plain = base(ids).logits
        adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny), str(lora))(ids).logits
        folded = AutoModelForCausalLM.from_pretrained(merged)(ids).logits
    torch.testing.assert_close(folded, adapted, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(folded, plain, atol=1e-4)

    as_model = _invoke(app, "train", "serve", str(merged), "--dry-run")
    assert f"vllm serve {merged} " in as_model.output and "--enable-lora" not in as_model.output
    as_adapter = _invoke(app, "train", "serve", str(lora), "--dry-run")
    assert f"vllm serve {tiny} " in as_adapter.output and f"--lora-modules lora={lora}" in as_adapter.output
    again = _invoke(app, "train", "merge", str(lora), "--out", str(merged))
    assert again.exit_code == 1 and "not empty" in again.output


def test_report_to_tensorboard_writes_event_files(app, data, tmp_path) -> None:
    pytest.importorskip("tensorboard")
    from polca.trainer.tiny import build_tiny_model

    tiny = str(build_tiny_model(tmp_path / "tiny"))
    out = tmp_path / "sft"
    result = _invoke(app, "train", "sft", "--base-model", tiny, "--data", data, "--out", str(out),
                     "--max-steps", "2", "--batch-size", "1", "--report-to", "tensorboard")
    assert result.exit_code == 0, result.output
    events = list(out.glob("runs/*/events.out.tfevents.*"))
    assert events and all(e.stat().st_size > 0 for e in events)
    assert json.loads((out / "polca_train.json").read_text())["report_to"] == "tensorboard"


class Hostile:
    """Unpickling this writes ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('pwned')",))


def test_rl_drops_pickled_inputs_unless_allowed_and_never_runs_a_hostile_one(app, tmp_path) -> None:
    pytest.importorskip("trl")
    import base64
    import pickle

    from polca.trainer.tiny import build_tiny_model

    marker = tmp_path / "pwned"
    hostile = base64.b64encode(pickle.dumps(((Hostile(str(marker)),), {}))).decode()
    data = _rows_file(tmp_path, 1, {"qualname": "f", "inputs": [{"args": [1]}], "pickled_inputs": [hostile]})
    tiny = str(build_tiny_model(tmp_path / "tiny"))
    result = _invoke(app, "train", "rl", "--base-model", tiny, "--data", data, "--out", str(tmp_path / "rl"),
                     "--algo", "grpo", "--max-steps", "1", "--batch-size", "2", "--num-generations", "2",
                     "--max-completion-length", "4")
    assert result.exit_code == 0, result.output
    assert "dropped 1 pickled inputs" in result.output
    assert not marker.exists()
    saved = json.loads((tmp_path / "rl" / "polca_train.json").read_text())
    assert saved["allow_pickle"] is False


def test_tiny_writes_a_model_that_loads(app, tmp_path) -> None:
    pytest.importorskip("transformers")
    from transformers import AutoModelForCausalLM

    result = _invoke(app, "train", "tiny", str(tmp_path / "tiny"), "--hidden", "32")
    assert result.exit_code == 0, result.output
    assert AutoModelForCausalLM.from_pretrained(tmp_path / "tiny").config.hidden_size == 32


_PROBLEM = (
    "import torch\n\nclass Model(torch.nn.Module):\n    def forward(self, a, b):\n        return a + b\n\n"
    "def get_inputs():\n    return [torch.randn(8), torch.randn(8)]\n\ndef get_init_inputs():\n    return []\n"
)


def _kernel_data(tmp_path, recorded_on: str) -> str:
    problem = tmp_path / "1_add.py"
    problem.write_text(_PROBLEM)
    row = ProblemRow(
        problem_id="kernelbench:1_add", domain="kernel", split="train", prompt="Write ModelNew.", task="t",
        objective="runtime", code=_PROBLEM,
        check={"problem_path": str(problem), "level": None, "device": recorded_on, "rules": "strict"},
    )
    path = tmp_path / "kernels.jsonl"
    write_jsonl([row], path)
    return str(path)


def test_rl_on_kernels_recorded_on_a_gpu_fails_before_the_model_loads_without_one(app, tmp_path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    data = _kernel_data(tmp_path, recorded_on="cuda")
    result = _invoke(app, "train", "rl", "--base-model", "no-such-model", "--data", data, "--out", str(tmp_path / "o"),
                     "--max-steps", "1", "--batch-size", "2", "--num-generations", "2")
    assert result.exit_code == 1
    assert "no usable CUDA GPU" in result.output and "--device cpu" in " ".join(result.output.split())


def test_rl_device_flag_moves_kernel_rewards_to_the_cpu(app, tmp_path) -> None:
    pytest.importorskip("trl")
    from polca.trainer.tiny import build_tiny_model

    tiny = str(build_tiny_model(tmp_path / "tiny"))
    data = _kernel_data(tmp_path, recorded_on="cuda:0")
    result = _invoke(app, "train", "rl", "--base-model", tiny, "--data", data, "--algo", "grpo", "--device", "cpu",
                     "--out", str(tmp_path / "rl"), "--max-steps", "1", "--batch-size", "2",
                     "--num-generations", "2", "--max-completion-length", "4")
    assert result.exit_code == 0, result.output
    assert "trained 1 steps" in result.output


@pytest.mark.parametrize(("device", "message"), [("tpu", "must be 'cpu', 'cuda', 'cuda:N'"),
                                                 ("cpu", "applies to kernel rewards only")])
def test_rl_rejects_a_device_it_cannot_use_before_the_model_loads(app, data, tmp_path, device, message) -> None:
    result = _invoke(app, "train", "rl", "--base-model", "no-such-model", "--data", data, "--device", device,
                     "--out", str(tmp_path / "o"), "--max-steps", "1", "--batch-size", "2", "--num-generations", "2")
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
