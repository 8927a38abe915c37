"""Rewards re-verify completions: format, program (sandbox) and kernel (hardened evaluator)."""

from __future__ import annotations

import json

import pytest

from polca.trainer.rewards import (
    KernelReward,
    ProgramReward,
    RewardConfig,
    domain_rewards,
    extract_code,
    format_reward,
)

SLOW = "def total(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
FAST = "def total(n):\n    return n * (n - 1) // 2\n"
WRONG = "def total(n):\n    return n\n"
CHECK = json.dumps({"qualname": "total", "inputs": [{"args": [20000]}, {"args": [3]}]})


def _fenced(code: str) -> str:
    return f"Here you go:\n```python\n{code}```\nDone."


def test_extract_code_takes_the_fenced_block() -> None:
    assert extract_code(_fenced(FAST)) == FAST.rstrip("\n")


def test_extract_code_accepts_bare_code_and_chat_messages() -> None:
    assert extract_code(FAST) == FAST.rstrip("\n")
    assert extract_code([{"role": "assistant", "content": _fenced(FAST)}]) == FAST.rstrip("\n")


@pytest.mark.parametrize("text", ["", "   ", "def broken(:\n", "```python\nreturn (\n```"])
def test_extract_code_rejects_what_does_not_parse(text) -> None:
    assert extract_code(text) is None


def test_format_reward_is_one_for_parseable_code_only() -> None:
    assert format_reward([_fenced(FAST), "def (", "x = 1"]) == [1.0, 0.0, 1.0]


def test_program_reward_re_verifies_and_measures_concurrently() -> None:
    reward = ProgramReward(RewardConfig(max_workers=3, timeout_s=60.0, measure_rounds=3, min_sample_s=0.005))
    scores = reward(
        completions=[_fenced(FAST), _fenced(WRONG), "not code ("],
        code=[SLOW] * 3,
        check=[CHECK] * 3,
    )
    assert scores[0] > 1.0
    assert scores[1:] == [0.0, 0.0]


def test_program_reward_caps_the_speedup() -> None:
    reward = ProgramReward(RewardConfig(max_speedup=1.0, measure_rounds=3, min_sample_s=0.005))
    assert reward.score(_fenced(FAST), SLOW, CHECK) == 1.0


def test_program_reward_is_zero_for_a_candidate_that_hangs() -> None:
    hang = "def total(n):\n    while True:\n        pass\n"
    reward = ProgramReward(RewardConfig(timeout_s=2.0))
    assert reward.score(_fenced(hang), SLOW, CHECK) == 0.0


def test_program_reward_without_inputs_scores_zero() -> None:
    assert ProgramReward().score(_fenced(FAST), SLOW, json.dumps({"qualname": "total"})) == 0.0


def test_kernel_reward_is_zero_when_the_guards_flag_the_source(tmp_path) -> None:
    problem = tmp_path / "1_add.py"
    problem.write_text(
        "import torch\n\nclass Model(torch.nn.Module):\n    def forward(self, a, b):\n        return a + b\n\n"
        "def get_inputs():\n    return [torch.randn(8), torch.randn(8)]\n\n"
        "def get_init_inputs():\n    return []\n"
    )
    cheat = "import torch\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, a, b):\n        return torch.add(a, b)\n"
    check = json.dumps({"problem_path": str(problem), "level": None})
    reward = KernelReward(RewardConfig(timeout_s=60.0))
    assert reward(completions=[_fenced(cheat), "```python\n(\n```"], check=[check, check]) == [0.0, 0.0]


def test_domain_rewards_are_format_then_verified() -> None:
    format_fn, verified = domain_rewards("program")
    assert format_fn is format_reward and isinstance(verified, ProgramReward)
    assert isinstance(domain_rewards("kernel")[1], KernelReward)
    with pytest.raises(ValueError, match="program, kernel"):
        domain_rewards("prompt")


def test_reward_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_workers"):
        RewardConfig(max_workers=0)


def test_program_reward_decodes_safe_inputs() -> None:
    check = json.dumps({"qualname": "total", "inputs": [{"args": [{"$t": "int", "v": "3000"}]}]})
    reward = ProgramReward(RewardConfig(measure_rounds=3, min_sample_s=0.005))
    assert reward.score(_fenced(WRONG), SLOW, check) == 0.0
    assert reward.score(_fenced(FAST), SLOW, check) > 0.0


def test_program_reward_uses_pickled_inputs_only_when_allowed() -> None:
    import base64
    import pickle

    check = json.dumps({"qualname": "total", "pickled_inputs": [base64.b64encode(pickle.dumps(((500,), {}))).decode()]})
    config = RewardConfig(measure_rounds=3, min_sample_s=0.005)
    assert ProgramReward(config).score(_fenced(FAST), SLOW, check) == 0.0  # no inputs it may use
    allowed = ProgramReward(config, allow_pickle=True)
    assert allowed.score(_fenced(WRONG), SLOW, check) == 0.0
    assert allowed.score(_fenced(FAST), SLOW, check) > 0.0


class Hostile:
    """Unpickling this writes ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('pwned')",))


def test_a_hostile_pickled_input_never_runs_without_allow_pickle(tmp_path) -> None:
    import base64
    import pickle

    marker = tmp_path / "pwned"
    hostile = base64.b64encode(pickle.dumps(((Hostile(str(marker)),), {}))).decode()
    check = json.dumps({"qualname": "total", "inputs": [{"args": [50]}], "pickled_inputs": [hostile]})
    reward = ProgramReward(RewardConfig(measure_rounds=3, min_sample_s=0.005))
    assert reward.score(_fenced(FAST), SLOW, check) > 0.0  # the safe input still verifies
    assert not marker.exists()
