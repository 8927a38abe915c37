"""Rules over text: string building, regular expressions and character loops."""

from __future__ import annotations

import textwrap

from tests.fixtures.rules import apply as _apply
from tests.fixtures.rules import run as _run
from tests.fixtures.rules import same_behaviour as _same_behaviour
from tests.fixtures.rules import unchanged as _unchanged

# --- string-building-with-join: chained concatenation --------------------------------

WORDS = [([],), (["a"],), (["ab", "c", "", "dé"],)]


def test_join_rule_rewrites_a_chained_sum_of_str_pieces():
    code = _same_behaviour(
        "string-building-with-join",
        """
        def csv(words: list[str]):
            out = ""
            for w in words:
                out = out + w + ","  # quadratic
            return out
        """,
        "csv",
        WORDS,
    )
    assert "_out_parts = []" in code
    assert "_out_parts.append(w + \",\")  # quadratic" in code
    assert 'out = "".join(_out_parts)\n    return out' in code


def test_join_rule_uses_observed_types_and_f_strings_in_nested_and_while_loops():
    source = """
        def table(rows, sep):
            text = "rows:"
            i = 0
            while i < len(rows):
                for cell in rows[i]:
                    text = text + f"{cell}" + sep
                text += "\\n"
                i += 1
            return text.upper()
        """
    observed = {"table": {"rows": "list[list[int]]", "sep": "str"}}
    code = _same_behaviour(
        "string-building-with-join", source, "table", [([], ";"), ([[1, 2], [3]], ";")], observed
    )
    assert '_text_parts = ["rows:"]' in code
    assert '_text_parts.append(f"{cell}" + sep)' in code and '_text_parts.append("\\n")' in code
    _unchanged("string-building-with-join", source)  # sep may be anything without the observation


def test_join_rule_rewrites_a_buffer_built_per_row_inside_an_outer_loop():
    code = _same_behaviour(
        "string-building-with-join",
        """
        def lines(grid: list[str]):
            out = []
            for row in grid:
                line = ""
                for ch in row:
                    line = line + ch + " "
                out.append(line)
            return "\\n".join(out)
        """,
        "lines",
        [([],), (["ab", "", "xyz"],)],
    )
    assert "_line_parts.append(ch + \" \")" in code


def test_join_rule_leaves_lone_in_place_str_steps_alone():
    _unchanged(
        "string-building-with-join",
        """
        def f(words: list[str]):
            out = ""
            for w in words:
                out += w + ","
                out = out + "|"
            return out
        """,
    )


def test_join_rule_leaves_pieces_that_may_not_be_str_alone():
    _unchanged(
        "string-building-with-join",
        """
        def f(values):
            out = ""
            for v in values:
                out = out + v + ","
            return out
        """,
    )


def test_join_rule_leaves_loops_that_read_the_buffer_or_sit_in_try():
    _unchanged(
        "string-building-with-join",
        """
        def reads(words: list[str]):
            out = ""
            for w in words:
                if len(out) > 10:
                    break
                out = out + w + ","
            return out

        def guarded(words: list[str]):
            try:
                out = ""
                for w in words:
                    out = out + w + str(int(w))
            except ValueError:
                return out
            return out

        def closure(words: list[str]):
            out = ""
            for w in words:
                out = out + w + ","
                peek = lambda: out
            return out, peek
        """,
    )


def test_join_rule_starts_the_parts_at_the_loop_when_the_buffer_is_read_before_it():
    # strs are immutable: ``first`` keeps the old value whichever way the buffer grows
    code = _same_behaviour("string-building-with-join", """
    def mentioned_between(words: list[str]):
        out = ""
        first = out
        for w in words:
            out = out + w + ","
        return out + first
    """, "mentioned_between", WORDS)
    assert '    out = ""\n    first = out\n    _out_parts = [out]\n' in code


def test_join_rule_respects_a_shadowed_str_builtin():
    _unchanged(
        "string-building-with-join",
        """
        str = int

        def f(values):
            out = ""
            for v in values:
                out = out + str(v) + ","
            return out
        """,
    )


# --- precompiled-regex: constants, locals and re.compile in loops ---------------------

