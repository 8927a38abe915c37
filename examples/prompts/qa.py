"""A small DSPy program and feedback metric to try ``polca optimize-prompt`` on.

From this folder, with any two litellm models (the proposer should be the stronger)::

    polca optimize-prompt qa:program --trainset qa_train.jsonl --valset qa_val.jsonl \
        --metric qa:metric --model openai/gpt-4o --task-model openai/gpt-4o-mini

The answers are single words or numbers; the seed instruction says nothing about the
expected form, so the search has something to find ("answer with one lowercase word or
a number, no sentence").
"""

import dspy

program = dspy.ChainOfThought("question -> answer")


def metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
    """Exact match after trimming; the feedback says what was expected."""
    said = str(pred.answer).strip()
    if said == gold.answer:
        return dspy.Prediction(score=1.0, feedback="correct")
    return dspy.Prediction(score=0.0, feedback=f"expected exactly {gold.answer!r}, got {said!r}")
