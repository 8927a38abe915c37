"""Where the list-concatenation rule must not apply: each function breaks one precondition."""


def keeps_snapshots(values):
    acc = []
    history = []
    for v in values:
        acc = acc + [v]
        history.append(acc)
    return history


def grows_while_iterating(values):
    acc = list(values)
    for v in acc:
        if v > 0:
            acc = acc + [v - 1]
    return acc


def right_operand_may_be_a_tuple(chunks):
    acc = []
    for chunk in chunks:
        acc = acc + chunk
    return acc


def list_is_a_parameter(acc, values):
    for v in values:
        acc = acc + [v]
    return acc
