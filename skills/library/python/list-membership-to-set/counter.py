"""Where the list-to-set rule must not apply: each function breaks one precondition."""


def grows_while_tested(text, limit):
    seen = [int(tok) for tok in text.split()]
    fresh = 0
    for i in range(limit):
        if i not in seen:
            seen.append(i)
            fresh += 1
    return fresh


def elements_may_be_unhashable(rows, probes):
    known = [row for row in rows]
    return sum(1 for p in probes if p in known)


def probe_may_be_unhashable(text, probes):
    known = [int(tok) for tok in text.split()]
    return sum(1 for p in probes if p in known)
