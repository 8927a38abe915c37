"""ShopDesk: a small offline environment for optimizing tool-using agents without a network.

A shop's help desk: customers and orders in an in-memory database, four tools
(``find_customer``, ``get_order``, ``cancel_order``, ``change_address``), and tasks whose
goal states can be checked exactly. The shop's policy, which the judge enforces and the
seed instructions do not state:

1. an order may be changed only after the customer's identity was verified with
   ``find_customer`` (by the email the customer gave);
2. an order may be changed only after the customer explicitly confirmed the change;
3. ``cancel_order`` accepts only the reasons ``no longer needed`` and ``ordered by mistake``.

An episode's reward is 0.0 when the database misses the task's goal state (or anything
else changed), else 1.0 less 0.25 per policy rule broken (rules 1 and 2; a bad reason
leaves the order unchanged, so the goal is missed). The feedback names the missed goal
and each broken rule. The
user is scripted and deterministic: they open with their request (email, order, what to
do and why in their own words) and answer "Yes, I confirm." when asked "Do you confirm?".

``scripted_agent_model`` is a deterministic stand-in for the task LM: an OpenAI-style
chat responder (for ``polca.testing.ScriptedServer``) that answers a
``dspy.ReAct`` agent's prompts in ChatAdapter format and follows each policy rule only
when its prompt carries the matching cue (see ``VERIFY_CUE``, ``CONFIRM_CUE``,
``REASONS_CUE``). With it, better instructions and tool descriptions really earn more
reward, offline::

    with ScriptedServer(scripted_agent_model) as server:
        lm = dspy.LM("openai/scripted", api_base=server.api_base, api_key="x", cache=False)
        domain = AgentDomain(ReActAgent(), ShopDesk(), task_lm=lm)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import dspy

from polca.optimizer.domains.agent import Judgement

ACCEPTED_REASONS = ("no longer needed", "ordered by mistake")
VERIFY_CUE = "identity"  # instructions that mention verifying the customer's identity
CONFIRM_CUE = "confirm"  # instructions that ask for the customer's confirmation
REASONS_CUE = "ordered by mistake"  # a cancel_order description that lists the reasons
CONFIRMATION = "Yes, I confirm."
CONFIRM_QUESTION = "Do you confirm?"
_PENALTY_PER_RULE = 0.25

_CUSTOMERS = {
    "ana@example.com": "Ana Ruiz",
    "ben@example.com": "Ben Okafor",
    "chen@example.com": "Chen Wei",
    "dana@example.com": "Dana Novak",
}
_ORDERS = {
    "O-1001": ("ana@example.com", "blue mug", "pending", "3 Oak Rd, Lisbon"),
    "O-1002": ("ana@example.com", "tea set", "shipped", "3 Oak Rd, Lisbon"),
    "O-1003": ("ben@example.com", "desk lamp", "pending", "8 Hill St, Lagos"),
    "O-1004": ("chen@example.com", "notebook", "pending", "21 River Ln, Suzhou"),
    "O-1005": ("dana@example.com", "chess set", "pending", "5 Lake Ave, Brno"),
    "O-1006": ("ana@example.com", "teapot", "pending", "3 Oak Rd, Lisbon"),
    "O-1007": ("ben@example.com", "armchair", "pending", "8 Hill St, Lagos"),
}


@dataclass(frozen=True)
class ShopTask:
    """One customer request and the order state it should end in."""

    id: str
    email: str
    order_id: str
    action: Literal["cancel", "address"]
    opening: str
    goal: Mapping[str, str]  # the order's fields after the task, e.g. {"status": "cancelled"}


TASKS: tuple[ShopTask, ...] = (
    ShopTask("cancel-mug", "ana@example.com", "O-1001", "cancel",
             "Hi, I'm ana@example.com. Please cancel order O-1001, I ordered it by accident.",
             {"status": "cancelled", "cancel_reason": "ordered by mistake"}),
    ShopTask("cancel-lamp", "ben@example.com", "O-1003", "cancel",
             "Hello, this is ben@example.com. Cancel O-1003 please, I don't need it anymore.",
             {"status": "cancelled", "cancel_reason": "no longer needed"}),
    ShopTask("move-notebook", "chen@example.com", "O-1004", "address",
             "Hi, chen@example.com here. Please ship order O-1004 to 9 Canal St, Suzhou.",
             {"address": "9 Canal St, Suzhou"}),
    ShopTask("cancel-chess", "dana@example.com", "O-1005", "cancel",
             "Hey, dana@example.com. I clicked buy by accident, please cancel O-1005.",
             {"status": "cancelled", "cancel_reason": "ordered by mistake"}),
    ShopTask("move-teapot", "ana@example.com", "O-1006", "address",
             "Hi, I'm ana@example.com. Please send O-1006 to 14 Pine Rd, Porto.",
             {"address": "14 Pine Rd, Porto"}),
    ShopTask("cancel-armchair", "ben@example.com", "O-1007", "cancel",
             "ben@example.com here. I don't need the armchair in O-1007 anymore, cancel it.",
             {"status": "cancelled", "cancel_reason": "no longer needed"}),
)


def fresh_database() -> dict[str, dict[str, Any]]:
    """The shop's starting state: ``{"customers": {email: ...}, "orders": {id: ...}}``."""
    orders = {
        oid: {"customer": email, "item": item, "status": status, "address": address, "cancel_reason": ""}
        for oid, (email, item, status, address) in _ORDERS.items()
    }
    customers = {
        email: {"name": name, "orders": sorted(o for o, v in orders.items() if v["customer"] == email)}
        for email, name in _CUSTOMERS.items()
    }
    return {"customers": customers, "orders": orders}


