"""Trust in what ``polca optimize`` offers: when the best candidate fails held-out
verification the next ones are tried (and why each was refused is kept), and a speedup
that comes from state carried across calls is measured on fresh state."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from polca.cli import app
from polca.config import SearchConfig
from polca.optimizer.domains.program import ProgramOptions, optimize_file
from polca.optimizer.domains.program.state import new_carried_state
from polca.optimizer.proposers import ScriptedProposer
from polca.runs import FINAL_CHECK_KEY
from polca.sandbox.measure import measure
from polca.sandbox.target import Call, Target
from polca.store import Store

runner = CliRunner()

SCORE = '''def score(x: int) -> int:
    total = 0
    for _ in range(3000):
        total += x % 7
    if x.bit_length() > 40:  # a bound the generator cannot read off a literal comparison
        total += 1
    return total
'''
# Very fast and right on every small int the search draws; wrong past 2**40 (held out).
SCORE_WRONG = '''def score(x: int) -> int:
    return (x % 7) * 3000
'''
# Ten times fewer steps, right everywhere: slower than the wrong one, so it ranks second.
SCORE_RIGHT = '''def score(x: int) -> int:
    total = 0
    for _ in range(300):
        total += x % 7
    total *= 10
    if x.bit_length() > 40:  # a bound the generator cannot read off a literal comparison
        total += 1
    return total
'''


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, value in {"POLCA_LLM_MAX_RETRIES": "0", "POLCA_LLM_BACKOFF_BASE_S": "0.01",
                        "POLCA_OPTIMIZE_FINAL_ROUNDS": "8", "POLCA_SEARCH_ROUNDS": "3",
                        "POLCA_SEARCH_WARMUP": "0"}.items():
        monkeypatch.setenv(name, value)


def _wrong_then_right():
    """The scripted model's answers: the wrong rewrite first, then the right one, alternating."""
    proposals = []

    def answer(body):
        prompt = body["messages"][-1]["content"]
        if "<summary>" in prompt:
            return "<reasoning>loops are slow</reasoning><summary>Replace the loop by arithmetic.</summary>"
        code = (SCORE_WRONG, SCORE_RIGHT)[len(proposals) % 2]
        proposals.append(code)
        return f'<reasoning>the loop adds the same value</reasoning><param name="code">{code}</param>'

    return answer


