"""Stage II: diagnosis, retrieval, plans, offline and model generation, static filter."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from polca.llm import LLMClient
from polca.sandbox.measure import measure
from polca.sandbox.target import Call, Target
from polca.skills import build_registry
from polca.skills.apply import apply_skills, make_plans, parse_code_answer, static_filter
from polca.skills.diagnosis import diagnose
from polca.skills.registry import SkillRegistry
from polca.skills.retrieval import BM25, SkillRetriever

SLOW = '''
def count_free(blocked, limit):
    taken = [int(b) for b in blocked]
    free = 0
    for i in range(limit):
        if i not in taken:
            free += 1
    return free


def tally(words):
    counts = {}
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
    return counts
'''

QUEUE = '''
def drain(items):
    queue = list(items)
    total = 0
    while queue:
        total += queue.pop(0)
    return total
'''


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def test_diagnosis_finds_loops_complexity_and_anti_patterns(registry):
    diagnosis = diagnose(SLOW + QUEUE, registry)
    by_name = {f.name: f for f in diagnosis.functions}
    assert by_name["count_free"].complexity == "O(n^2)" and by_name["count_free"].loop_depth == 1
    assert "membership-test-in-loop" in {f.kind for f in by_name["count_free"].findings}
    assert "pop-front" in {f.kind for f in by_name["drain"].findings}
    assert dict(diagnosis.triggered)["counter-for-counting"] >= 1
    assert "count_free (line 2)" in diagnosis.summary()
    recursion = diagnose("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n")
    assert recursion.functions[0].complexity == "exponential"
    assert diagnose("def broken(:\n").error


@pytest.mark.parametrize("decorator", ["functools.cache", "cache", "functools.lru_cache(maxsize=None)", "lru_cache()"])
def test_diagnosis_reads_memoizing_decorators_of_every_shape(decorator):
    source = f"import functools\nfrom functools import cache, lru_cache\n\n@{decorator}\n" \
        "def ways(n):\n    return 1 if n < 2 else ways(n - 1) + ways(n - 2)\n"
    diagnosis = diagnose(source)
    assert not diagnosis.error
    assert diagnosis.functions[0].complexity != "exponential"


@pytest.mark.parametrize("decorator", ["registry[0]", "(lambda f: f)", "make()(1)", "a.b.c(x)(y)", "staticmethod"])
def test_diagnosis_survives_any_decorator_expression(decorator):
    source = f"@{decorator}\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
    assert diagnose(source).functions[0].complexity == "exponential"


def test_bm25_prefers_documents_sharing_rare_terms():
    scores = BM25(["set membership hashing", "string join building", "queue deque popleft"]).scores("deque queue")
    assert scores.index(max(scores)) == 2 and scores[0] == 0.0


def test_retrieval_puts_applicable_rules_first(registry):
    ranked = SkillRetriever(registry).retrieve(SLOW, limit=4)
    assert len(ranked) == 4
    assert {r.skill.id for r in ranked[:2]} == {"list-membership-to-set", "counter-for-counting"}
    assert all(r.applicable for r in ranked[:2])
    with pytest.raises(ValueError, match="limit"):
        SkillRetriever(registry).retrieve(SLOW, limit=0)


def test_retrieval_with_an_embedder(registry):
    class Constant:
        def embed(self, texts):
            return np.ones((len(texts), 3)) / np.sqrt(3)

    ranked = SkillRetriever(registry, embedder=Constant()).retrieve(QUEUE, limit=2)
    assert ranked[0].skill.id == "deque-for-queue-pop0"


def test_offline_candidates_cover_rule_subsets_and_plans(registry):
    # only these two rules compete here, whatever other rules the library grows
    two = {"counter-for-counting", "list-membership-to-set"}
    registry = SkillRegistry(s for s in registry if s.id in two or not s.has_rule)
    result = apply_skills(SLOW, registry=registry, k=8)
    assert [set(c.skills) for c in result.candidates] == [
        {"counter-for-counting", "list-membership-to-set"}, {"counter-for-counting"}, {"list-membership-to-set"},
    ] or [set(c.skills) for c in result.candidates] == [
        {"counter-for-counting", "list-membership-to-set"}, {"list-membership-to-set"}, {"counter-for-counting"},
    ]
    assert len(result.candidates) == 3 and result.candidates[0].plan == "aggressive"
    assert all(c.via == "rule" for c in result.candidates)
    assert [p.name for p in result.plans] == ["conservative", "balanced", "aggressive"]
    assert len(apply_skills(SLOW, registry=registry, k=1).candidates) == 1
    with pytest.raises(ValueError, match="k = 0"):
        apply_skills(SLOW, registry=registry, k=0)


def test_nothing_applies_gives_no_candidates(registry):
    result = apply_skills("def add(a, b):\n    return a + b\n", registry=registry)
    assert result.candidates == () and result.best is None
    assert make_plans([]) == []


def test_static_filter_keeps_the_public_interface():
    original = "def f(a, b=1):\n    return a\n\n\nclass K:\n    pass\n"
    assert static_filter(original, original) == ""
    assert "does not parse" in static_filter(original, "def f(:\n")
    assert "drops public name" in static_filter(original, "def f(a, b=1):\n    return a\n")
    assert "signature" in static_filter(original, "def f(a):\n    return a\n\n\nclass K:\n    pass\n")


def test_offline_apply_improves_the_bundled_example(registry):
    path = Path(__file__).resolve().parents[1] / "examples" / "blocked_slots.py"
    if not path.is_file():
        pytest.skip("examples/blocked_slots.py is not in this checkout")
    source = path.read_text()
    best = apply_skills(source, registry=registry).best
    assert best is not None and "list-membership-to-set" in best.skills
    _assert_faster(source, best.code, "free_slots", Call(args=(list(range(0, 6000, 3)),)))


def test_offline_apply_improves_a_slow_function(registry):
    best = apply_skills(SLOW, registry=registry).best
    _assert_faster(SLOW, best.code, "count_free", Call(args=([str(i) for i in range(0, 4000, 2)], 4000)))


def _assert_faster(slow: str, fast: str, name: str, call: Call) -> None:
    result = measure(Target(slow, name, "slow_mod"), Target(fast, name, "fast_mod"), [call],
                     rounds=5, min_sample_s=0.01)
    assert result.status == "ok" and result.speedup > 1.5, result.describe()


def test_parse_code_answer():
    assert parse_code_answer("PLAN:\n- x\nCODE:\n```python\nx = 1\n```") == "x = 1\n"
    assert parse_code_answer("```\ny = 2\n```") == "y = 2\n"
    assert parse_code_answer("no code") is None


def test_model_path_uses_the_meta_skills(scripted_llm, llm_config, registry):
    fast = SLOW.replace("taken = [int(b) for b in blocked]", "taken = {int(b) for b in blocked}")
    seen = []

    def respond(body):
        prompt = body["messages"][-1]["content"]
        seen.append(prompt)
        if "diagnosing a slow Python program" in prompt:
            return json.dumps({"bottlenecks": [{"lines": "if i not in taken", "mechanism": "linear membership"}],
                               "summary": "membership test"})
        if "You select optimization skills" in prompt:
            return json.dumps({"picks": [{"bottleneck": 0, "skill_id": "list-membership-to-set", "why": "set"},
                                         {"bottleneck": 0, "skill_id": "no-such-skill", "why": "x"}]})
        return f"PLAN:\n- (list-membership-to-set) edit\nCODE:\n```python\n{fast}```"

    server = scripted_llm(respond)
    client = LLMClient(dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted"))
    result = apply_skills(SLOW, registry=registry, llm=client, k=4)
    assert [r.skill.id for r in result.retrieved] == ["list-membership-to-set"]
    assert "membership test" in result.diagnosis.model_reading
    vias = [c.via for c in result.candidates]
    assert vias == ["rule", "model"]  # the model answered the same code three times
    assert [why for _, why in result.rejected] == ["same as another candidate"] * 2
    strategize = [p for p in seen if "Plan first, then write the code" in p]
    assert len(strategize) == 3 and "## Skill list-membership-to-set" in strategize[0]


def test_model_answers_without_code_or_repeating_the_program_are_rejected_with_a_reason(
        scripted_llm, llm_config, registry):
    answers = iter(["I would use a set here.", f"CODE:\n```python\n{SLOW}```", "Sure:\n```python\ndef count_free("])

    def respond(body):
        prompt = body["messages"][-1]["content"]
        if "Plan first, then write the code" in prompt:
            return next(answers)
        return "no JSON here"  # Diagnose and Retrieve fall back to the static reading

    server = scripted_llm(respond)
    client = LLMClient(dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted"))
    result = apply_skills(SLOW, registry=registry, llm=client, k=6)  # three slots for the model
    reasons = sorted(why for rewrite, why in result.rejected if rewrite.via == "model")
    assert len(reasons) == 3, result.rejected
    assert reasons[0].startswith("does not parse")  # the fence cut off mid-function
    assert reasons[1] == "no code block in the answer"
    assert reasons[2].startswith("same as the original")
    assert all(c.via == "rule" for c in result.candidates)


def test_a_failed_diagnose_call_keeps_the_static_diagnosis(scripted_llm, llm_config, registry):
    from polca.testing import Reply

    server = scripted_llm(lambda body: Reply(status=400, error_message="maximum context length is 1024 tokens"))
    client = LLMClient(dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted",
                                           max_retries=0))
    result = apply_skills(SLOW, registry=registry, llm=client, k=2)
    assert result.diagnosis.model_reading == "" and result.candidates