@dataclass
class ShopState:
    """One episode's database and the ordered log of what touched it."""

    db: dict[str, dict[str, Any]] = field(default_factory=fresh_database)
    events: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)

    def find_customer(self, email: str) -> str:
        """Look up a customer by email."""
        customer = self.db["customers"].get(email.strip().lower())
        if customer is None:
            return f"no customer with email {email!r}"
        self.events.append(("verified", email.strip().lower()))
        return json.dumps({"email": email, **customer})

    def get_order(self, order_id: str) -> str:
        """Show an order."""
        order = self.db["orders"].get(order_id.strip())
        return json.dumps({"order_id": order_id, **order}) if order else f"no order {order_id!r}"

    def cancel_order(self, order_id: str, reason: str) -> str:
        """Cancel an order."""
        order = self.db["orders"].get(order_id.strip())
        if order is None:
            return f"error: no order {order_id!r}"
        if order["status"] != "pending":
            return f"error: order {order_id} is {order['status']} and can no longer be cancelled"
        if reason.strip().lower() not in ACCEPTED_REASONS:
            return f"error: {reason!r} is not an accepted cancellation reason; the order is unchanged"
        order.update(status="cancelled", cancel_reason=reason.strip().lower())
        self.events.append(("changed", order_id.strip()))
        return f"order {order_id} cancelled"

    def change_address(self, order_id: str, address: str) -> str:
        """Change the shipping address of an order."""
        order = self.db["orders"].get(order_id.strip())
        if order is None:
            return f"error: no order {order_id!r}"
        if order["status"] != "pending":
            return f"error: order {order_id} is {order['status']}; its address can no longer change"
        order["address"] = address.strip()
        self.events.append(("changed", order_id.strip()))
        return f"order {order_id} will ship to {address.strip()}"


