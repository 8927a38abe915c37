"""Held-out verification: inputs the search never saw, for the final verdict only.

A candidate is searched against the oracle's search inputs; before it is offered it must
also behave like the original on a fresh set: generated calls with new seeds, boundary
values and the top of the size ladder (:func:`.inputs.heldout_calls`), sizes far above the
ladder where the original answers them quickly (:func:`.inputs.large_size_calls`), so that
a rewrite tuned to small inputs (a memoized recursion, a dropped rare branch or cap,
``lower`` for ``casefold``) is caught, and a share of the traced calls.

Traced inputs (tests, script runs) are split (:func:`split_traced`): every
:data:`HELDOUT_EVERY`-th call is held out. :func:`keep_heldout` keeps the held-out inputs
on which the original answers deterministically, raising a clean exception or not, and
drops (with a count) those where it times out or crashes. :func:`raising_inputs` finds
the inputs on which the original raises: they stay in the oracle but are not timed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from polca.config import SandboxConfig
from polca.optimizer.domains.program.isolation import SELF_CHECK, backend_of, limits_of
from polca.optimizer.domains.program.oracle import InputSet, OracleCheck
from polca.sandbox.difftest import compare, self_check
from polca.sandbox.target import InputItem, Target
from polca.sandbox.types import Limits

log = logging.getLogger(__name__)

HELDOUT_EVERY = 4
"""Of traced inputs, every 4th is held out (when there are at least that many)."""

RUN_ALONE_TIMEOUT_S = 5.0  # one held-out input run alone
HELDOUT_BATCH_TIMEOUT_S = 20.0  # the original on all held-out inputs at once, before trying them one by one


# ---------------------------------------------------------------- traced inputs


def split_traced(inputs: InputSet) -> tuple[InputSet, InputSet]:
    """(search, held-out): every :data:`HELDOUT_EVERY`-th input held out, when there are that many."""
    if len(inputs.inputs) < HELDOUT_EVERY:
        return inputs, InputSet(())
    labels = [name for name, count in inputs.sources.items() for _ in range(count)]
    labels += ["traced"] * (len(inputs.inputs) - len(labels))
    search: dict[str, int] = {}
    kept, held = [], []
    for index, (item, label) in enumerate(zip(inputs.inputs, labels, strict=False)):
        if index % HELDOUT_EVERY == HELDOUT_EVERY - 1:
            held.append(item)
        else:
            kept.append(item)
            search[label] = search.get(label, 0) + 1
    return InputSet(tuple(kept), search), InputSet(tuple(held), {"traced (held-out)": len(held)})


# ---------------------------------------------------------------- the original on held-out inputs


def keep_heldout(original: Target, inputs: Sequence[InputItem], sandbox: SandboxConfig) -> OracleCheck:
    """The held-out inputs the original answers deterministically (a clean exception counts);
    those it times out or crashes on, or answers differently twice, are dropped (``dropped``)."""
    if not inputs:
        return OracleCheck((), 0, "ok")
    batch = Limits(timeout_s=min(HELDOUT_BATCH_TIMEOUT_S, sandbox.timeout_s * SELF_CHECK), memory_mb=sandbox.memory_mb)
    report = self_check(original, list(inputs), backend=backend_of(sandbox), limits=batch)
    if report.status == "ok":
        kept = tuple(inputs[o.index] for o in report.outcomes if o.equal)
    else:  # one input timed out or crashed the run: find which, one at a time
        limits = Limits(timeout_s=min(RUN_ALONE_TIMEOUT_S, sandbox.timeout_s * SELF_CHECK), memory_mb=sandbox.memory_mb)
        kept = tuple(item for item in inputs
                     if self_check(original, [item], backend=backend_of(sandbox), limits=limits).equal)
    dropped = len(inputs) - len(kept)
    if dropped:
        log.info("%s: dropped %d of %d held-out inputs (the original timed out, crashed or disagreed with itself)",
                 original.qualname, dropped, len(inputs))
    return OracleCheck(kept, dropped, "ok")


def raising_inputs(original: Target, inputs: Sequence[InputItem], sandbox: SandboxConfig) -> frozenset[int]:
    """Indices of ``inputs`` on which the original raises (compared against a stand-in that
    returns None, an exception shows as an "exception" mismatch). Empty for scripts and
    methods, where no stand-in can be put in place."""
    qualname = original.qualname
    if qualname is None or "." in qualname or not inputs:
        return frozenset()
    stand_in = Target(source=f"{original.source}\n\n\ndef {qualname}(*args, **kwargs):\n    return None\n",
                      qualname=qualname, module_name=original.module_name, files=original.files)
    report = compare(original, stand_in, list(inputs), backend=backend_of(sandbox),
                     limits=limits_of(sandbox, SELF_CHECK))
    if report.status != "ok":
        return frozenset()
    return frozenset(o.index for o in report.outcomes if any(m.check == "exception" for m in o.mismatches))
