"""Every model path against a real model: SmolLM2-135M behind llama.cpp (``real_model``).

The model answers badly (wrong code in fences, prose, the prompt echoed, cut off at the
token cap); each test asserts structure and safety, never quality: the command completes,
every answer is a candidate or a counted, reasoned failure, nothing wrong is offered
(an improved file passes a differential check on fresh inputs run here), tokens are in
the store, and polca's own requests always carry ``max_tokens``. Commands go through the
installed ``polca`` console script from a folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from polca.config import LLMConfig
from polca.llm import LLMClient
from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.proposers import FAILURE_KINDS
from polca.optimizer.summarizer import LLMSummarizer, SummaryRequest, SummarySample
from polca.skills.pairs import DEFAULT_CORPUS
from tests.fixtures.real_model import MAX_TOKENS, RealModel

# a loaded shared CPU can slow the model several-fold; the suite-wide 300 s would make that a failure
pytestmark = [pytest.mark.real_model, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
POLCA = Path(sys.executable).with_name("polca")
# what a failed proposal's reason may start with: the LLM proposer's kinds, the chain's
# note for a model set aside or unreachable, the engine's contract check
KNOWN_FAILURES = {*FAILURE_KINDS, "model unavailable", "contract violation"}

# Fresh inputs for the held-out differential check, from a seed polca never uses.
FRESH_INPUTS = {
    "pack": "[[(rng.randint(-2**31, 2**31 - 1), rng.randint(-2**15, 2**15 - 1)) for _ in range(n)] for n in (0, 1, 7, 300)]",
    "unique_ids": "[[rng.randint(0, k) for _ in range(n)] for n, k in ((0, 1), (1, 1), (50, 5), (400, 90))]",
}
DIFFERENTIAL = """
import importlib.machinery, importlib.util, json, random, sys
def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)  # FILE.orig has no .py suffix
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module
before, after = load("before", sys.argv[1]), load("after", sys.argv[2])
rng = random.Random(20240611)
def outcome(fn, arg):
    try:
        return ("ok", repr(fn(arg)))
    except Exception as exc:
        return ("raises", type(exc).__name__)
mismatches = [i for i, arg in enumerate({inputs})
              if outcome(getattr(before, "{name}"), list(arg)) != outcome(getattr(after, "{name}"), list(arg))]
