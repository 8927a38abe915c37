"""``polca train export``: problems, winners, dedup by content hash, split by problem."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from polca.cli import train as train_cli
from polca.store import CandidateRecord, EvaluationRecord, Store
from polca.trainer.export import (
    ProblemRow,
    export_rows,
    read_jsonl,
    split_of,
    write_jsonl,
)
from polca.trainer.train import rl_records, sft_records

SEED = "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"
FAST = "def total(xs):\n    return sum(xs)\n"
WRONG = "def total(xs):\n    return 0\n"
CHECK = {"qualname": "total", "inputs": [{"args": [[1, 2, 3]]}]}


def _problem(pid: str, code: str | None = None) -> dict:
    problem = {"id": pid, "task": f"Speed up {pid}.", "check": CHECK}
    if code is not None:
        problem["code"] = code
    return {"problem": problem}


def _run(store: Store, prefix: str, pid: str, scored: list[tuple[str, str, str, float, str]]) -> str:
    """One program run: ``(candidate id suffix, code, content hash, score, status)`` rows."""
    run_id = store.create_run("program", _problem(pid))
    candidates, evaluations = [], []
    for suffix, code, content_hash, score, status in scored:
        cid = f"{prefix}{suffix}"
        origin = "seed" if suffix == "seed" else "llm"
        if cid not in {c.id for c in candidates}:
            candidates.append(CandidateRecord(cid, run_id, {"code": code}, content_hash, origin=origin))
        evaluations.append(EvaluationRecord(run_id, cid, ["b0"], score, status=status))
    store.write_iteration(run_id, iteration=0, candidates=candidates, evaluations=evaluations)
    return run_id


@pytest.fixture
def filled(store: Store) -> Store:
    _run(store, "a", "sum", [
        ("seed", SEED, "h-seed", 1.0, "ok"),
        ("fast", FAST, "h-fast", 2.0, "ok"),
        ("wrong", WRONG, "h-wrong", 0.0, "error"),
    ])
    _run(store, "b", "sum", [
        ("seed", SEED, "h-seed", 1.0, "ok"),
        ("fast", FAST, "h-fast", 3.0, "ok"),
        ("flaky", FAST + "\n", "h-flaky", 5.0, "ok"),
        ("flaky", FAST + "\n", "h-flaky", 0.0, "timeout"),
    ])
    store.create_run("kernel", {"problem": {"id": "k"}})
    store.create_run("program", {"budget": 3})
    return store


def test_export_merges_runs_of_a_problem_and_dedups_by_content_hash(filled) -> None:
    (row,) = export_rows(filled, "program", test_fraction=0.0)
    hashes = [c.content_hash for c in row.candidates]
    assert sorted(hashes) == ["h-fast", "h-flaky", "h-seed", "h-wrong"]
    fast = next(c for c in row.candidates if c.content_hash == "h-fast")
    assert fast.mean_score == 3.0 and fast.evaluations == 2


def test_winners_are_verified_non_seed_candidates_above_min_score(filled) -> None:
    (row,) = export_rows(filled, "program", test_fraction=0.0, min_score=1.1)
    assert [w.content_hash for w in row.winners] == ["h-fast"]


def test_prompt_holds_task_original_code_and_objective(filled) -> None:
    (row,) = export_rows(filled, "program", test_fraction=0.0)
    assert row.code == SEED
    assert "Speed up sum." in row.prompt and SEED.strip() in row.prompt and "runtime" in row.prompt
    assert row.check == CHECK


def test_original_code_in_config_wins_over_the_seed(store: Store) -> None:
    run_id = store.create_run("program", _problem("p", code="ORIGINAL = 1\n"))
    seed = CandidateRecord("s1", run_id, {"code": SEED}, "h", origin="seed")
    store.write_iteration(
        run_id, iteration=0, candidates=[seed], evaluations=[EvaluationRecord(run_id, "s1", ["b"], 1.0)]
    )
    (row,) = export_rows(store, "program")
    assert row.code == "ORIGINAL = 1\n"


def test_only_the_requested_domain_is_exported(filled) -> None:
    assert [row.problem_id for row in export_rows(filled, "kernel")] == ["k"]


def test_split_is_by_problem_stable_and_roughly_the_asked_share() -> None:
    ids = [f"problem-{i}" for i in range(2000)]
    splits = [split_of(pid, 0.25) for pid in ids]
    assert splits == [split_of(pid, 0.25) for pid in ids]
    assert 0.2 < splits.count("test") / len(ids) < 0.3
    assert all(split_of(pid, 0.0) == "train" for pid in ids)


def test_test_problems_never_reach_training_records(store: Store) -> None:
    for i in range(20):
        _run(store, f"r{i}-", f"p{i}", [("seed", SEED, "h-seed", 1.0, "ok"), ("w", FAST, "h-w", 2.0, "ok")])
    rows = export_rows(store, "program", test_fraction=0.3)
    test_prompts = {row.prompt for row in rows if row.split == "test"}
    assert test_prompts and len(test_prompts) < len(rows)
    assert not test_prompts & {r["prompt"] for r in sft_records(rows)}
    assert not test_prompts & {r["prompt"] for r in rl_records(rows)}
    assert all(json.loads(r["check"]) == CHECK for r in rl_records(rows))


def test_jsonl_round_trips(filled, tmp_path) -> None:
    rows = export_rows(filled, "program")
    path = tmp_path / "data.jsonl"
    assert write_jsonl(rows, path) == 1
    assert read_jsonl(path) == rows


def test_reading_a_foreign_file_names_the_line(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "x"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:1 .*polca train export"):
        read_jsonl(path)


@pytest.mark.parametrize("domain, fraction, match", [("prompt", 0.2, "domain"), ("program", 1.0, "test_fraction")])
def test_bad_options_are_rejected(store, domain, fraction, match) -> None:
    with pytest.raises(ValueError, match=match):
        export_rows(store, domain, test_fraction=fraction)


def test_cli_export_writes_rows(filled, store_url, tmp_path) -> None:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    train_cli.register(root)
    out = tmp_path / "data.jsonl"
    result = CliRunner().invoke(root, ["train", "export", "--db", store_url, "--out", str(out), "--test-fraction", "0"])
    assert result.exit_code == 0, result.output
    assert "1 problems (1 train, 0 test), 1 train winners" in result.output
    (row,) = read_jsonl(out)
    assert isinstance(row, ProblemRow) and row.problem_id == "sum"


def test_runs_of_polca_optimize_export_as_program_problems_without_a_check(store: Store) -> None:
    run_id = store.create_run("polca", {"budget": 3}, name="optimize:total:/src/slow.py")
    candidates = [
        CandidateRecord("o-seed", run_id, {"code": SEED}, "h-seed", origin="seed"),
        CandidateRecord("o-fast", run_id, {"code": FAST}, "h-fast", origin="skill:sum"),
    ]
    evaluations = [EvaluationRecord(run_id, "o-seed", ["b"], 1.0), EvaluationRecord(run_id, "o-fast", ["b"], 2.5)]
    store.write_iteration(run_id, iteration=0, candidates=candidates, evaluations=evaluations)
    (row,) = export_rows(store, "program", test_fraction=0.0)
    assert row.problem_id == "total:/src/slow.py" and row.check == {}
    assert row.code == SEED and "`total`" in row.task
    assert [w.content_hash for w in row.winners] == ["h-fast"]
    assert export_rows(store, "kernel") == []


def test_a_polca_optimize_run_exports_a_check_that_rewards_re_verify(store: Store, tmp_path) -> None:
    """The loop optimize -> export -> RL: the stored oracle inputs let rewards re-check code."""
    import shutil
    from pathlib import Path

    from polca.config import SearchConfig
    from polca.optimizer.domains.program import ProgramOptions, SkillsProposer, optimize_file
    from polca.trainer.rewards import ProgramReward, RewardConfig

    path = tmp_path / "dedup_ids.py"
    shutil.copyfile(Path(__file__).resolve().parents[1] / "examples" / "dedup_ids.py", path)
    options = ProgramOptions(budget_evals=2, size=300, final_rounds=8, final_min_sample_s=0.02,
                             search=SearchConfig(rounds=3, min_sample_s=0.005, warmup=0))
    (target,) = optimize_file(path, options, proposer=SkillsProposer(), store=store).targets
    assert target.status == "improved"

    (row,) = export_rows(store, "program", test_fraction=0.0)
    assert row.check["qualname"] == "unique_ids" and len(row.check["inputs"]) == 9
    assert "pickled_inputs" not in row.check and row.dropped_inputs == 0  # generated inputs are plain data
    assert row.code == path.read_text() and "`unique_ids`" in row.task
    reward = ProgramReward(RewardConfig())
    check = json.dumps(row.check)
    assert reward.score(f"```python\n{row.winners[0].code}\n```", row.code, check) > 1.0
    wrong = row.code.replace("out.append(x)", "out.insert(0, x)")
    assert reward.score(f"```python\n{wrong}\n```", row.code, check) == 0.0


class Hostile:
    """Unpickling this writes ``marker``: someone else's code running on load."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('pwned')",))


