"""The queue (priorities, histories), the ε-net, the embedder and the minibatch sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.embedding import HashedNgramEmbedder
from polca.optimizer.epsilon_net import EpsilonNet
from polca.optimizer.minibatch import MinibatchSampler
from polca.optimizer.queue import CandidateQueue, PriorityParams, Trial, get_priority


def _queue(priority: str = "mean", score_range=None) -> CandidateQueue:
    return CandidateQueue(get_priority(priority), PriorityParams(score_range, 0.95))


def _trials(*scores: float) -> list[Trial]:
    return [Trial(Evaluation(s), f"train/{i}", 1) for i, s in enumerate(scores)]


def test_unevaluated_seed_has_infinite_priority_and_is_popped_first() -> None:
    queue = _queue()
    good = queue.add(Candidate({"x": "good"})).candidate
    queue.record(good.id, _trials(0.9, 0.9))
    seed = queue.add(Candidate({"x": "seed"})).candidate
    queue.push([good.id, seed.id])
    assert queue.priority(seed.id) == math.inf
    assert [c.id for c in queue.pop(1)] == [seed.id]


def test_reevaluation_appends_to_history_and_priority_is_the_mean_of_all_scores() -> None:
    queue = _queue()
    cid = queue.add(Candidate({"x": "a"})).candidate.id
    queue.record(cid, _trials(1.0))
    queue.record(cid, _trials(0.0, 0.5))
    assert queue.entry(cid).scores == [1.0, 0.0, 0.5]
    assert queue.priority(cid) == pytest.approx(0.5)


def test_pop_returns_top_k_by_priority_and_ties_by_creation_order() -> None:
    queue = _queue()
    ids = []
    for score in (0.2, 0.8, 0.8, 0.5):
        cid = queue.add(Candidate({"x": str(len(ids))})).candidate.id
        queue.record(cid, _trials(score))
        ids.append(cid)
    queue.push(ids)
    assert [c.id for c in queue.pop(3)] == [ids[1], ids[2], ids[3]]
    assert [cid for cid, _ in queue.queued()] == [ids[0]]


def test_ucb_favours_the_less_evaluated_candidate_and_lcb_the_more_evaluated() -> None:
    few, many = [0.5], [0.5] * 20
    params = PriorityParams((0.0, 1.0), 0.95)
    assert get_priority("ucb")(few, params) > get_priority("ucb")(many, params)
    assert get_priority("lcb")(few, params) < get_priority("lcb")(many, params)


def test_unknown_priority_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"'lcb', 'mean', 'ucb'"):
        get_priority("median")


def test_epsilon_net_rejects_a_near_duplicate_and_accepts_a_distant_child() -> None:
    embed = HashedNgramEmbedder(dim=256).embed
    base = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x * x\n    return total\n" * 3
    net = EpsilonNet(epsilon=0.1, dim=256)
    net.add(embed([base]))
    near = base.replace("total = 0", "total = 0 ")  # whitespace only: same tokens
    far = "import numpy as np\n\ndef f(xs):\n    return float(np.dot(xs, xs))\n"
    decision = net.filter(embed([near, far]))
    assert decision.accepted == (1,)
    assert decision.rejected == (0,)
    assert decision.distances[0] < 0.1 < decision.distances[1]


def test_epsilon_net_compares_children_with_each_other_farthest_first() -> None:
    net = EpsilonNet(epsilon=0.5, dim=2)
    net.add(np.array([[1.0, 0.0]]))
    twins = np.array([[0.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    decision = net.filter(twins)
    assert decision.accepted[0] == 2  # the farthest from memory goes first
    assert sorted(decision.accepted) == [0, 2] and decision.rejected == (1,)


def test_epsilon_zero_turns_the_net_off() -> None:
    net = EpsilonNet(epsilon=0.0, dim=2)
    net.add(np.array([[1.0, 0.0]]))
    decision = net.filter(np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert decision.accepted == (0, 1) and decision.rejected == ()


def test_epsilon_net_grows_past_its_initial_capacity() -> None:
    net = EpsilonNet(epsilon=0.01, dim=8, initial_capacity=2)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for row in vectors:
        net.add(row)
    assert len(net) == 50
    assert net.distances_to_memory(vectors[7]) == pytest.approx([0.0], abs=1e-3)


def test_epsilon_net_rejects_a_mismatched_embedding_dimension() -> None:
    with pytest.raises(ValueError, match="dimension 4"):
        EpsilonNet(0.1, dim=4).add(np.ones((1, 3)))


def test_hashed_embedder_gives_deterministic_unit_vectors() -> None:
    embedder = HashedNgramEmbedder(dim=64)
    vectors = embedder.embed(["a b c", "a b c", ""])
    assert vectors.shape == (3, 64)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(vectors[0], vectors[1])


def test_minibatches_cover_an_epoch_without_replacement() -> None:
    sampler = MinibatchSampler(num_instances=6, batch_size=3, seed=1)
    epoch = sampler.next() + sampler.next()
    assert sorted(epoch) == list(range(6))
    assert sampler.epoch == 0
    sampler.next()
    assert sampler.epoch == 1


def test_minibatch_sampler_resumes_from_its_state() -> None:
    first = MinibatchSampler(10, 4, seed=3)
    for _ in range(3):
        first.next()
    second = MinibatchSampler(10, 4, seed=3)
    second.restore(first.state())
    assert [first.next() for _ in range(4)] == [second.next() for _ in range(4)]


def test_batch_larger_than_the_instances_uses_them_all() -> None:
    sampler = MinibatchSampler(3, 10, seed=0)
    assert sorted(sampler.next()) == [0, 1, 2]


@settings(max_examples=40, deadline=None)
@given(
    points=arrays(np.float32, st.tuples(st.integers(1, 12), st.just(3)),
                  elements=st.floats(-1, 1, width=32)),
    memory=st.integers(0, 4),
    epsilon=st.floats(0.05, 1.5),
)
def test_epsilon_net_keeps_accepted_children_apart_and_rejects_only_covered_ones(
    points: np.ndarray, memory: int, epsilon: float
) -> None:
    norms = np.linalg.norm(points, axis=1, keepdims=True)
    assume(bool((norms > 1e-3).all()))
    unit = points / norms
    net = EpsilonNet(epsilon, dim=3)
    if memory:
        net.add(unit[:memory])
    children = unit[memory:]
    assume(len(children) > 0)
    decision = net.filter(children)
    kept = np.vstack([net.vectors, children[list(decision.accepted)]])
    for i in decision.accepted:
        others = np.delete(kept, len(net) + decision.accepted.index(i), axis=0)
        if len(others):
            assert np.sqrt(np.clip(2 - 2 * (others @ children[i]).max(), 0, None)) > epsilon - 1e-5
    for i in decision.rejected:
        assert np.sqrt(np.clip(2 - 2 * (kept @ children[i]).max(), 0, None)) <= epsilon + 1e-5


def test_ucb_bonus_grows_with_the_number_of_trials_and_lcb_shrinks() -> None:
    scores = [0.5] * 4
    early, late = PriorityParams((0.0, 1.0), 0.95, trials=10), PriorityParams((0.0, 1.0), 0.95, trials=1000)
    assert get_priority("ucb")(scores, late) > get_priority("ucb")(scores, early) > 0.5
    assert get_priority("lcb")(scores, late) < get_priority("lcb")(scores, early) < 0.5
    assert get_priority("mean")(scores, late) == get_priority("mean")(scores, early) == 0.5


def test_ucb_queue_reorders_as_trials_accumulate() -> None:
    """A candidate with few scores overtakes a slightly better well-measured one once t grows."""
    queue = _queue("ucb", (0.0, 1.0))
    for cid, n, score in (("many", 100, 0.9), ("few", 10, 0.2)):
        queue.add(Candidate({"t": cid}, id=cid))
        queue.record(cid, [Trial(Evaluation(score), f"train/{i}", 1) for i in range(n)])
    queue.push(["many", "few"])
    bonus_gap_then = queue.priority("few") - queue.priority("many")
    queue.add(Candidate({"t": "other"}, id="other"))
    queue.record("other", [Trial(Evaluation(0.0), f"train/{i}", 1) for i in range(100_000)])
    assert bonus_gap_then < 0 < queue.priority("few") - queue.priority("many")
    assert [c.id for c in queue.pop(2)] == ["few", "many"]  # recomputed at pop, not at push