print(json.dumps(mismatches))
"""


def _record(name: str, **stats) -> None:
    """Keep a test's counts for benchmarks/real_model/run.py (when it asks, through
    POLCA_REAL_MODEL_RESULTS); a plain test run writes nothing."""
    folder = os.environ.get("POLCA_REAL_MODEL_RESULTS")
    if folder:
        Path(folder, f"{name}.json").write_text(json.dumps(stats, indent=2, default=str))


def _latencies(calls: list[dict]) -> list[float]:
    return [c["latency_s"] for c in calls if not c["cached"]]


def _polca(model: RealModel, home: Path, *args: str, timeout_s: float = 600) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run([str(POLCA), *args], cwd=home, env=model.env(home), capture_output=True,
                            text=True, timeout=timeout_s)
    print(f"polca {args[0]}: {time.monotonic() - started:.1f} s, exit {result.returncode}")
    return result


def _rows(db: Path, query: str) -> list[dict]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(query))]


def _check_calls_are_recorded(db: Path, purposes: set[str]) -> list[dict]:
    calls = [c for c in _rows(db, "SELECT * FROM llm_calls") if c["purpose"] in purposes]
    assert calls, f"no {sorted(purposes)} call was recorded in the store"
    for call in calls:
        if call["error"] is None:
            assert call["prompt_tokens"] > 0 and call["completion_tokens"] > 0, call
            assert call["completion_tokens"] <= MAX_TOKENS, call
        else:
            assert call["error"].strip(), call
    return calls


def _check_max_tokens_sent(model: RealModel, since: int) -> None:
    sent = model.requests()[since:]
    assert sent and all(r["max_tokens"] == MAX_TOKENS for r in sent), sent


def _differential(original: Path, optimized: Path, name: str) -> list[int]:
    script = DIFFERENTIAL.format(inputs=FRESH_INPUTS[name], name=name)
    result = subprocess.run([sys.executable, "-c", script, str(original), str(optimized)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _serve_hint(model: RealModel, home: Path) -> list[str]:
    """``polca train serve --dry-run`` on a checkpoint named like the served model: the
    flags it tells the user to pass to ``polca optimize``."""
    checkpoint = home / model.alias
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text("{}")
    result = _polca(model, home, "train", "serve", str(checkpoint), "--port", str(model.port), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"--served-model-name {model.alias}" in result.stdout
    hint = re.search(r"--model (\S+) --api-base (\S+)", result.stderr)
    assert hint, result.stderr
    assert hint.group(1) == f"hosted_vllm/{model.alias}" and hint.group(2) == model.api_base
    return ["--model", hint.group(1), "--api-base", hint.group(2)]


@pytest.mark.parametrize(("example", "function", "served"),
                         [("pack_records.py", "pack", False), ("dedup_ids.py", "unique_ids", True)],
                         ids=["openai-model", "served-policy"])
def test_optimize_with_a_real_model_counts_every_answer_and_offers_nothing_wrong(
        real_model: RealModel, tmp_path: Path, example: str, function: str, served: bool) -> None:
    target = tmp_path / example
    shutil.copyfile(EXAMPLES / example, target)
    flags = _serve_hint(real_model, tmp_path) if served else [
        "--model", f"openai/{real_model.alias}", "--api-base", real_model.api_base]
    db = tmp_path / "polca.db"
    since = len(real_model.requests())
    result = _polca(real_model, tmp_path, "optimize", example, "-f", function, *flags, "--budget-evals", "6",
                    "--db", f"sqlite:///{db}", "--json", "--apply")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    _check_max_tokens_sent(real_model, since)
    calls = _check_calls_are_recorded(db, {"propose", "summarize"})
    [run] = _rows(db, "SELECT state FROM runs")
    failures = json.loads(run["state"]).get("proposal_failures", {})
    assert set(failures) <= KNOWN_FAILURES, failures
    candidates = _rows(db, "SELECT origin, note FROM candidates")
    from_model = [c for c in candidates if c["origin"] != "seed"
                  and not c["note"].startswith("rewritten by executable skills")]
    answered = [c for c in calls if c["purpose"] == "propose" and c["error"] is None]
    unusable = sum(n for kind, n in failures.items() if kind != "model unavailable")
    # every answered proposal became a candidate or a counted failure (2 answers at most each)
    assert len(answered) <= 2 * (unusable + len(from_model)) + 2, (answered, failures, from_model)
    wrong = _differential(target.with_name(example + ".orig"), target, function) if report["improved"] else []
    assert not wrong, f"the offered change differs from the original on fresh inputs {wrong}"
    _record(f"optimize-{'served' if served else 'openai'}", command=f"polca optimize {example} {' '.join(flags[:2])}",
            parsed=len(from_model), unusable=failures, wrong_offered=len(wrong), improved=report["improved"],
            notes=report["notes"], latency_s=_latencies(calls), requests=len(calls))


def test_summarizer_with_a_real_model_keeps_a_summary_or_says_why(real_model: RealModel, tmp_path: Path) -> None:
    client = LLMClient(LLMConfig(model=f"openai/{real_model.alias}", api_base=real_model.api_base,
                                 max_tokens=MAX_TOKENS, timeout_s=90, max_retries=1,
                                 cache_dir=str(tmp_path / "cache")))
    good = Candidate({"code": "def f(xs):\n    return sum(xs)\n"})
    bad = Candidate({"code": "def f(xs):\n    return 0\n"})
    samples = (SummarySample(good, 1.8, Evaluation(1.8, "1.8x faster", instance_id="a"), None),
               SummarySample(bad, 0.0, None, Evaluation(0.0, "wrong result: expected 6, got 0", "failed", "b")))
    started = time.monotonic()
    result = LLMSummarizer(client).summarize(SummaryRequest("Make f faster.", "use builtins", samples))
    elapsed_s = time.monotonic() - started
    assert isinstance(result.summary, str)
    assert result.ok or (result.summary == "use builtins" and result.error)
    assert client.usage.calls >= 1 and client.usage.completion_tokens > 0
    _record("summarizer", command="LLMSummarizer.summarize", parsed=int(result.ok),
            unusable={} if result.ok else {result.error.split(":")[0][:60]: 1}, wrong_offered=0,
            latency_s=[elapsed_s / client.usage.calls], requests=client.usage.calls)


def test_skills_mine_llm_on_two_pairs_writes_only_loadable_skills(real_model: RealModel, tmp_path: Path) -> None:
    lines = [line for line in DEFAULT_CORPUS.read_text().splitlines() if line.strip()][:2]
    (tmp_path / "pairs.jsonl").write_text("\n".join(lines) + "\n")
    since = len(real_model.requests())
    result = _polca(real_model, tmp_path, "skills", "mine", "pairs.jsonl", "--miner", "llm",
                    "--model", f"openai/{real_model.alias}", "--api-base", real_model.api_base,
                    "--out", "mined")
    assert result.returncode == 0, result.stderr[-3000:]
    _check_max_tokens_sent(real_model, since)
    traces = re.search(r"(\d+) audit traces, (\d+) skills proposed", result.stdout)
    assert traces, result.stdout
    unusable = result.stderr.count("unusable")
    assert int(traces.group(1)) + result.stderr.count("unusable audit trace") == 2
    assert int(traces.group(2)) + result.stderr.count("unusable skill extraction") == int(traces.group(1))
    assert unusable <= 4
    from polca.skills.model import load_library

    mined = tmp_path / "mined"
    if mined.exists() and any(mined.iterdir()):
        assert load_library(mined)
    audits, extractions = result.stderr.count("unusable audit trace"), result.stderr.count("unusable skill extraction")
    _record("skills-mine", command="polca skills mine --miner llm (2 pairs)",
            parsed=int(traces.group(1)) + int(traces.group(2)),
            unusable={k: n for k, n in {"unusable audit trace": audits, "unusable skill extraction": extractions}.items() if n},
            wrong_offered=0, requests=len(real_model.requests()) - since)


def test_skills_apply_with_a_real_model_offers_only_candidates_that_pass_the_filter(
        real_model: RealModel, tmp_path: Path) -> None:
    shutil.copyfile(EXAMPLES / "dedup_ids.py", tmp_path / "dedup_ids.py")
    since = len(real_model.requests())
    result = _polca(real_model, tmp_path, "skills", "apply", "dedup_ids.py", "-k", "2", "--json",
                    "--model", f"openai/{real_model.alias}", "--api-base", real_model.api_base)
    assert result.returncode == 0, result.stderr[-3000:]
    _check_max_tokens_sent(real_model, since)
    data = json.loads(result.stdout)
    from polca.skills.apply import static_filter

    source = (tmp_path / "dedup_ids.py").read_text()
    for candidate in data["candidates"]:
        assert not static_filter(source, candidate["code"]) and candidate["code"].strip() != source.strip()
    assert all(r["reason"] for r in data["rejected"])
    assert len(data["candidates"]) + len(data["rejected"]) >= 1
    reasons: dict[str, int] = {}
    for rejected in data["rejected"]:
        key = rejected["reason"].split(":")[0][:60]
        reasons[key] = reasons.get(key, 0) + 1
    _record("skills-apply", command="polca skills apply --model -k 2",
            parsed=sum(c["via"] == "model" for c in data["candidates"]), unusable=reasons, wrong_offered=0,
            requests=len(real_model.requests()) - since)


QA = '''
import dspy

program = dspy.ChainOfThought("question -> answer")


def metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
    said = str(pred.answer).strip()
    return dspy.Prediction(score=float(said == gold.answer), feedback=f"expected {gold.answer!r}, got {said!r}")
'''


def _check_search_json(result: subprocess.CompletedProcess, db: Path, name: str) -> dict:
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert 0.0 <= report["before"] <= 1.0 and 0.0 <= report["after"] <= 1.0
    [run] = _rows(db, "SELECT state FROM runs")
    failures = json.loads(run["state"]).get("proposal_failures", {})
    assert set(failures) <= KNOWN_FAILURES, failures
    calls = _check_calls_are_recorded(db, {"propose"})
    candidates = _rows(db, "SELECT origin FROM candidates WHERE origin != 'seed'")
    _record(name, command=f"polca {name}", parsed=len(candidates), unusable=failures, wrong_offered=0,
            latency_s=_latencies(calls), requests=len(calls))
    return report


def test_optimize_prompt_through_dspy_with_a_real_model(real_model: RealModel, tmp_path: Path) -> None:
    (tmp_path / "qa_real.py").write_text(QA)
    train = (EXAMPLES / "prompts" / "qa_train.jsonl").read_text().splitlines()[:1]
    val = (EXAMPLES / "prompts" / "qa_val.jsonl").read_text().splitlines()[:1]
    (tmp_path / "train.jsonl").write_text("\n".join(train) + "\n")
    (tmp_path / "val.jsonl").write_text("\n".join(val) + "\n")
    db = tmp_path / "polca.db"
    result = _polca(real_model, tmp_path, "optimize-prompt", "qa_real:program", "--trainset", "train.jsonl",
                    "--valset", "val.jsonl", "--metric", "qa_real:metric",
                    "--model", f"openai/{real_model.alias}", "--api-base", real_model.api_base,
                    "--task-model", f"openai/{real_model.alias}", "--task-api-base", real_model.api_base,
                    "--max-evaluations", "4", "--db", f"sqlite:///{db}", "--json")
    report = _check_search_json(result, db, "optimize-prompt")
    assert set(report["changed"]) <= set(report["params"])


AGENT = '''
from polca.optimizer.domains.agent import ReActAgent

agent = ReActAgent("conversation -> reply", max_iters=1)
'''


def test_optimize_agent_on_shopdesk_with_a_real_model(real_model: RealModel, tmp_path: Path) -> None:
    (tmp_path / "desk_real.py").write_text(AGENT)
    db = tmp_path / "polca.db"
    result = _polca(real_model, tmp_path, "optimize-agent", "desk_real:agent",
                    "--env", "polca.optimizer.domains.shopdesk:ShopDesk",
                    "--train-tasks", "cancel-mug", "--val-tasks", "move-teapot", "--max-turns", "1",
                    "--model", f"openai/{real_model.alias}", "--api-base", real_model.api_base,
                    "--task-model", f"openai/{real_model.alias}", "--task-api-base", real_model.api_base,
                    "--max-evaluations", "4", "--db", f"sqlite:///{db}", "--json")
    _check_search_json(result, db, "optimize-agent")
