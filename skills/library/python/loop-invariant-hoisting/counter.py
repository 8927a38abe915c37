"""Where the hoisting rule must not apply: each function breaks one precondition."""


def grows_inside_the_loop(values: list[int]):
    out = []
    for x in list(values):
        if x > sum(values) / len(values):
            values.append(x)
            out.append(x)
    return out


def handed_to_unknown_code(values: list[int], visit):
    visit(values)
    return [x for x in values if x > sum(values) / len(values)]


def floats_unknown_without_types(values):
    return [x for x in values if x > sum(values) / len(values)]


def rebound_before_the_loop(values: list[int]):
    values = [str(v) for v in values]
    return [x for x in values if len(x) < len(values)]
