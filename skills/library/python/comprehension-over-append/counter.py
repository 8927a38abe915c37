"""Where the comprehension rule must not apply: each function breaks one precondition."""


def loop_variable_used_after(values):
    out = []
    for x in values:
        out.append(x * 2)
    return out, x


def body_does_more(values, log):
    out = []
    for x in values:
        log.append(x)
        out.append(x * 2)
    return out


def reads_partial_result(values):
    out = []
    for x in values:
        out.append(x + len(out))
    return out