class ShopEpisode:
    """One task played once: fresh database, scripted user, judge (an ``Episode``)."""

    def __init__(self, task: ShopTask) -> None:
        self.task = task
        self.state = ShopState()

    def tools(self) -> list[dspy.Tool]:
        s = self.state
        return [dspy.Tool(fn) for fn in (s.find_customer, s.get_order, s.cancel_order, s.change_address)]

    def opening(self) -> str:
        return self.task.opening

    def reply(self, agent_message: str) -> str | None:
        if CONFIRM_QUESTION.lower() in agent_message.lower() and ("user", CONFIRMATION) not in self.state.events:
            self.state.events.append(("user", CONFIRMATION))
            return CONFIRMATION
        return None

    def judge(self) -> Judgement:
        missed, broken = self._goal_problems(), self._policy_problems()
        if not missed and not broken:
            return Judgement(1.0, "goal reached and no policy broken")
        reward = 0.0 if missed else max(0.0, 1.0 - _PENALTY_PER_RULE * len({rule for rule, _ in broken}))
        return Judgement(reward, "\n".join(missed + [text for _, text in broken]))

    def _goal_problems(self) -> list[str]:
        expected = fresh_database()
        expected["orders"][self.task.order_id].update(self.task.goal)
        problems = []
        for oid, order in self.state.db["orders"].items():
            for key, want in expected["orders"][oid].items():
                if order[key] != want:
                    problems.append(f"goal missed: order {oid} has {key}={order[key]!r}, expected {want!r}")
        return problems

    def _policy_problems(self) -> list[tuple[str, str]]:
        """(rule, text) for each broken rule, in the order the changes happened."""
        problems, verified, confirmed = [], set(), False
        for kind, detail in self.state.events:
            if kind == "verified":
                verified.add(detail)
            elif kind == "user":
                confirmed = True
            elif kind == "changed":
                owner = self.state.db["orders"][detail]["customer"]
                if owner not in verified:
                    problems.append(("identity", f"policy broken: order {detail} was changed before the "
                                     "customer's identity was verified with find_customer"))
                if not confirmed:
                    problems.append(("confirmation", f"policy broken: order {detail} was changed before "
                                     "the customer explicitly confirmed the change"))
        return problems


class ShopDesk:
    """The ShopDesk environment (an ``Environment``): six tasks, three policy rules."""

    def __init__(self, tasks: Sequence[ShopTask] = TASKS) -> None:
        self.tasks = {task.id: task for task in tasks}

    def task_ids(self) -> list[str]:
        return list(self.tasks)

    def start(self, task_id: str) -> ShopEpisode:
        if task_id not in self.tasks:
            raise ValueError(f"unknown ShopDesk task {task_id!r}; the tasks are {list(self.tasks)}")
        return ShopEpisode(self.tasks[task_id])


_CONVERSATION = re.compile(r"\[\[ ## conversation ## \]\]\n(.*?)(?=\n\n\[\[ ## trajectory ## \]\]|\Z)", re.S)
_TRAJECTORY = re.compile(r"\[\[ ## trajectory ## \]\]\n(.*?)(?=\n\nRespond with|\Z)", re.S)
_TOOL_NAME = re.compile(r"\[\[ ## tool_name_\d+ ## \]\]\n(\w+)")
_OBSERVATION = re.compile(r"\[\[ ## observation_\d+ ## \]\]\n(.*?)(?=\n\n\[\[ ## |\Z)", re.S)
_CANCEL_DESC = re.compile(r"cancel_order, whose description is <desc>(.*?)</desc>", re.S)
_EMAIL = re.compile(r"[\w.]+@[\w.]+\w")
_ORDER = re.compile(r"\bO-\d{4}\b")
_ADDRESS = re.compile(r"\bto (\d+ [^.]+)")
_RAW_REASON = {"accident": "ordered by mistake", "anymore": "no longer needed"}


