"""Program oracle: generated inputs, determinism checks, test discovery, the proposer chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from polca.llm import LLMUnavailable
from polca.optimizer.contracts import Candidate, ProposalContext
from polca.optimizer.domains.program.inputs import search_calls, target_params
from polca.optimizer.domains.program.oracle import (
    UnsupportedSignature,
    discover_tests,
    keep_deterministic,
    script_hash_stable,
    sibling_files,
)
from polca.optimizer.domains.program.proposers import ProposerChain
from polca.optimizer.domains.program.targets import load_program
from polca.sandbox.target import Build, ScriptInput, Target

HINTED = '''
import helper


def f(xs: list[int], name: str, n: int, table: dict[str, float], pair: tuple[int, str], opt: set[int] | None) -> int:
    return len(xs)


def bare(xs):
    return xs


class K:
    def m(self, xs: list[int]) -> int:
        return 0
'''


@pytest.fixture
def program(tmp_path: Path):
    (tmp_path / "helper.py").write_text("X = 1\n")
    (tmp_path / "unrelated.py").write_text("Y = 2\n")
    path = tmp_path / "hinted.py"
    path.write_text(HINTED)
    return load_program(path)


def test_generated_calls_follow_the_hints_and_scale_with_the_budget(program):
    params = target_params(program.source, program.function("f"))
    calls = search_calls(params, scale=600, seed=0)
    for call in calls:
        xs, name, n, table, pair, opt = call.args
        assert isinstance(xs, list) and all(isinstance(x, int) for x in xs)
        assert isinstance(name, str) and isinstance(table, dict) and isinstance(opt, set | None)
        assert isinstance(pair, tuple) and isinstance(pair[0], int) and isinstance(pair[1], str)
        assert isinstance(n, int)
    assert all(len(c.args[0]) >= 50 for c in calls[-2:]) and len(calls[0].args[0]) == 0


def test_generated_calls_are_reproducible(program):
    params = target_params(program.source, program.function("f"))
    assert search_calls(params, scale=30, seed=3) == search_calls(params, scale=30, seed=3)


def test_a_parameter_without_a_type_cannot_be_generated(program):
    with pytest.raises(UnsupportedSignature, match="parameter 'xs' of bare: .*add a hint"):
        target_params(program.source, program.function("bare"))


def test_a_method_is_called_with_an_instance_built_in_the_sandbox(program):
    params = target_params(program.source, program.function("K.m"))
    (call, *_) = search_calls(params, scale=30, seed=0)
    assert call.args[0] == Build("K") and isinstance(call.args[1], list)


def test_sibling_files_hold_only_the_modules_the_file_imports(program):
    assert set(sibling_files(program)) == {"hinted.py", "helper.py"}


def test_tests_that_import_the_module_are_discovered(tmp_path, program):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_hinted.py").write_text("from hinted import f\n")
    (tmp_path / "test_other.py").write_text("import os\n")
    assert discover_tests(program) == [tmp_path / "tests" / "test_hinted.py"]


def test_inputs_where_the_original_disagrees_with_itself_are_dropped():
    source = "import random\n\ndef f(x: int) -> int:\n    return x if x < 5 else random.random()\n"
    check = keep_deterministic(Target(source, "f"), [(1,), (7,), (2,)])
    assert check.status == "ok"
    assert check.inputs == ((1,), (2,))
    assert check.dropped == 1


def test_a_function_random_on_most_inputs_is_reported_nondeterministic():
    source = "import random\n\ndef f(x: int) -> int:\n    return x if x == 0 else random.randint(1, 10**9)\n"
    check = keep_deterministic(Target(source, "f"), [(0,), (1,), (2,)])
    assert check.status == "nondeterministic" and not check.inputs
    assert "2 of 3 inputs" in check.message


def test_script_output_that_depends_on_set_order_is_caught():
    ordered = "print(sorted({'apple', 'pear', 'fig', 'kiwi', 'plum'}))\n"
    unordered = "print(list({'apple', 'pear', 'fig', 'kiwi', 'plum', 'lime', 'date'}))\n"
    assert script_hash_stable(ordered, ScriptInput())
    assert not script_hash_stable(unordered, ScriptInput())


class _Fixed:
    def __init__(self, codes, origin):
        self.codes, self.origin, self.calls = codes, origin, 0

    def propose(self, parent, evaluations, context):
        self.calls += 1
        return [Candidate({"code": c}, (parent.id,), self.origin) for c in self.codes][: context.num_proposals]


class _Unreachable:
    def propose(self, parent, evaluations, context):
        raise LLMUnavailable("model openai/x: server unreachable; check --api-base")


def _parent():
    return Candidate({"code": "x = 0"})


def test_the_chain_asks_each_member_for_a_fair_share():
    parent = _parent()
    chain = ProposerChain([_Fixed(["a", "b"], "skill:one"), _Fixed(["c", "d"], "llm")])
    children = chain.propose(parent, [], ProposalContext("obj", num_proposals=3))
    assert [c.params["code"] for c in children] == ["a", "b", "c"]
    assert all(c.parents == (parent.id,) for c in children)


def test_the_chain_drops_children_it_already_has():
    chain = ProposerChain([_Fixed(["a"], "skill:one"), _Fixed(["a"], "llm")])
    assert [c.params["code"] for c in chain.propose(_parent(), [], ProposalContext("obj", num_proposals=2))] == ["a"]


def test_an_unreachable_model_falls_back_to_the_other_proposers_with_a_note():
    chain = ProposerChain([_Fixed(["a"], "skill:one"), _Unreachable()])
    children = chain.propose(_parent(), [], ProposalContext("obj", num_proposals=2))
    assert [c.params["code"] for c in children] == ["a"]
    assert chain.notes and "server unreachable" in chain.notes[0]
    assert len(chain.propose(_parent(), [], ProposalContext("obj", num_proposals=2))) == 1


class _UnreachableTogether:
    """Unreachable, and only after every concurrent ask has reached it."""

    def __init__(self, asks: int) -> None:
        import threading

        self._all_in = threading.Barrier(asks, timeout=30)

    def propose(self, parent, evaluations, context):
        self._all_in.wait()
        raise LLMUnavailable("model openai/x: 4 proposals in a row were unusable; the model is set aside")


def test_a_model_set_aside_by_one_explorer_is_no_error_for_another_asking_at_the_same_time():
    from concurrent.futures import ThreadPoolExecutor

    chain = ProposerChain([_Fixed(["a"], "skill:one"), _UnreachableTogether(asks=2)])
    context = ProposalContext("obj", num_proposals=2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda parent: chain.propose(parent, [], context), [_parent(), _parent()]))
    assert [[c.params["code"] for c in children] for children in results] == [["a"], ["a"]]
    assert len(chain.notes) == 1 and "set aside" in chain.notes[0]


def test_without_fallback_an_unreachable_model_raises():
    chain = ProposerChain([_Fixed(["a"], "skill:one"), _Unreachable()], fallback=False)
    with pytest.raises(LLMUnavailable):
        chain.propose(_parent(), [], ProposalContext("obj", num_proposals=2))


def test_an_empty_chain_is_refused():
    with pytest.raises(ValueError, match="at least one proposer"):
        ProposerChain([])
