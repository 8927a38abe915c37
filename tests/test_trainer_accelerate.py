"""Two processes through ``accelerate launch`` on CPU (gloo): PIPO under DDP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("accelerate")

JOB = Path(__file__).resolve().parent / "fixtures" / "ddp_rl_job.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_cpu_processes_train_pipo_in_step(tmp_path) -> None:
    from polca.trainer.tiny import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny")
    out = tmp_path / "out"
    # `--cpu` would take accelerate's single-process launcher; `--multi_gpu` is its torchrun
    # launcher, and on a machine without CUDA (use_cpu=True) the processes join over gloo.
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_ip", "127.0.0.1", "--main_process_port", str(_free_port()),
        str(JOB), str(model), str(out),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
           "CUDA_VISIBLE_DEVICES": ""}  # CPU processes, gloo, even on a GPU machine
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((out / f"rank-{rank}.json").read_text()) for rank in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2] and {r["backend"] for r in ranks} == {"gloo"}
    assert all(r["steps"] == 4 and r["prompts_per_step"] == 2 for r in ranks)
    first, second = ranks
    assert first["before"] == second["before"] and first["after"] == second["after"]  # gradients were reduced
    assert first["after"] != first["before"]
    assert first["window"] == second["window"]  # both saw the same global rewards
    assert len(first["pi_losses"]) == len(second["pi_losses"]) >= 1
    assert (out / "checkpoint-4" / "pipo_batch-0.pt").is_file() and (out / "checkpoint-4" / "pipo_batch-1.pt").is_file()
