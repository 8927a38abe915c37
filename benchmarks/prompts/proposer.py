"""The proposer side: the search benchmark's simulated model behind every contestant's prompt.

``SimulatedModel.edit(text, feedback)`` (``benchmarks.search.model``) makes the one edit
decision all contestants share: with probability ``p`` an informed step that raises the
true quality, else it follows a hint of the feedback, else a random step. This module
only recognises where each contestant's prompt keeps the current instruction and the
feedback, and answers in the form that contestant parses:

- POLCA's proposal prompt (``<current name=...>`` blocks) and summary prompt (answered by
  the search benchmark's simulated summarizer);
- GEPA's reflection prompt: gepa's own (the instruction in the first fence, feedback in
  the second) and dspy.GEPA's DSPy form (``current_instruction`` and
  ``examples_with_feedback`` fields in, a JSON ``new_instruction`` out);
- MIPROv2's instruction proposal (ChatAdapter, ``basic_instruction`` in, no feedback).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from benchmarks.prompts.task import with_header
from benchmarks.search.model import (
    GepaReflectionFormat,
    PolcaSummaryFormat,
    SimulatedModel,
    request_text,
    summarize_best_so_far,
)

_POLCA_CURRENT = re.compile(r'<current name="([^"]+)">\n(.*?)\n</current>', re.S)
_DSPY_GEPA = re.compile(
    r"\[\[ ## current_instruction ## \]\]\n(.*?)\n\n\[\[ ## examples_with_feedback ## \]\]\n(.*?)(?=\n\nRespond with|\Z)",
    re.S,
)
_MIPRO_BASIC = re.compile(r"\[\[ ## basic_instruction ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond with|\Z)", re.S)


class SimulatedProposer:
    """A ScriptedServer responder for POLCA, GEPA and MIPROv2 prompts; ``calls`` counts them."""

    def __init__(self, model: SimulatedModel) -> None:
        self.model = model
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, body: Mapping[str, Any]) -> str:
        with self._lock:
            self.calls += 1
        prompt = request_text(body)
        if PolcaSummaryFormat().matches(prompt):
            return summarize_best_so_far(prompt)
        if "## Current parameters" in prompt:
            return self._polca(prompt)
        if GepaReflectionFormat().matches(prompt):
            text, feedback = GepaReflectionFormat().read(prompt)
            return f"Here is the improved instruction.\n```\n{self._edit(text, feedback)}\n```"
        dspy_gepa = _DSPY_GEPA.search(prompt)
        if dspy_gepa is not None and "new_instruction" in prompt:
            return json.dumps({"new_instruction": self._edit(dspy_gepa.group(1), dspy_gepa.group(2))})
        basic = _MIPRO_BASIC.search(prompt)
        if basic is not None and "proposed_instruction" in prompt:
            new = self._edit(basic.group(1), "")
            return f"[[ ## proposed_instruction ## ]]\n{new}\n\n[[ ## completed ## ]]"
        raise ValueError(f"the simulated proposer got a prompt in no known format: {prompt[:200]!r}")

    def _polca(self, prompt: str) -> str:
        head, _, rest = prompt.partition("## Feedback on the current minibatch")
        feedback = rest.split("## Answer format")[0]
        blocks = []
        for name, text in _POLCA_CURRENT.findall(head):
            blocks.append(f'<param name="{name}">\n{self._edit(text, feedback)}\n</param>')
        return "<reasoning>Move the cues the feedback points at.</reasoning>\n" + "\n".join(blocks)

    def _edit(self, text: str, feedback: str) -> str:
        return with_header(self.model.edit(text, feedback))