def test_when_the_best_fails_held_out_the_next_verified_candidate_is_offered(tmp_path, scripted_llm):
    path = tmp_path / "score.py"
    path.write_text(SCORE)
    server = scripted_llm(_wrong_then_right())
    # 6 evaluations: the seed, the wrong rewrite and a rule's child take the first 3, the
    # model's second answer (the right one) comes in the next round
    result = runner.invoke(app, ["optimize", str(path), "--budget-evals", "6", "--size", "300",
                                 "--model", "openai/scripted", "--api-base", server.api_base, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (target,) = data["targets"]
    assert target["status"] == "improved", target["message"]
    assert "+    for _ in range(300):" in data["diff"] and "+    return" not in data["diff"]
    # The model's proposals carry the skills it was shown as their origin ("skill:...").
    first = target["rejected"][0]
    assert re.match(r"candidate 1 \(\S+\): failed held-out verification: ", first) and "\n" not in first, first
    with Store.open("sqlite:///.polca/polca.db") as store:
        final = store.get_run(target["run_id"]).state[FINAL_CHECK_KEY]
    assert final["rejected"] == target["rejected"] and final["status"] == "improved"


def test_when_every_candidate_fails_nothing_is_offered_and_each_reason_is_kept(tmp_path, store):
    path = tmp_path / "score.py"
    path.write_text(SCORE)
    proposer = ScriptedProposer(lambda parent, evaluations, rng: {"code": SCORE_WRONG})
    options = ProgramOptions(budget_evals=3, size=300, final_rounds=8, final_min_sample_s=0.02,
                             search=SearchConfig(rounds=3, min_sample_s=0.005, warmup=0))
    (target,) = optimize_file(path, options, proposer=proposer, store=store).targets
    assert target.status == "no_gain" and target.message.startswith("failed held-out verification:")
    assert target.rejected == (f"candidate 1 (scripted): {target.message.splitlines()[0]}",)


# ---------------------------------------------------------------- carried state

FIB = '''def fib(n: int) -> int:
    n = abs(n) % 20
    return n if n < 2 else fib(n - 1) + fib(n - 2)
'''
FIB_MEMO = '''from functools import lru_cache


@lru_cache(maxsize=None)
def fib(n: int) -> int:
    n = abs(n) % 20
    return n if n < 2 else fib(n - 1) + fib(n - 2)
'''
FIB_DICT = '''_seen = {}


def fib(n: int) -> int:
    n = abs(n) % 20
    if n not in _seen:
        _seen[n] = n if n < 2 else fib(n - 1) + fib(n - 2)
    return _seen[n]
'''


def test_a_memoized_function_is_much_faster_warm_than_on_a_fresh_module_per_call():
    inputs = [Call((n,)) for n in (17, 18, 19)]
    timings = {cold: measure(Target(source=FIB, qualname="fib"), Target(source=FIB_MEMO, qualname="fib"),
                             inputs, rounds=4, warmup=1, min_sample_s=0.01, cold=cold) for cold in (False, True)}
    assert all(t.status == "ok" for t in timings.values()), [t.message for t in timings.values()]
    assert timings[False].speedup > 2 * timings[True].speedup > 2


def test_state_a_rewrite_adds_across_calls_is_named():
    assert new_carried_state(FIB, FIB_MEMO) == ("@lru_cache on fib",)
    assert new_carried_state(FIB, FIB_DICT) == ("module-level _seen changed by fib",)
    assert new_carried_state(FIB_MEMO, FIB_MEMO) == ()
    with_default = "def fib(n, memo={}):\n    return n\n"
    assert new_carried_state(FIB, with_default) == ("a mutable default argument of fib",)
    assert new_carried_state(FIB, "def fib(n):\n    global calls\n    return n\n") == ("global calls",)


def test_the_speedup_of_a_memoized_rewrite_is_the_cold_one(tmp_path, store):
    path = tmp_path / "fib.py"
    path.write_text(FIB)
    proposer = ScriptedProposer(lambda parent, evaluations, rng: {"code": FIB_MEMO})
    options = ProgramOptions(budget_evals=2, size=50, final_rounds=6, final_min_sample_s=0.02,
                             search=SearchConfig(rounds=3, min_sample_s=0.005, warmup=0))
    (target,) = optimize_file(path, options, proposer=proposer, store=store).targets
    assert target.timing_mode == "cold" and target.carried_state == ("@lru_cache on fib",)
    # offered or not depends on the machine's load (a cold call is short and noisy); what is
    # asserted is how it was timed and reported
    assert "measured cold (fresh module per call): " in target.message, target.message
    assert target.speedup_warm is not None and target.speedup is not None
    assert target.speedup_warm > target.speedup
    final = store.get_run(target.run_id).state[FINAL_CHECK_KEY]
    assert final["timing_mode"] == "cold" and final["speedup"] == target.speedup


def test_the_table_says_what_was_refused_what_was_not_timed_and_that_timing_was_cold():
    from rich.console import Console

    from polca.cli.render_optimize import render_targets
    from polca.optimizer.domains.program import ProgramReport, TargetReport

    target = TargetReport("fib", "improved", "measured cold (fresh module per call): 120x; warm 9,000x",
                          inputs_verified=9, inputs_untimed=2, speedup=120.0, ci_low=100.0, ci_high=140.0,
                          rejected=("candidate 1 (llm): failed held-out verification: 2 of 13 inputs differ",),
                          timing_mode="cold", speedup_warm=9000.0, carried_state=("@lru_cache on fib",))
    console = Console(width=200, record=True)
    console.print(render_targets(ProgramReport("fib.py", FIB, FIB_MEMO, (target,))))
    text = console.export_text()
    assert "fib: not offered: candidate 1 (llm): failed held-out verification" in text
    assert "2 input(s) on which the original raises: checked (same exception), not timed" in text
    assert "keeps state across calls (@lru_cache on fib)" in text and "warm 9,000x" in text


_FIB_BODY = "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"


@pytest.mark.parametrize(("candidate", "named"), [
    ("import functools\n\ndef fib(n):\n" + _FIB_BODY + "\nfib = functools.lru_cache(maxsize=None)(fib)\n",
     "a call of lru_cache in the module"),
    ("_memo = {}\n\ndef fib(n):\n    m = _memo\n    if n not in m:\n        m[n] = n if n < 2 else fib(n - 1) + fib(n - 2)\n"
     "    return m[n]\n", "module-level _memo read by fib"),
    ("_memo = {}\n\ndef fib(n):\n    if n not in _memo:\n        _memo.__setitem__(n, n if n < 2 else fib(n - 1) + fib(n - 2))\n"
     "    return _memo[n]\n", "module-level _memo changed by fib"),
    ("class _C:\n    memo = {}\n\ndef fib(n):\n    if n not in _C.memo:\n        _C.memo[n] = n if n < 2 else fib(n - 1) + fib(n - 2)\n"
     "    return _C.memo[n]\n", "class-level _C.memo changed by fib"),
    ("def fib(n):\n    return fib.__dict__.setdefault(n, n if n < 2 else fib(n - 1) + fib(n - 2))\n",
     "the __dict__ of fib used in fib"),
])
def test_state_carried_through_calls_aliases_dunders_and_class_attributes_is_named(candidate, named):
    assert named in new_carried_state(FIB, candidate)


def test_a_cache_decorator_with_other_arguments_is_new_state():
    bounded = FIB_MEMO.replace("maxsize=None", "maxsize=2")
    assert new_carried_state(bounded, FIB_MEMO) == ("@lru_cache on fib",)
    assert new_carried_state(FIB_MEMO, FIB_MEMO) == ()


def test_an_unchanged_module_table_the_original_reads_too_is_not_new_state():
    table = "TABLE = [i * i for i in range(100)]\n\ndef f(x):\n    return TABLE[x % 100]\n"
    assert new_carried_state(table, table.replace("x % 100", "x % 100 ")) == ()
    assert new_carried_state(table, table.replace("range(100)", "range(200)")) == ("module-level TABLE read by f",)
