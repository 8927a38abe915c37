"""The agent domain: POLCA searches a tool-using agent's instructions and tool descriptions.

An *environment* offers tasks; each task starts a fresh *episode*: tools over the
episode's own state, a scripted user who opens the conversation and answers the agent,
and a judge that gives the episode's reward and a feedback text once it is over. An
*agent* is any callable ``agent(instructions, tools, conversation) -> reply``: it reads
the conversation so far, may call the tools, and answers the user with one message. A
``dspy.ReAct`` becomes one through ``ReActAgent``.

A candidate holds ``instructions`` and one ``tool.<name>.desc`` per tool. Evaluating it
on a task runs a whole multi-turn episode (user, agent, user, ... until the user is done
or ``max_turns``), with the tools rebuilt to carry the candidate's descriptions. The
feedback the proposer sees is the judge's, the conversation and every tool call.

An agent that raises is a failed episode (reward ``failure_score``), not an exception.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import dspy

from polca.optimizer.contracts import Candidate, Evaluation

log = logging.getLogger(__name__)

INSTRUCTIONS = "instructions"
_MAX_OBSERVATION_CHARS = 300


def tool_param(tool_name: str) -> str:
    """The candidate parameter holding the description of tool ``tool_name``."""
    return f"tool.{tool_name}.desc"


@dataclass(frozen=True)
class Turn:
    """One message of a conversation."""

    role: Literal["user", "agent"]
    text: str


@dataclass(frozen=True)
class Judgement:
    """How an episode went: ``reward`` (higher is better) and why, in words."""

    reward: float
    feedback: str = ""


@runtime_checkable
class Episode(Protocol):
    """One task played once. ``tools()`` act on this episode's state only.

    ``reply`` returns the user's next message, or None when the user is done;
    ``judge`` is called once, after the conversation, and never raises.
    """

    def tools(self) -> Sequence[dspy.Tool]: ...

    def opening(self) -> str: ...

    def reply(self, agent_message: str) -> str | None: ...

    def judge(self) -> Judgement: ...


@runtime_checkable
class Environment(Protocol):
    """Tasks for an agent: ``start(task_id)`` gives a fresh, independent episode."""

    def task_ids(self) -> Sequence[str]: ...

    def start(self, task_id: str) -> Episode: ...


Agent = Callable[[str, Sequence[dspy.Tool], Sequence[Turn]], str]


def format_conversation(conversation: Sequence[Turn]) -> str:
    """The conversation as ``user: ...`` / ``agent: ...`` lines."""
    return "\n".join(f"{turn.role}: {turn.text}" for turn in conversation)


class ReActAgent:
    """A ``dspy.ReAct`` as an agent: rebuilt per call with the given instructions and tools.

    ``signature`` needs exactly one input field (it receives the conversation as text)
    and one output field (the reply). Use ``ReActAgent.from_react(react)`` to take the
    signature, instructions and tool descriptions of an existing ``dspy.ReAct``.
    """

    def __init__(
        self,
        signature: str | type[dspy.Signature] = "conversation -> reply",
        *,
        max_iters: int = 6,
        tool_descriptions: Mapping[str, str] | None = None,
    ) -> None:
        self.signature = dspy.ensure_signature(signature)
        if len(self.signature.input_fields) != 1 or len(self.signature.output_fields) != 1:
            raise ValueError(
                f"ReActAgent needs a signature with one input and one output field, like "
                f"'conversation -> reply'; got {self.signature.signature!r}."
            )
        if max_iters < 1:
            raise ValueError(f"max_iters={max_iters!r} must be at least 1.")
        self.max_iters = max_iters
        self.tool_descriptions = dict(tool_descriptions or {})
        self.instructions = self.signature.instructions

    @classmethod
    def from_react(cls, react: dspy.ReAct) -> ReActAgent:
        """The agent a ``dspy.ReAct`` describes (its own tools only lend their descriptions)."""
        descriptions = {name: tool.desc for name, tool in react.tools.items() if name != "finish" and tool.desc}
        return cls(react.signature, max_iters=react.max_iters, tool_descriptions=descriptions)

    def __call__(self, instructions: str, tools: Sequence[dspy.Tool], conversation: Sequence[Turn]) -> str:
        react = dspy.ReAct(self.signature.with_instructions(instructions), tools=list(tools), max_iters=self.max_iters)
        [input_name] = self.signature.input_fields
        [output_name] = self.signature.output_fields
        prediction = react(**{input_name: format_conversation(conversation)})
        return str(prediction[output_name])


def as_agent(obj: Any) -> Agent:
    """``obj`` as an agent: a ``dspy.ReAct`` is wrapped, any other callable taken as it is."""
    if isinstance(obj, dspy.ReAct):
        return ReActAgent.from_react(obj)
    if callable(obj):
        return obj
    raise TypeError(
        f"an agent must be a dspy.ReAct or a callable agent(instructions, tools, conversation) -> reply; "
        f"got {type(obj).__name__}"
    )


@dataclass
class _ToolLog:
    """Every tool call of an episode, in order."""

    calls: list[str]

    def wrap(self, tool: dspy.Tool, desc: str) -> dspy.Tool:
        @functools.wraps(tool.func)
        def call(**kwargs: Any) -> Any:
            result = tool.func(**kwargs)
            shown = str(result)[:_MAX_OBSERVATION_CHARS]
            self.calls.append(f"{tool.name}({_args(kwargs)}) -> {shown}")
            return result

        return dspy.Tool(call, name=tool.name, desc=desc, args=tool.args, arg_types=tool.arg_types,
                         arg_desc=tool.arg_desc)


def _args(kwargs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


@dataclass(frozen=True)
class EpisodeRecord:
    """What happened in one episode: the conversation, the tool calls and the judgement."""

    task_id: str
    conversation: tuple[Turn, ...]
    tool_calls: tuple[str, ...]
    judgement: Judgement
    error: str = ""

    def feedback(self) -> str:
        lines = [f"task {self.task_id}: reward {self.judgement.reward:g}", self.judgement.feedback]
        if self.error:
            lines.append(f"the agent raised {self.error}")
        lines.append("conversation:\n" + format_conversation(self.conversation))
        calls = "\n".join(f"  {call}" for call in self.tool_calls) or "  (none)"
        lines.append("tool calls:\n" + calls)
        return "\n".join(line for line in lines if line)


class AgentDomain:
    """POLCA's view of an agent in an environment (a ``ValidationDomain``).

    ``train_tasks`` (default: all of the environment's tasks) feed the minibatches,
    ``val_tasks`` (default: none, then the train tasks) score children and the final pool.
    ``task_lm`` runs the agent (default: ``dspy.settings.lm`` when the domain is built).
    ``instructions`` is the seed instruction (default: the agent's own ``instructions``).
    """

    def __init__(
        self,
        agent: Any,
        environment: Environment,
        *,
        train_tasks: Sequence[str] | None = None,
        val_tasks: Sequence[str] | None = None,
        task_lm: dspy.LM | None = None,
        instructions: str | None = None,
        max_turns: int = 6,
        objective: str = "",
        failure_score: float = 0.0,
    ) -> None:
        if not isinstance(environment, Environment):
            raise TypeError(
                f"environment must have task_ids() and start(task_id) (an Environment); "
                f"got {type(environment).__name__}"
            )
        self.agent = as_agent(agent)
        self.environment = environment
        self.train_tasks = _check_tasks("train_tasks", environment, train_tasks)
        self.val_tasks = _check_tasks("val_tasks", environment, val_tasks) if val_tasks else []
        self.task_lm = task_lm if task_lm is not None else dspy.settings.lm
        if max_turns < 1:
            raise ValueError(f"max_turns={max_turns!r} must be at least 1 (agent replies per episode).")
        self.max_turns = max_turns
        self.objective = objective
        self.failure_score = failure_score
        self._seed = self._seed_params(instructions)

    def _seed_params(self, instructions: str | None) -> dict[str, str]:
        text = instructions if instructions is not None else getattr(self.agent, "instructions", "")
        known = getattr(self.agent, "tool_descriptions", {})
        tools = self.environment.start(self.train_tasks[0]).tools()
        params = {INSTRUCTIONS: text or "Help the user with their request, using the tools."}
        params.update({tool_param(t.name): known.get(t.name) or t.desc or t.name for t in tools})
        return params

    def seed(self) -> Candidate:
        return Candidate(dict(self._seed), origin="seed")

    def instances(self) -> Sequence[str]:
        return self.train_tasks

    def validation_instances(self) -> Sequence[str]:
        return self.val_tasks

    def describe(self) -> str:
        goal = self.objective or "Raise the reward the environment gives for each episode."
        return (
            "Write the system instructions of a tool-using agent (parameter 'instructions') and "
            "the descriptions of its tools (parameters 'tool.<name>.desc'). Each episode is a "
            f"multi-turn conversation with a user in which the agent may call tools. {goal} "
            "The feedback shows the judge's verdict, the conversation and every tool call."
        )

    def evaluate(self, candidate: Candidate, batch: Sequence[str]) -> list[Evaluation]:
        records = [self.play(candidate, task_id) for task_id in batch]
        return [
            Evaluation(r.judgement.reward, r.feedback(), status="failed" if r.error else "ok", instance_id=r.task_id)
            for r in records
        ]

    def play(self, candidate: Candidate, task_id: str) -> EpisodeRecord:
        """One whole episode of ``task_id`` with ``candidate``'s instructions and tools."""
        episode = self.environment.start(task_id)
        log_ = _ToolLog([])
        tools = [log_.wrap(t, candidate.params.get(tool_param(t.name), t.desc)) for t in episode.tools()]
        conversation = [Turn("user", episode.opening())]
        error = ""
        with _lm_context(self.task_lm):
            for _ in range(self.max_turns):
                try:
                    reply = self.agent(candidate.params.get(INSTRUCTIONS, ""), tools, tuple(conversation))
                except Exception as exc:
                    log.debug("agent failed on task %s", task_id, exc_info=True)
                    error = f"{type(exc).__name__}: {exc}"
                    break
                conversation.append(Turn("agent", str(reply)))
                answer = episode.reply(str(reply))
                if answer is None:
                    break
                conversation.append(Turn("user", answer))
        judgement = episode.judge() if not error else Judgement(self.failure_score, "the episode was cut short")
        return EpisodeRecord(task_id, tuple(conversation), tuple(log_.calls), judgement, error)


def _lm_context(lm: dspy.LM | None) -> contextlib.AbstractContextManager:
    """Run under ``lm``; a plain callable agent may need no LM at all."""
    return dspy.context(lm=lm) if lm is not None else contextlib.nullcontext()


def _check_tasks(name: str, environment: Environment, tasks: Sequence[str] | None) -> list[str]:
    known = list(environment.task_ids())
    chosen = list(tasks) if tasks is not None else known
    if not chosen:
        raise ValueError(f"{name} is empty; the environment offers the tasks {known}.")
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise ValueError(f"{name} holds unknown task id(s) {unknown}; the environment offers {known}.")
    return chosen