def _b64_pickle(value) -> str:
    import base64
    import pickle

    return base64.b64encode(pickle.dumps(value)).decode("ascii")


def _pickled_run(store: Store, marker) -> None:
    check = {"qualname": "total", "inputs": [{"args": [[1, 2]]}],
             "pickled_inputs": [_b64_pickle((([3, 4],), {})), _b64_pickle(((Hostile(str(marker)),), {}))]}
    run_id = store.create_run("program", {"problem": {"id": "p", "task": "Speed up.", "check": check}})
    seed = CandidateRecord("s", run_id, {"code": SEED}, "h", origin="seed")
    store.write_iteration(run_id, iteration=0, candidates=[seed], evaluations=[EvaluationRecord(run_id, "s", ["b"], 1.0)])


def test_export_keeps_plain_pickles_as_safe_data_and_drops_the_rest_with_a_count(store, tmp_path) -> None:
    marker = tmp_path / "pwned"
    _pickled_run(store, marker)
    (row,) = export_rows(store, "program", test_fraction=0.0)
    assert row.check["inputs"] == [{"args": [[1, 2]]}, {"args": [[3, 4]], "kwargs": {}}]
    assert "pickled_inputs" not in row.check and row.dropped_inputs == 1
    assert not marker.exists()


def test_export_keeps_pickled_inputs_only_when_allowed(store, tmp_path, caplog) -> None:
    marker = tmp_path / "pwned"
    _pickled_run(store, marker)
    (row,) = export_rows(store, "program", test_fraction=0.0, allow_pickle=True)
    assert len(row.check["pickled_inputs"]) == 1 and row.dropped_inputs == 0
    assert "allow-pickle" in caplog.text and not marker.exists()


