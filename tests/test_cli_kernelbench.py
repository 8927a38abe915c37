"""``polca kernelbench run|eval`` end to end: tables, JSON with fast_p, the store, bad input.

Guard-failing solutions go through the real evaluator (the guards answer at once). A
correct-but-slow solution needs a C++ build (about a minute here), so the default tests
give the command a ready ``KernelResult`` for it and a ``slow`` test builds it for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from polca.cli import app
from polca.kernels_bench import KernelResult, TimingStats
from polca.store import Store

runner = CliRunner()
KERNELS = Path(__file__).parent / "kernels"
TORCH_RELU = """
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.relu(x)
"""
HONEST_CPP = (KERNELS / "honest" / "relu_cpp.py").read_text()
QUICK = ["--device", "cpu", "--trials", "3", "--no-compile-baseline", "--timeout", "300"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KERNELBENCH_DIR", raising=False)
    monkeypatch.delenv("POLCA_MODEL", raising=False)


def _solutions(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "solutions"
    folder.mkdir(exist_ok=True)
    for name, source in files.items():
        (folder / f"{name}.py").write_text(source)
    return folder


def _slow_but_correct(problem, source, config) -> KernelResult:
    return KernelResult(problem_key=problem.key, compiled=True, correct=True, feedback="all checks passed",
                        candidate_ms=TimingStats.from_samples([4.0, 4.0, 4.0]),
                        reference_ms=TimingStats.from_samples([2.0, 2.0, 2.0]),
                        compiled_reference_ms=TimingStats.from_samples([1.0, 1.0, 1.0]))


# ---------------------------------------------------------------- eval


def test_eval_scores_guard_failing_solutions_zero_with_fast_p_in_json(tmp_path):
    folder = _solutions(tmp_path, **{"01_relu": TORCH_RELU, "03_row_sum": "class ModelNew: pass\n"})
    result = runner.invoke(app, ["kernelbench", "eval", str(folder), *QUICK, "--json",
                                 "--json-out", str(tmp_path / "report.json")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["problem_key"] for r in data["results"]] == ["1_relu", "3_row_sum"]
    assert all(r["failure"] == "guard" for r in data["results"])
    assert "torch.relu" in data["results"][0]["feedback"]
    summary = data["summary"]
    assert summary["tasks"] == 2 and summary["correct"] == 0
    assert summary["fast_p"]["eager"] == {"fast_0": 0.0, "fast_1": 0.0, "fast_1.5": 0.0, "fast_2": 0.0}
    assert summary["geomean_speedup"] == {"eager": 1.0, "compile": 1.0}
    assert json.loads((tmp_path / "report.json").read_text())["summary"] == summary


def test_eval_of_a_correct_but_slow_solution_counts_in_fast_0_only(tmp_path, monkeypatch):
    monkeypatch.setattr("polca.kernels_bench.evaluate", _slow_but_correct)
    folder = _solutions(tmp_path, **{"01_relu": HONEST_CPP, "02_scaled_add": TORCH_RELU})
    result = runner.invoke(app, ["kernelbench", "eval", str(folder), *QUICK, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["fast_p"]["eager"] == {"fast_0": 1.0, "fast_1": 0.0, "fast_1.5": 0.0, "fast_2": 0.0}
    assert summary["geomean_speedup"]["eager"] == pytest.approx(0.5)
    assert summary["geomean_speedup"]["compile"] == pytest.approx(0.25)


def test_eval_prints_a_table_per_problem_and_the_fast_p_table(tmp_path, monkeypatch):
    monkeypatch.setattr("polca.kernels_bench.evaluate", _slow_but_correct)
    folder = _solutions(tmp_path, **{"01_relu": HONEST_CPP})
    result = runner.invoke(app, ["kernelbench", "eval", str(folder), *QUICK, "--problems", "1-2"])
    assert result.exit_code == 0, result.output
    for text in ("1_relu", "correct", "0.50x", "fast_1.5", "geomean", "1/2 correct", "no solution for 2_scaled_add"):
        assert text in result.output


def test_an_unknown_device_is_refused_with_the_choices(tmp_path):
    folder = _solutions(tmp_path, **{"01_relu": TORCH_RELU})
    result = runner.invoke(app, ["kernelbench", "eval", str(folder), "--device", "tpu"])
    assert result.exit_code == 2
    assert "'tpu' is not one of 'cuda', 'cpu'" in " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize("setup, args, message", [
    (lambda tmp: tmp / "absent", [], "does not exist"),
    (lambda tmp: _solutions(tmp, notes="x = 1\n"), [], "holds no solution named NN_name.py"),
    (lambda tmp: _solutions(tmp, **{"01_a": TORCH_RELU, "1_b": TORCH_RELU}), [], "keep one per id"),
    (lambda tmp: _solutions(tmp, **{"01_relu": TORCH_RELU}), ["--problems", "1-x"], "is neither a number nor a range"),
    (lambda tmp: _solutions(tmp, **{"01_relu": TORCH_RELU}), ["--level", "1"], "needs a KernelBench checkout"),
    (lambda tmp: _solutions(tmp, **{"01_relu": TORCH_RELU}), ["--trials", "0"], "trials >= 1"),
])
def test_eval_bad_input_is_one_line_with_the_fix(tmp_path, setup, args, message):
    folder = setup(tmp_path)
    result = runner.invoke(app, ["kernelbench", "eval", str(folder), *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_cuda_without_a_gpu_is_one_clear_line(tmp_path):
    folder = _solutions(tmp_path, **{"01_relu": TORCH_RELU})
    result = runner.invoke(app, ["kernelbench", "eval", str(folder), "--device", "cuda"])
    assert result.exit_code == 1
    assert "no usable CUDA GPU" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_eval_builds_and_times_a_real_cpp_solution(tmp_path):
    folder = _solutions(tmp_path, **{"01_relu": HONEST_CPP})
    result = runner.invoke(app, ["kernelbench", "eval", str(folder), *QUICK, "--json"])
    assert result.exit_code == 0, result.output
    (solution,) = json.loads(result.stdout)["results"]
    assert solution["correct"] and solution["speedup_vs_eager"] > 0, solution["feedback"]


# ---------------------------------------------------------------- run


def test_run_without_a_model_says_so_in_one_line():
    result = runner.invoke(app, ["kernelbench", "run", "--problems", "1"])
    assert result.exit_code == 1
    assert "needs --model" in result.output and "kernelbench eval" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_gpus_need_the_cuda_device():
    result = runner.invoke(app, ["kernelbench", "run", "--problems", "1", "--model", "openai/x",
                                 "--device", "cpu", "--gpus", "0,1"])
    assert result.exit_code == 1 and "--gpus 0,1 needs --device cuda" in result.output


def _kernel_answers(source: str):
    def answer(body):
        prompt = body["messages"][-1]["content"]
        if "<summary>" in prompt:
            return "<reasoning>torch ops are banned</reasoning><summary>Write the loop in C++.</summary>"
        return f'<reasoning>a first kernel</reasoning><param name="code">{source}</param>'

    return answer


def test_run_searches_with_a_scripted_model_and_records_the_run(tmp_path, scripted_llm):
    server = scripted_llm(_kernel_answers(TORCH_RELU))
    result = runner.invoke(app, ["kernelbench", "run", "--problems", "1", "--model", "openai/scripted",
                                 "--api-base", server.api_base, "--budget-evals", "6", *QUICK, "--json",
                                 "--out", str(tmp_path / "best")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (solution,) = data["results"]
    assert solution["problem_key"] == "1_relu" and solution["failure"] == "guard"
    assert data["summary"]["fast_p"]["eager"]["fast_0"] == 0.0
    run = data["runs"]["1_relu"]
    assert 0 < run["evaluations"] <= 6 and run["proposals"] >= 1
    prompts = [r["messages"][-1]["content"] for r in server.chat_requests]
    assert any("torch.relu(x)" in p and "ModelNew" in p and "cpp_sources" in p for p in prompts)
    assert not (tmp_path / "best").exists() or not any((tmp_path / "best").iterdir())
    with Store.open("sqlite:///.polca/polca.db") as store:
        assert store.run_stats([run["run_id"]])[run["run_id"]].llm_calls >= 1


@pytest.mark.slow
def test_run_keeps_a_correct_cpp_kernel_from_the_model(tmp_path, scripted_llm):
    server = scripted_llm(_kernel_answers(HONEST_CPP))
    result = runner.invoke(app, ["kernelbench", "run", "--problems", "1", "--model", "openai/scripted",
                                 "--api-base", server.api_base, "--budget-evals", "6", *QUICK, "--json",
                                 "--out", str(tmp_path / "best")])
    assert result.exit_code == 0, result.output
    (solution,) = json.loads(result.stdout)["results"]
    assert solution["correct"], solution["feedback"]
    assert (tmp_path / "best" / "01_relu.py").read_text() == HONEST_CPP


def test_the_results_table_says_why_a_correct_kernel_is_flagged():
    import io

    from rich.console import Console

    from polca.cli.kernelbench import render_results

    note = "speedup above 10x: not counted in fast_p until audited"
    flagged = KernelResult(problem_key="1_relu", compiled=True, correct=True, flags=(note,),
                           candidate_ms=TimingStats.from_samples([0.5, 0.5, 0.5]),
                           reference_ms=TimingStats.from_samples([6.0, 6.0, 6.0]))
    out = Console(width=200, file=io.StringIO())
    out.print(render_results([flagged]))
    assert "correct, flagged" in out.file.getvalue() and f"1_relu: {note}" in out.file.getvalue()


def test_a_kernelbench_run_is_a_kernel_run_that_train_export_turns_into_rows(tmp_path, scripted_llm):
    server = scripted_llm(_kernel_answers(TORCH_RELU))
    result = runner.invoke(app, ["kernelbench", "run", "--problems", "1", "--model", "openai/scripted",
                                 "--api-base", server.api_base, "--budget-evals", "4", *QUICK, "--json"])
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.stdout)["runs"]["1_relu"]["run_id"]
    with Store.open("sqlite:///.polca/polca.db") as store:
        run = store.get_run(run_id)
    assert (run.kind, run.name) == ("kernel", "kernelbench:1_relu")
    assert run.state["problem"]["check"]["device"] == "cpu" and run.state["final_check"]["failure"] == "guard"
    exported = runner.invoke(app, ["train", "export", "--domain", "kernel", "--out", str(tmp_path / "k.jsonl"),
                                   "--test-fraction", "0"])
    assert exported.exit_code == 0, exported.output
    (row,) = [json.loads(line) for line in (tmp_path / "k.jsonl").read_text().splitlines()]
    assert row["problem_id"] == "1_relu" and row["domain"] == "kernel"
    assert Path(row["check"]["problem_path"]).name == "01_relu.py" and "class Model" in row["code"]
    assert row["winners"] == [] and row["candidates"], "a guard-failing kernel is a candidate, never a winner"


# ---------------------------------------------------------------- run -> export -> reward


_HACKS = KERNELS / "hacks"


def _exported_kernel_row(tmp_path, scripted_llm) -> dict:
    """A store written by `polca kernelbench run` on problem 1, exported as one RL row."""
    server = scripted_llm(_kernel_answers(TORCH_RELU))
    result = runner.invoke(app, ["kernelbench", "run", "--problems", "1", "--model", "openai/scripted",
                                 "--api-base", server.api_base, "--budget-evals", "4", *QUICK, "--json"])
    assert result.exit_code == 0, result.output
    exported = runner.invoke(app, ["train", "export", "--domain", "kernel", "--out", str(tmp_path / "k.jsonl"),
                                   "--test-fraction", "0"])
    assert exported.exit_code == 0, exported.output
    (row,) = [json.loads(line) for line in (tmp_path / "k.jsonl").read_text().splitlines()]
    return row


def _fenced(source: str) -> str:
    return f"Here is the kernel:\n```python\n{source}\n```"


def test_kernel_rewards_from_a_kernelbench_run_are_zero_for_hacks_the_guards_reject(tmp_path, scripted_llm):
    from polca.trainer.rewards import KernelReward, RewardConfig

    row = _exported_kernel_row(tmp_path, scripted_llm)
    assert row["check"]["device"] == "cpu" and row["check"]["rules"] == "strict"
    hacks = ["torch_fallback", "operator_fallback", "method_fallback", "try_except_fallback", "timer_patch",
             "persisting_l2", "result_reuse", "batch_cap"]
    reward = KernelReward(RewardConfig(timeout_s=60.0, max_workers=2))
    assert reward.device_for(row["check"]) == "cpu"  # the run's own device
    scores = reward(completions=[_fenced((_HACKS / f"{name}.py").read_text()) for name in hacks],
                    check=[json.dumps(row["check"])] * len(hacks))
    assert scores == [0.0] * len(hacks)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_kernel_rewards_on_cuda_without_a_gpu_say_how_to_fix_it():
    from polca.trainer.rewards import KernelReward, RewardConfig

    with pytest.raises(ValueError, match="device='cpu'"):
        KernelReward(RewardConfig(device="cuda")).device_for({"device": "cpu"})
    with pytest.raises(ValueError, match="no usable CUDA GPU"):
        KernelReward().device_for({"device": "cuda"})


@pytest.mark.slow
def test_an_honest_kernel_from_a_kernelbench_run_gets_a_positive_reward_built_before_its_timeout(
        tmp_path, scripted_llm, monkeypatch):
    from polca.trainer.rewards import KernelReward, RewardConfig

    row = _exported_kernel_row(tmp_path, scripted_llm)
    monkeypatch.setenv("POLCA_KERNELS_CACHE_DIR", str(tmp_path / "cold-cache"))  # a cold build, ~1 min here
    # One thread for eager PyTorch too: on a loaded machine its thread pool makes it so slow that an
    # honest loop passes 10x, which is flagged for audit, and a flagged result earns no reward.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    # The evaluation's own limit is shorter than the build: the build runs first, under its own limit.
    reward = KernelReward(RewardConfig(timeout_s=40.0, build_timeout_s=600.0, kernel_trials=5))
    honest, hack = _fenced(HONEST_CPP), _fenced((_HACKS / "operator_fallback.py").read_text())
    first, zero = reward(completions=[honest, hack], check=[json.dumps(row["check"])] * 2)
    assert first > 0.0 and zero == 0.0
    assert reward(completions=[honest], check=[json.dumps(row["check"])])[0] > 0.0  # re-verified, from the cache


# ---------------------------------------------------------------- rule sets and --shrink


def test_reports_name_the_rule_set_and_an_unknown_one_lists_the_choices(tmp_path):
    folder = _solutions(tmp_path, **{"01_relu": TORCH_RELU})
    for rules in ("strict", "kernelbench"):
        result = runner.invoke(app, ["kernelbench", "eval", str(folder), *QUICK, "--json", "--rules", rules])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["summary"]["rules"] == [rules] and data["results"][0]["rules"] == rules
        assert data["results"][0]["failure"] == "guard"  # no custom kernel: both rule sets reject that
    table = runner.invoke(app, ["kernelbench", "eval", str(folder), *QUICK, "--rules", "kernelbench"])
    assert "rules: kernelbench" in table.output
    bad = runner.invoke(app, ["kernelbench", "eval", str(folder), *QUICK, "--rules", "lenient"])
    assert bad.exit_code == 2 and "'lenient' is not one of" in bad.output  # a usage error listing the choices
    assert "'strict'" in bad.output and "'kernelbench'" in bad.output


def test_shrunk_runs_label_their_timings_as_not_kernel_figures(tmp_path):
    from tests.test_kernels_shrink import _BIG_RELU

    problems = tmp_path / "problems"
    problems.mkdir()
    (problems / "19_ReLU.py").write_text(_BIG_RELU)
    folder = _solutions(tmp_path, **{"19_relu": TORCH_RELU})
    flags = ["kernelbench", "eval", str(folder), "--kernelbench-dir", str(problems), *QUICK, "--shrink"]
    data = json.loads(runner.invoke(app, [*flags, "--json"]).stdout)
    assert data["summary"]["shrunk"] and "not kernel figures" in data["summary"]["timing_note"]
    assert data["results"][0]["shrunk"] and "not kernel figures" in data["results"][0]["timing_note"]
    assert "not kernel figures" in runner.invoke(app, flags).output


def test_the_table_marks_shrunk_timings_and_uses_the_rule_sets_statistic():
    import io

    from rich.console import Console

    from polca.cli.kernelbench import render_results

    timed = KernelResult(problem_key="1_relu", compiled=True, correct=True, rules="kernelbench", shrunk=True,
                         candidate_ms=TimingStats.from_samples([1.0, 1.0, 4.0]),
                         reference_ms=TimingStats.from_samples([2.0, 2.0, 2.0]))
    out = Console(width=200, file=io.StringIO())
    out.print(render_results([timed]))
    text = out.file.getvalue()
    assert "1_relu*" in text and "2*" in text and "not kernel figures" in text
    assert timed.speedup("eager") == pytest.approx(1.0)  # mean 2.0 / mean 2.0, not median 2.0 / 1.0
