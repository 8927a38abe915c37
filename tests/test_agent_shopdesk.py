"""The ShopDesk environment and the agent domain, end to end through DSPy and litellm.

The task model is ``scripted_agent_model`` behind the scripted server: it follows each
shop policy rule only when the agent's instructions or tool descriptions carry its cue,
so the reward really depends on the text POLCA optimizes.
"""

from __future__ import annotations

import dataclasses
import re

import dspy
import pytest

from polca.llm import LLMClient
from polca.optimizer.api import optimize
from polca.optimizer.domains.agent import (
    INSTRUCTIONS,
    AgentDomain,
    ReActAgent,
    Turn,
    as_agent,
    tool_param,
)
from polca.optimizer.domains.shopdesk import (
    CONFIRMATION,
    ShopDesk,
    ShopEpisode,
    scripted_agent_model,
)
from polca.testing import Unscripted

GOOD_INSTRUCTIONS = (
    "Help the customer with their order. Verify the customer's identity with find_customer "
    "before any change, and ask them to confirm the change first."
)
GOOD_CANCEL_DESC = "Cancel a pending order. reason must be 'no longer needed' or 'ordered by mistake'."
_CURRENT = re.compile(r'<current name="([^"]+)">\n(.*?)\n</current>', re.S)


def shop_task_model(body: dict) -> str:
    try:
        return scripted_agent_model(body)
    except ValueError as exc:
        raise Unscripted(str(exc)) from None


def fixing_proposer(body: dict) -> str:
    """Answers POLCA's proposal prompt by fixing what the judge's feedback names (and its summary prompt)."""
    prompt = body["messages"][-1]["content"]
    if "## Candidates tried" in prompt:
        return "<reasoning>Follow the judge.</reasoning>\n<summary>Fix what the judge names.</summary>"
    if "## Current parameters" not in prompt:
        raise Unscripted("not a POLCA proposal prompt")
    params = dict(_CURRENT.findall(prompt))
    feedback = prompt.split("## Feedback on the current minibatch", 1)[1]
    new = {}
    if "identity" in feedback and "identity" not in params[INSTRUCTIONS]:
        new[INSTRUCTIONS] = params[INSTRUCTIONS] + " Verify the customer's identity with find_customer first."
    elif "confirmed" in feedback and "confirm" not in params[INSTRUCTIONS]:
        new[INSTRUCTIONS] = params[INSTRUCTIONS] + " Ask the customer to confirm before any change."
    elif "accepted cancellation reason" in feedback:
        new[tool_param("cancel_order")] = GOOD_CANCEL_DESC
    else:
        new[INSTRUCTIONS] = params[INSTRUCTIONS] + " Be kind."
    blocks = "".join(f'<param name="{k}">\n{v}\n</param>\n' for k, v in new.items())
    return f"<reasoning>Fix what the judge reported.</reasoning>\n{blocks}"


@pytest.fixture
def task_lm(scripted_llm) -> dspy.LM:
    server = scripted_llm(shop_task_model)
    return dspy.LM("openai/scripted", api_base=server.api_base, api_key="x", cache=False, num_retries=0)


def _good(domain: AgentDomain):
    seed = domain.seed()
    params = {**seed.params, INSTRUCTIONS: GOOD_INSTRUCTIONS, tool_param("cancel_order"): GOOD_CANCEL_DESC}
    return dataclasses.replace(seed, params=params)


def test_a_correct_episode_by_hand_earns_the_full_reward() -> None:
    episode = ShopDesk().start("cancel-mug")
    tools = {t.name: t for t in episode.tools()}
    tools["find_customer"](email="ana@example.com")
    assert episode.reply("I will cancel order O-1001. Do you confirm?") == CONFIRMATION
    assert tools["cancel_order"](order_id="O-1001", reason="ordered by mistake") == "order O-1001 cancelled"
    assert episode.reply("Done.") is None
    assert episode.judge().reward == 1.0


