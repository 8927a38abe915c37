"""Every prompt text of the engine, and the tagged answer format.

Proposal prompt (``PROPOSE_TEMPLATE``), the layout a simulated model can rely on:

1. ``## Objective`` then the domain's ``describe()``.
2. ``## Current parameters`` then one block per parameter, sorted by name::

       <current name="NAME">
       VALUE
       </current>

   ``VALUE`` is the parameter's exact text (no escaping).
3. ``## Feedback on the current minibatch`` then ``Mean score: X over N instances`` and
   one block per evaluation, in batch order::

       <feedback instance="ID" score="0.5" status="ok">
       FEEDBACK TEXT
       </feedback>

4. ``## Recommendations based on what worked`` then the summarizer's current summary
   (this section is left out until there is a summary).
5. ``## Answer format`` (``ANSWER_FORMAT``).

Answer format (proposals): ``<reasoning>...</reasoning>`` followed by one
``<param name="NAME">NEW VALUE</param>`` per parameter to change; parameters left out
keep the parent's value. A value wrapped in one Markdown code fence is unwrapped.

Summary prompt (``SUMMARIZE_TEMPLATE``): ``## Objective``, ``## Current summary``, then
per sampled candidate ``<candidate id="ID" mean_score="X">`` holding its parameters
(``<current name=...>`` blocks as above) and up to two ``<trajectory kind="success|failure"
instance="ID" score="X">`` blocks. Answer: ``<reasoning>...</reasoning>`` then
``<summary>...</summary>``; the summary replaces the old one.
"""

from __future__ import annotations

PROPOSE_SYSTEM = (
    "You improve the parameters of a system. You read its objective, its current "
    "parameters and how they scored, and answer with better parameters in the exact "
    "tagged format requested."
)

PROPOSE_TEMPLATE = """## Objective
{objective}

## Current parameters
{parameters}

## Feedback on the current minibatch
Mean score: {mean_score} over {num_instances} instances (higher is better).
{feedback}
{summary_section}
## Answer format
{answer_format}"""

SUMMARY_SECTION = """
## Recommendations based on what worked
{summary}
"""

CURRENT_PARAM = '<current name="{name}">\n{value}\n</current>'

FEEDBACK_BLOCK = '<feedback instance="{instance}" score="{score}" status="{status}">\n{feedback}\n</feedback>'

ANSWER_FORMAT = """First explain what to change and why inside <reasoning>...</reasoning>.
Then give the complete new value of each parameter you change, one block each:
<param name="{example_name}">
THE NEW VALUE
</param>
Parameter names: {names}. A parameter you leave out keeps its current value."""

RETRY_NOTE = """

Your previous answer could not be read: {error}
Answer again, using exactly the tags described above."""

SUMMARIZE_SYSTEM = (
    "You study trials of an optimization run and write short, concrete advice about what "
    "makes candidates score well, for whoever proposes the next candidates."
)

SUMMARIZE_TEMPLATE = """## Objective
{objective}

## Current summary
{current_summary}

## Candidates tried
{candidates}

## Answer format
Explain what the trials show inside <reasoning>...</reasoning>.
Then write the updated advice inside <summary>...</summary>. It replaces the current
summary, so keep what still holds and drop what the trials contradict."""

SUMMARY_CANDIDATE = """<candidate id="{id}" mean_score="{mean_score}">
{parameters}
{trajectories}
</candidate>"""

TRAJECTORY_BLOCK = '<trajectory kind="{kind}" instance="{instance}" score="{score}">\n{feedback}\n</trajectory>'

NO_SUMMARY_YET = "(none yet)"