def test_regex_rule_hoists_compile_calls_out_of_loops():
    code = _same_behaviour(
        "precompiled-regex",
        """
        import re

        def words(lines):
            out = []
            for line in lines:
                pat = re.compile(r"[a-z]+", re.I)
                out.append(pat.findall(line))
                out.append(re.compile("x").sub("y", line))
            return out
        """,
        "words",
        [([],), (["Ab cd", "x1 xY"],)],
    )
    assert '_RE_0 = re.compile(r"[a-z]+", re.I)' in code and "pat = _RE_0" in code
    assert '_RE_1 = re.compile("x")' in code and '_RE_1.sub("y", line)' in code


def test_regex_rule_leaves_compile_outside_loops_and_non_constant_patterns():
    _unchanged(
        "precompiled-regex",
        """
        import re

        def once(text):
            return re.compile(r"\\d+").findall(text)

        def built(lines, word):
            return [re.compile(word).search(line) for line in lines]
        """,
    )


def test_regex_rule_uses_a_module_constant_and_places_the_pattern_below_it():
    code = _same_behaviour(
        "precompiled-regex",
        """
        import re

        DATE = r"(\\d{4})-(\\d\\d)"

        def years(lines):
            return [re.search(DATE, line) is not None for line in lines]
        """,
        "years",
        [([],), (["on 2024-05", "none"],)],
    )
    assert code.index("_RE_0 = re.compile(DATE)") > code.index("DATE = ")
    assert "_RE_0.search(line)" in code


def test_regex_rule_uses_a_local_bound_once_to_a_literal():
    code = _same_behaviour(
        "precompiled-regex",
        """
        import re

        def split_all(lines):
            sep = r"[,;]\\s*"
            return [re.split(sep, line, maxsplit=1) for line in lines]
        """,
        "split_all",
        [(["a, b;c", ""],)],
    )
    assert '_RE_0 = re.compile(r"[,;]\\s*")' in code and "_RE_0.split(line, 1)" in code


def test_regex_rule_leaves_rebound_constants_and_locals_alone():
    _unchanged(
        "precompiled-regex",
        """
        import re

        PAT = "a+"

        def configure(p):
            global PAT
            PAT = p

        def f(lines):
            return [re.match(PAT, line) for line in lines]

        def g(lines, loud):
            sep = ","
            if loud:
                sep = ";"
            return [re.split(sep, line) for line in lines]

        def h(lines, sep=","):
            return [re.split(sep, line) for line in lines]

        def i(lines, flag):
            if flag:
                word = "a"
            return [re.findall(word, line) for line in lines]
        """,
    )


# --- str-methods-over-char-loops ---------------------------------------------------------

TEXTS = [("",), ("a b,c",), ("ΑΣ aeiou  x,",), ("٣12",)]


def test_char_loop_rule_rewrites_counts_copies_and_replacements():
    code = _same_behaviour(
        "str-methods-over-char-loops",
        """
        def profile(text: str):
            commas = 3
            # commas, plus three
            for c in text:
                if "," == c:
                    commas += 1
            vowels = 0
            for c in text:
                if c in "aeiou":
                    vowels += 1
            loud = ""
            for c in text:
                loud = loud + c.upper()
            under = ""
            for c in text:
                if c == " ":
                    under += "_"
                else:
                    under += c
            return commas, vowels, loud, under
        """,
        "profile",
        TEXTS,
    )
    assert 'commas = 3 + text.count(",")' in code and "# commas, plus three" in code
    assert 'vowels = sum(map(text.count, "aeiou"))' in code
    assert "loud = text.upper()" in code and 'under = text.replace(" ", "_")' in code


def test_char_loop_rule_rewrites_class_tests_and_find_with_observed_types():
    source = """
        def digits_only(s):
            for c in s:
                if not c.isdigit():
                    return False
            return True

        def where(s):
            for i, c in enumerate(s):
                if c == "x":
                    return i
            return -1
        """
    observed = {"digits_only": {"s": "str"}, "where": {"s": "str"}}
    outcome = _apply("str-methods-over-char-loops", source, observed)
    assert "return s.isdigit() or not s" in outcome.code and 'return s.find("x")' in outcome.code
    for (s,) in TEXTS + [("12",), ("x",)]:
        for name in ("digits_only", "where"):
            assert _run(outcome.code, name, s) == _run(textwrap.dedent(source), name, s)
    _unchanged("str-methods-over-char-loops", source)  # s might be a list of words


