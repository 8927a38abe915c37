"""Tally ranked-choice ballots (first preferences only) and report the winner."""


def first_choice_counts(ballots):
    """ballots: list of lists of candidate names, most preferred first."""
    counts = {}
    for ballot in ballots:
        if len(ballot) == 0:
            continue
        choice = ballot[0]
        if choice in counts.keys():
            counts[choice] += 1
        else:
            counts[choice] = 1
    return counts


def winner(ballots):
    """The candidate with most first choices; ties broken alphabetically."""
    counts = first_choice_counts(ballots)
    if not counts:
        return None
    ranking = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranking[0][0]


def mentions(ballots):
    """How many ballots mention each candidate anywhere, as a dict."""
    names = []
    for ballot in ballots:
        for name in ballot:
            if name not in names:
                names.append(name)
    result = {}
    for name in names:
        n = 0
        for ballot in ballots:
            if name in ballot:
                n += 1
        result[name] = n
    return result
