"""The skills proposer: offline children from executable rules, and the model path."""

from __future__ import annotations

import ast
import dataclasses

import pytest

from polca.llm import LLMClient
from polca.optimizer.contracts import Candidate, Evaluation, ProposalContext, Proposer
from polca.optimizer.domains.program.proposers import SkillsProposer, rule_subsets, skills_prompt

TWO_PATTERNS = '''
def solve(words, limit):
    counts = {}
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
    blocked = [int(w[1:]) for w in words]
    free = 0
    for i in range(limit):
        if i not in blocked:
            free += 1
    return counts, free
'''

NOTHING_APPLIES = "def add(a, b):\n    return a + b\n"


def _parent(code: str) -> Candidate:
    return Candidate({"code": code})


def _context(num: int = 3, **kwargs) -> ProposalContext:
    return ProposalContext(objective="make solve faster", num_proposals=num, **kwargs)


def _run(code: str, words, limit):
    namespace: dict = {}
    exec(compile(code, "<candidate>", "exec"), namespace)
    return namespace["solve"](words, limit)


@pytest.fixture(scope="module")
def proposer() -> SkillsProposer:
    return SkillsProposer()


def test_it_is_a_proposer(proposer):
    assert isinstance(proposer, Proposer)


def test_offline_children_are_distinct_rewrites_that_keep_behaviour(proposer):
    parent = _parent(TWO_PATTERNS)
    children = proposer.propose(parent, [], _context(num=3))
    assert 1 <= len(children) <= 3
    codes = [c.params["code"] for c in children]
    assert len(set(codes)) == len(codes)
    words = [f"w{i % 7}" for i in range(40)]
    for child in children:
        assert child.parents == (parent.id,)
        assert child.origin.startswith("skill:")
        assert child.params["code"] != TWO_PATTERNS
        ast.parse(child.params["code"])
        for skill_id in child.origin.removeprefix("skill:").split("+"):
            assert skill_id in child.note
        assert _run(child.params["code"], words, 30) == _run(TWO_PATTERNS, words, 30)


def test_first_child_combines_every_applicable_rule():
    children = SkillsProposer().propose(_parent(TWO_PATTERNS), [], _context(num=1))
    assert children[0].origin.count("+") >= 1


def test_successive_calls_rotate_through_rule_subsets():
    proposer = SkillsProposer()
    parent = _parent(TWO_PATTERNS)
    first = proposer.propose(parent, [], _context(num=1))
    second = proposer.propose(parent, [], _context(num=1))
    third = proposer.propose(parent, [], _context(num=1))
    origins = [c[0].origin for c in (first, second, third)]
    assert len(set(origins)) == 3


def test_no_children_when_no_rule_applies(proposer):
    assert proposer.propose(_parent(NOTHING_APPLIES), [], _context()) == []


def test_never_more_children_than_asked(proposer):
    assert len(proposer.propose(_parent(TWO_PATTERNS), [], _context(num=1))) == 1
    assert proposer.propose(_parent(TWO_PATTERNS), [], _context(num=0)) == []


def test_unparsable_parent_gives_no_children(proposer):
    assert proposer.propose(_parent("def broken(:\n"), [], _context()) == []


def test_other_param_name_and_missing_param():
    proposer = SkillsProposer(param="src")
    parent = Candidate({"src": TWO_PATTERNS, "notes": "keep"})
    children = proposer.propose(parent, [], _context(num=2))
    assert children and all(c.params["notes"] == "keep" for c in children)
    with pytest.raises(ValueError, match="param="):
        proposer.propose(_parent(TWO_PATTERNS), [], _context())


def test_bad_max_skills_is_rejected():
    with pytest.raises(ValueError, match="max_skills"):
        SkillsProposer(max_skills=0)


def test_max_skills_caps_the_rules_used():
    proposer = SkillsProposer(max_skills=1)
    children = proposer.propose(_parent(TWO_PATTERNS), [], _context(num=4))
    assert len(children) == 1 and "+" not in children[0].origin


def test_rule_subsets_order():
    assert rule_subsets(0) == []
    assert rule_subsets(1) == [(0,)]
    assert rule_subsets(3) == [(0, 1, 2), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]


def _answer(code: str) -> str:
    return f'<reasoning>use a set</reasoning>\n<param name="code">\n{code}\n</param>'


FAST = TWO_PATTERNS.replace("if i not in blocked", "if i not in blocked_set").replace(
    "    free = 0\n", "    blocked_set = set(blocked)\n    free = 0\n"
)


def test_model_path_prompts_with_skills_and_parses_answers(scripted_llm, llm_config):
    server = scripted_llm([_answer(FAST), "no tags here", _answer("def broken(:")])
    config = dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted")
    proposer = SkillsProposer(llm=LLMClient(config), max_skills=3)
    parent = _parent(TWO_PATTERNS)
    evaluation = Evaluation(score=1.0, feedback="hot line: if i not in blocked", instance_id="i0")
    context = _context(num=2, summary="sets beat lists for membership")
    outcome = proposer.propose_with_report(parent, [evaluation], context)
    assert [c.params["code"] for c in outcome.children] == [FAST.strip("\n")]
    assert outcome.children[0].note == "use a set"
    assert outcome.children[0].origin.startswith("skill:")
    assert len(outcome.failures) == 1 and "does not parse" in outcome.failures[0]
    prompt = server.requests[0]["messages"][-1]["content"]
    assert "## Optimization skills that may apply" in prompt
    assert "### Steps" in prompt and "sets beat lists" in prompt and "hot line" in prompt
    assert prompt.rstrip().endswith("A parameter you leave out keeps its current value.")


def test_skills_prompt_without_skills_is_the_engine_prompt():
    parent = _parent(NOTHING_APPLIES)
    assert "Optimization skills" not in skills_prompt(parent, [], _context(), [])


def test_a_model_whose_proposals_keep_failing_is_set_aside_and_the_skills_carry_on(scripted_llm, llm_config):
    from polca.optimizer.domains.program import ProposerChain
    from polca.optimizer.proposers import ModelSetAside

    server = scripted_llm(lambda body: "I cannot help with that.")
    config = dataclasses.replace(llm_config, api_base=server.api_base, model="openai/scripted")
    model = SkillsProposer(llm=LLMClient(config), max_skills=3)
    outcome = model.propose_with_report(_parent(TWO_PATTERNS), [], _context(num=3))
    assert not outcome.children and len(outcome.failures) == 3
    with pytest.raises(ModelSetAside, match="3 proposals in a row"):
        model.propose_with_report(_parent(TWO_PATTERNS), [], _context(num=1))
    chain = ProposerChain([SkillsProposer(), model])
    children = chain.propose(_parent(TWO_PATTERNS), [], _context(num=2))
    assert children and len(chain.notes) == 1 and "set aside" in chain.notes[0]
    assert len(server.chat_requests) == 6  # two answers per failed proposal, none after