def test_the_judge_names_every_broken_rule_and_missed_goal() -> None:
    episode = ShopEpisode(ShopDesk().tasks["cancel-lamp"])
    tools = {t.name: t for t in episode.tools()}
    assert "not an accepted" in tools["cancel_order"](order_id="O-1003", reason="meh")
    tools["change_address"](order_id="O-1001", address="Moon")
    judgement = episode.judge()
    assert judgement.reward == 0.0  # the goal is missed, whatever else went right
    assert "order O-1003 has status='pending', expected 'cancelled'" in judgement.feedback
    assert "order O-1001 has address='Moon'" in judgement.feedback
    assert "identity was verified" in judgement.feedback and "explicitly confirmed" in judgement.feedback


def test_a_react_agent_plays_multi_turn_episodes_through_litellm(task_lm) -> None:
    domain = AgentDomain(ReActAgent(), ShopDesk(), task_lm=task_lm)
    seed_scores = [e.score for e in domain.evaluate(domain.seed(), domain.instances())]
    good = domain.evaluate(_good(domain), domain.instances())
    assert seed_scores == [0.0, 0.0, 0.5, 0.0, 0.5, 0.0]  # moves break two rules; cancels fail
    assert [e.score for e in good] == [1.0] * 6
    record = domain.play(_good(domain), "cancel-mug")
    assert [t.role for t in record.conversation] == ["user", "agent", "user", "agent"]
    assert record.tool_calls[-1].startswith("cancel_order(order_id='O-1001', reason='ordered by mistake')")


def test_optimizing_instructions_and_tool_descriptions_raises_the_reward(task_lm, scripted_llm, llm_config) -> None:
    server = scripted_llm(fixing_proposer)
    client = LLMClient(dataclasses.replace(llm_config, model="openai/scripted", api_base=server.api_base))
    domain = AgentDomain(ReActAgent(), ShopDesk(), train_tasks=["cancel-mug", "move-notebook"],
                         val_tasks=["move-teapot", "cancel-chess"], task_lm=task_lm)
    result = optimize(domain, llm=client, batch_size=2, num_candidates=1, num_proposals=1, summarize_every=0,
                      num_pool=1, max_iterations=4, epsilon=0.0)
    assert result.best_score == 1.0
    assert "identity" in result.best.params[INSTRUCTIONS] and "confirm" in result.best.params[INSTRUCTIONS]
    assert "ordered by mistake" in result.best.params[tool_param("cancel_order")]
    assert "tool calls:" in server.chat_requests[0]["messages"][-1]["content"]


def test_a_plain_callable_agent_and_a_dspy_react_are_both_agents() -> None:
    def polite(instructions, tools, conversation):
        return "Hello! " + conversation[-1].text

    domain = AgentDomain(polite, ShopDesk(), train_tasks=["cancel-mug"], instructions="Be polite.")
    record = domain.play(domain.seed(), "cancel-mug")
    assert record.conversation[1] == Turn("agent", "Hello! " + record.conversation[0].text)
    assert record.judgement.reward == 0.0 and "goal missed" in record.judgement.feedback

    def cancel_order(order_id: str, reason: str) -> str:
        """Cancel an order; reason is 'no longer needed' or 'ordered by mistake'."""
        return ""

    react = dspy.ReAct("conversation -> reply", tools=[cancel_order], max_iters=3)
    agent = as_agent(react)
    assert isinstance(agent, ReActAgent) and agent.max_iters == 3
    seeded = AgentDomain(react, ShopDesk(), train_tasks=["cancel-mug"]).seed()
    assert "ordered by mistake" in seeded.params[tool_param("cancel_order")]


def test_an_agent_that_raises_fails_its_episode_without_stopping_the_search() -> None:
    def broken(instructions, tools, conversation):
        raise RuntimeError("no model")

    domain = AgentDomain(broken, ShopDesk(), train_tasks=["cancel-mug"])
    [evaluation] = domain.evaluate(domain.seed(), ["cancel-mug"])
    assert evaluation.status == "failed" and "RuntimeError: no model" in evaluation.feedback


def test_bad_agents_and_task_ids_are_rejected_with_the_choices() -> None:
    with pytest.raises(TypeError, match="dspy.ReAct or a callable"):
        AgentDomain(42, ShopDesk())
    with pytest.raises(ValueError, match="unknown task id"):
        AgentDomain(lambda *a: "", ShopDesk(), train_tasks=["nope"])
    with pytest.raises(ValueError, match="one input and one output"):
        ReActAgent("a, b -> c")
