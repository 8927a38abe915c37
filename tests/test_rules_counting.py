"""counter-for-counting: dict counting loops, with keys derived in the loop body and
``continue`` filters, become ``dict(Counter(...))``; each near-miss is left alone."""

from __future__ import annotations

from tests.fixtures.rules import apply as _apply
from tests.fixtures.rules import same_behaviour as _same_behaviour
from tests.fixtures.rules import unchanged as _unchanged

RULE = "counter-for-counting"
TEXTS = [("",), ("a b a",), ("The cat, the DOG. a cat! ; ,",), ("x " * 50 + "y. Y, z",)]


def test_derived_and_filtered_key_is_counted_through_a_generator():
    code = _same_behaviour(
        RULE,
        """
        STOP = {"the", "a"}

        def word_frequencies(text):
            freq = {}
            for raw in text.split():
                word = raw.strip(".,;:!?").lower()
                if not word:
                    continue
                if word in STOP:
                    continue
                if word in freq:
                    freq[word] += 1
                else:
                    freq[word] = 1
            return freq
        """,
        "word_frequencies",
        TEXTS,
    )
    assert ("freq = dict(Counter(word for raw in text.split() for word in [raw.strip(\".,;:!?\").lower()]"
            " if word if not (word in STOP)))") in code


def test_get_form_with_a_key_rebinding_the_loop_variable():
    _same_behaviour(
        RULE,
        """
        def f(words):
            counts = {}
            for w in words:
                w = w.lower()
                counts[w] = counts.get(w, 0) + 1
            return counts
        """,
        "f",
        [([],), (["A", "a", "b"],), ([1],)],  # an int has no .lower(): both raise AttributeError
    )


def test_result_stays_a_plain_dict_with_first_seen_order():
    code = _apply(RULE, """
        def f(words):
            counts = {}
            for w in words:
                k = w[0]
                counts[k] = counts.get(k, 0) + 1
            return counts
        """).code
    namespace: dict = {}
    exec(code, namespace)
    result = namespace["f"](["bx", "ay", "bz"])
    assert type(result) is dict and list(result.items()) == [("b", 2), ("a", 1)]


def test_a_mapping_is_counted_by_its_keys_not_read_as_counts():
    # Counter(d) would take d's values as counts; only proven sequences go in directly.
    code = _same_behaviour(
        RULE,
        """
        def f(items):
            counts = {}
            for x in items:
                counts[x] = counts.get(x, 0) + 1
            return counts
        """,
        "f",
        [({"a": 5, "b": 7},), (["a", "a"],)],
    )
    assert "Counter(x for x in items)" in code


def test_a_parameter_observed_as_a_list_is_counted_directly():
    source = """
        def f(items):
            counts = {}
            for x in items:
                counts[x] = counts.get(x, 0) + 1
            return counts
        """
    assert "dict(Counter(items))" in _apply(RULE, source, {"f": {"items": "list[str]"}}).code


def test_leaves_a_loop_that_reads_the_partial_counts():
    _unchanged(RULE, """
        def f(words):
            counts = {}
            for w in words:
                if w in counts and counts[w] > 2:
                    continue
                counts[w] = counts.get(w, 0) + 1
            return counts
        """)


def test_leaves_a_derived_name_used_after_the_loop():
    _unchanged(RULE, """
        def f(words):
            counts = {}
            for w in words:
                k = w.lower()
                counts[k] = counts.get(k, 0) + 1
            return counts, k
        """)


def test_leaves_a_loop_that_does_more_than_count():
    _unchanged(RULE, """
        def f(words, seen):
            counts = {}
            for w in words:
                seen.append(w)
                counts[w] = counts.get(w, 0) + 1
            return counts
        """)
    _unchanged(RULE, """
        def f(words):
            counts = {}
            for w in words:
                if not w:
                    break
                counts[w] = counts.get(w, 0) + 1
            return counts
        """)


def test_leaves_a_key_that_comes_from_outside_the_loop():
    _unchanged(RULE, """
        def f(words, k):
            counts = {}
            for w in words:
                counts[k] = counts.get(k, 0) + 1
            return counts
        """)


def test_leaves_counts_a_nested_function_can_see():
    _unchanged(RULE, """
        def f(words):
            counts = {}
            def peek(w):
                return len(counts)
            for w in words:
                k = peek(w)
                counts[k] = counts.get(k, 0) + 1
            return counts
        """)


def test_leaves_steps_whose_scope_would_change():
    _unchanged(RULE, """
        def f(words):
            counts = {}
            for w in words:
                k = (lambda: w)()
                counts[k] = counts.get(k, 0) + 1
            return counts
        """)
    _unchanged(RULE, """
        def f(words):
            counts = {}
            for w in words:
                k = locals()["w"]
                counts[k] = counts.get(k, 0) + 1
            return counts
        """)


def test_keys_membership_plain_increment_and_not_in_forms_count_alike():
    source = """
    def first_choice_counts(ballots):
        counts = {}
        for ballot in ballots:
            if len(ballot) == 0:
                continue
            choice = ballot[0]
            if choice in counts.keys():
                counts[choice] = counts[choice] + 1
            else:
                counts[choice] = 1
        return counts

    def tally(words):
        seen = {}
        for w in words:
            if w not in seen:
                seen[w] = 1
            else:
                seen[w] += 1
        return seen
    """
    ballots = [([],), ([["b", "a"], [], ["a"], ["b"], ["b", "c"]],), ([[1], [[]]],)]  # a list key: TypeError
    code = _same_behaviour(RULE, source, "first_choice_counts", ballots)
    assert ("counts = dict(Counter(choice for ballot in ballots if not (len(ballot) == 0)"
            " for choice in [ballot[0]]))") in code
    assert "seen = dict(Counter(w for w in words))" in code
    _same_behaviour(RULE, source, "tally", [([],), (["a", "b", "a"],), ("abca",)])


def test_counting_forms_that_do_not_add_one_on_a_hit_are_left_alone():
    for body in (
        # not in, but the hit branch sets 1 and the miss adds: swapped wrongly
        """
            if w not in seen:
                seen[w] += 1
            else:
                seen[w] = 1""",
        # adds another key's count
        """
            if w in seen.keys():
                seen[w] = seen[w.upper()] + 1
            else:
                seen[w] = 1""",
        # membership in another dict's keys
        """
            if w in other.keys():
                seen[w] += 1
            else:
                seen[w] = 1""",
    ):
        _unchanged(RULE, f"""
def f(words, other):
    seen = {{}}
    for w in words:{body}
    return seen
""")
