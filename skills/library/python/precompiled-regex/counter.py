"""Where the regex rule must not apply: each function breaks one precondition."""

import re


def pattern_is_built_per_call(prefix, lines):
    return [re.match(prefix + r"\d+", line) for line in lines]


def flags_are_not_constant(lines, flags):
    return [re.search(r"error", line, flags) for line in lines]