def test_char_loop_rule_leaves_context_and_substring_near_misses_alone():
    _unchanged(
        "str-methods-over-char-loops",
        """
        def lowered(text: str):
            out = ""
            for c in text:
                out += c.lower()
            return out

        def substring(text: str):
            n = 0
            for c in text:
                if c == "ab":
                    n += 1
            return n

        def repeated(text: str):
            n = 0
            for c in text:
                if c in "aab":
                    n += 1
            return n

        def also_prints(text: str):
            n = 0
            for c in text:
                if c == "a":
                    n += 1
                    print(c)
            return n

        def replaces_with_a_variable(text: str, new):
            out = ""
            for c in text:
                if c == "a":
                    out += new
                else:
                    out += c
            return out
        """,
    )


def test_char_loop_rule_leaves_loops_whose_variable_is_read_later():
    _unchanged(
        "str-methods-over-char-loops",
        """
        def last(text: str):
            n = 0
            for c in text:
                if c == "a":
                    n += 1
            for d in c:
                n += 1
            return n

        def shadowed_param(text: str):
            def inner(text):
                n = 0
                for c in text:
                    if c == "a":
                        n += 1
                return n
            return inner(text.split())
        """,
    )


def test_str_facts_prove_text_from_literals_methods_and_observed_types():
    import libcst as cst

    from polca.skills import cst_tools as ct

    def expr(code: str) -> cst.BaseExpression:
        return cst.parse_expression(code)

    assert ct.is_str_expr(expr('f"{x}" + str(y) + "a".join(z)'))
    assert ct.is_str_expr(expr("s.upper()[1:]"), str_names={"s"})
    assert not ct.is_str_expr(expr('b"x"')) and not ct.is_str_expr(expr("x + 'a'"))
    assert not ct.is_str_expr(expr("str(v)"), shadowed={"str"})
    func = cst.parse_module("def f(words, s):\n    for w in words:\n        t = w + s\n").body[0]
    types = {"words": "list[str]", "s": "str"}.get
    assert ct.str_names(func, types, rebound=(), shadowed=()) == {"s", "w", "t"}


# --- string-building-with-join: a buffer started before the loop by str expressions -------

_REPORT = """
def stock_report(stock, title):
    text = title + "\\n"
    text = text + "=" * len(title) + "\\n"
    if not stock:
        return text + "(empty)\\n"
    for item in stock:
        qty = stock[item]
        text = text + item + ": " + str(qty) + "\\n"
    return text
"""


def test_join_takes_a_buffer_built_by_str_statements_before_the_loop():
    observed = {"stock_report": {"stock": "dict[str, int]", "title": "str"}}
    code = _same_behaviour("string-building-with-join", _REPORT, "stock_report",
                           [({}, "T"), ({"a": 1, "é": 2}, "Stock"), ({"x": 0}, "")], observed)
    assert "    _text_parts = [text]\n    for item in stock:\n" in code
    assert '    text = "".join(_text_parts)\n    return text' in code


def test_join_leaves_buffers_of_unknown_type_or_maybe_unbound_or_watched_alone():
    # the title's type unknown: ``title + "\n"`` may be a user object whose + is not str's
    _unchanged("string-building-with-join", _REPORT, {"stock_report": {"stock": "dict[str, int]"}})
    # keys that are not str: ``text + item`` raised TypeError where the parts list would too,
    # but nothing proves the pieces are str
    _unchanged("string-building-with-join", _REPORT, {"stock_report": {"stock": "dict[int, int]", "title": "str"}})
    # a parameter buffer: its type at entry is unknown
    _unchanged("string-building-with-join", """
    def grow(text, items: list[str]):
        for x in items:
            text = text + x + ","
        return text
    """)
    # bound only in a branch: with no items the original returns, the rewrite would raise
    _unchanged("string-building-with-join", """
    def grow(flag, items: list[str]):
        if flag:
            text = "start"
        for x in items:
            text = text + x + ","
        return "done"
    """)
    # a closure reads the buffer while the loop runs
    _unchanged("string-building-with-join", """
    def grow(items: list[str]):
        text = "start:".strip()
        seen = []
        def peek():
            seen.append(len(text))
        for x in items:
            text = text + x + ","
            peek()
        return text, seen
    """)
    # another binding is not a str
    _unchanged("string-building-with-join", """
    def grow(items: list[str], n):
        text = "a".upper()
        if n:
            text = n
        for x in items:
            text = text + x + ","
        return text
    """)