def test_cli_export_counts_dropped_pickles(store, store_url, tmp_path) -> None:
    _pickled_run(store, tmp_path / "pwned")
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    train_cli.register(root)
    out = tmp_path / "data.jsonl"
    args = ["train", "export", "--db", store_url, "--out", str(out), "--test-fraction", "0"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 0, result.output
    assert "dropped 1 inputs of 1 problems that only a pickle can carry" in result.output
    result = CliRunner().invoke(root, [*args, "--allow-pickle"])
    assert "kept 1 pickled inputs (--allow-pickle)" in result.output


def test_loading_for_training_drops_pickles_unless_allowed_and_rejects_unknown_tags(tmp_path) -> None:
    from polca.trainer.export import loadable_rows

    pickled = ProblemRow("p", "program", "train", "x", "t", "runtime", SEED,
                         {"qualname": "total", "inputs": [], "pickled_inputs": ["gASV"]})
    (row,), dropped = loadable_rows([pickled], allow_pickle=False)
    assert dropped == 1 and "pickled_inputs" not in row.check and row.dropped_inputs == 1
    (row,), dropped = loadable_rows([pickled], allow_pickle=True)
    assert dropped == 0 and row.check["pickled_inputs"] == ["gASV"]
    forged = ProblemRow("q", "program", "train", "x", "t", "runtime", SEED,
                        {"qualname": "total", "inputs": [{"args": [{"$t": "pickle", "v": "gASV"}]}]})
    with pytest.raises(ValueError, match=r"problem q: inputs\[0\].args\[0\]: unknown tag 'pickle'"):
        loadable_rows([forged], allow_pickle=True)
