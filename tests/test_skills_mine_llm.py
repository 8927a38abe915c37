"""The LLM miner against the scripted model server: traces, extraction, merge, folders."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from polca.llm import LLMClient
from polca.skills.mine_llm import bag_of_words, merge_near_duplicates, mine_with_llm
from polca.skills.model import load_library
from polca.skills.pairs import load_pairs
from polca.testing import Reply

TRACE = {
    "constraints": ["elements are hashable", "the container is not mutated in the loop"],
    "dominant_operations": ["x in list inside a loop"],
    "complexity_before": "O(n*m)", "complexity_after": "O(n+m)",
    "bottleneck": "linear membership test in a loop", "what_changed": "the list became a set",
    "triggers": [r"\bin\s+\w+", "(a+)+"],
}


def _skill(name: str, description: str) -> dict:
    return {
        "name": name, "family": "data-structures", "description": description, "tags": ["set"],
        "triggers": [r"\bnot\s+in\b"], "when_to_use": "Repeated membership tests against a list.",
        "steps": "1. Build a set once.\n2. Test against the set.", "complexity": "O(n*m) to O(n+m)",
        "pitfalls": "Unhashable elements.", "when_not_to_use": "Tiny lists.",
    }


SET_A = _skill("Use a set for membership tests", "Build a set once and test membership against it.")
SET_B = _skill("Use a set for membership tests in loops", "Build a set once, then test membership against it.")
APPEND = dict(_skill("Append instead of concatenating lists", "Grow a list in place with append."),
              family="constant-factors", triggers=[r"=\s*\w+\s*\+\s*\["])


def _responder(answers):
    def respond(body):
        prompt = body["messages"][-1]["content"]
        pair = next(key for key in answers if key in prompt)
        kind = "audit" if prompt.startswith("You audit") else "extract"
        return answers[pair][kind]
    return respond


@pytest.fixture
def pairs():
    corpus = {p.id: p for p in load_pairs()}
    return [corpus["set-membership-1"], corpus["set-membership-2"], corpus["append-1"], corpus["dedup-1"]]


def test_traces_extraction_merge_and_loadable_folders(scripted_llm, llm_config, pairs, tmp_path):
    answers = {
        "blocked": {"audit": json.dumps(TRACE), "extract": json.dumps(SET_A)},
        "banned": {"audit": "```json\n" + json.dumps(TRACE) + "\n```", "extract": json.dumps(SET_B)},
        "evens": {"audit": json.dumps(dict(TRACE, what_changed="append in place")), "extract": json.dumps(APPEND)},
        "uniq": {"audit": "I cannot tell.", "extract": "unused"},
    }
    server = scripted_llm(_responder(answers))
    client = LLMClient(dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted"))
    report = mine_with_llm(pairs, client, tmp_path / "mined", merge_threshold=0.7)
    assert [t.pair_id for t in report.traces] == ["set-membership-1", "set-membership-2", "append-1"]
    assert report.traces[0].triggers == (r"\bin\s+\w+",)  # the repeated group was dropped
    assert report.failures == ("dedup-1: unusable audit trace",)
    assert len(report.proposed) == 3 and len(report.merged) == 2
    assert report.merged[0].sources == ("set-membership-1", "set-membership-2")
    skills = load_library(tmp_path / "mined")
    assert sorted(s.id for s in skills) == sorted(s.id for s in report.skills)
    by_name = {s.name: s for s in skills}
    merged = by_name["Use a set for membership tests"]
    assert merged.family == "data-structures" and "llm-miner" in merged.tags
    assert "set-membership-2" in merged.section("When to use")
    assert merged.before_path is not None and "blocked" in merged.before_path.read_text()


def test_merge_by_model_embeddings(scripted_llm, llm_config, pairs, tmp_path):
    answers = {
        "blocked": {"audit": json.dumps(TRACE), "extract": json.dumps(SET_A)},
        "banned": {"audit": json.dumps(TRACE), "extract": json.dumps(APPEND)},
    }

    def embed(body):
        return [[1.0, 0.0] for _ in body["input"]]  # every text alike: one cluster

    server = scripted_llm(_responder(answers), embedder=embed)
    client = LLMClient(dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted"))
    report = mine_with_llm(pairs[:2], client, tmp_path, embedding_model="openai/embed", merge_threshold=0.99)
    assert len(report.merged) == 1 and report.merged[0].sources == ("set-membership-1", "set-membership-2")


def test_model_failure_drops_the_pair(scripted_llm, llm_config, pairs, tmp_path):
    server = scripted_llm([Reply(status=400, error_message="bad request")])
    client = LLMClient(dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted"))
    report = mine_with_llm(pairs[:1], client, tmp_path)
    assert report.skills == () and report.failures == ("set-membership-1: unusable audit trace",)


def test_offline_vectors_and_threshold_check():
    vectors = bag_of_words(["use a set", "use a set", "append in place"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0] @ vectors[1] == pytest.approx(1.0) and vectors[0] @ vectors[2] < 0.5
    with pytest.raises(ValueError, match="cosine"):
        merge_near_duplicates([], vectors[:0], threshold=2.0)