@dataclass(frozen=True)
class _Request:
    """What a customer asked for, read from the conversation."""

    email: str
    order_id: str
    action: Literal["cancel", "address"]
    raw_reason: str
    address: str
    confirmed: bool

    @classmethod
    def read(cls, conversation: str) -> _Request:
        opening = conversation.splitlines()[0] if conversation else ""
        email, order = _EMAIL.search(opening), _ORDER.search(opening)
        address = _ADDRESS.search(opening)
        reason = next((word for word in _RAW_REASON if word in opening), "")
        return cls(
            email.group(0) if email else "",
            order.group(0) if order else "",
            "address" if address else "cancel",
            f"because of {reason}" if reason else "",
            address.group(1).strip() if address else "",
            CONFIRMATION in conversation,
        )

    def tool(self) -> str:
        return "change_address" if self.action == "address" else "cancel_order"

    def tool_args(self, knows_reasons: bool) -> dict[str, str]:
        if self.action == "address":
            return {"order_id": self.order_id, "address": self.address}
        reason = next((v for k, v in _RAW_REASON.items() if k in self.raw_reason), "")
        return {"order_id": self.order_id, "reason": reason if knows_reasons else self.raw_reason}


def scripted_agent_model(body: Mapping[str, Any]) -> str:
    """A deterministic ``dspy.ReAct`` task model for ShopDesk (a ScriptedServer responder).

    It verifies identity first only if the prompt mentions ``identity``, asks for
    confirmation before a change only if it mentions ``confirm``, and maps the customer's
    words to an accepted cancellation reason only if cancel_order's description lists
    ``ordered by mistake``. Raises ValueError on a prompt that is no ReAct ShopDesk prompt.
    """
    messages = body.get("messages") or []
    if len(messages) < 2 or "your objective is" not in str(messages[0].get("content", "")):
        raise ValueError("not a DSPy ChatAdapter request")
    system, user = str(messages[0]["content"]), str(messages[-1]["content"])
    conversation = _section(_CONVERSATION, user)
    trajectory = _section(_TRAJECTORY, user)
    request = _Request.read(conversation)
    if "next_tool_name" in system:
        return _react_step(system, request, _TOOL_NAME.findall(trajectory))
    return _final_reply(system, request, trajectory)


def _section(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return match.group(1).strip() if match else ""


def _react_step(system: str, request: _Request, called: list[str]) -> str:
    cancel_desc = _CANCEL_DESC.search(system)
    knows_reasons = bool(cancel_desc and REASONS_CUE in cancel_desc.group(1))
    if VERIFY_CUE in system.lower() and "find_customer" not in called:
        return _step("Verify who I am talking to.", "find_customer", {"email": request.email})
    if CONFIRM_CUE in system.lower() and not request.confirmed:
        return _step("Ask the customer to confirm first.", "finish", {})
    if request.tool() not in called:
        return _step("Make the change.", request.tool(), request.tool_args(knows_reasons))
    return _step("Done.", "finish", {})


def _step(thought: str, tool: str, args: Mapping[str, str]) -> str:
    return (
        f"[[ ## next_thought ## ]]\n{thought}\n\n[[ ## next_tool_name ## ]]\n{tool}\n\n"
        f"[[ ## next_tool_args ## ]]\n{json.dumps(dict(args))}\n\n[[ ## completed ## ]]"
    )


def _final_reply(system: str, request: _Request, trajectory: str) -> str:
    observations = _OBSERVATION.findall(trajectory)
    if request.tool() in _TOOL_NAME.findall(trajectory):
        changed = [o for o in observations if request.order_id in o or "error" in o]
        reply = f"Done: {changed[-1].strip() if changed else observations[-1].strip()}"
    elif CONFIRM_CUE in system.lower() and not request.confirmed:
        what = "cancel" if request.action == "cancel" else "change the address of"
        reply = f"I will {what} order {request.order_id}. {CONFIRM_QUESTION}"
    else:
        reply = "Sorry, I could not complete your request."
    return f"[[ ## reasoning ## ]]\nReport the outcome.\n\n[[ ## reply ## ]]\n{reply}\n\n[[ ## completed ## ]]"
