"""Look up shipping rates from sorted weight breakpoints."""

BREAKPOINTS = [0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 70.0]
RATES = [4.5, 6.0, 7.25, 8.5, 10.0, 12.75, 15.0, 19.5, 24.0, 31.0, 45.0, 60.0]


def rate_for(weight):
    """Rate of the first breakpoint >= weight; None above the heaviest breakpoint."""
    for i in range(len(BREAKPOINTS)):
        if weight <= BREAKPOINTS[i]:
            return RATES[i]
    return None


def quote_all(weights):
    """Rates for many parcels; parcels over the limit are quoted as None."""
    return [rate_for(w) for w in weights]


def events_after(timestamps, cutoffs):
    """timestamps: sorted list of ints. For each cutoff, how many timestamps are >= it."""
    result = []
    for cutoff in cutoffs:
        i = 0
        while i < len(timestamps) and timestamps[i] < cutoff:
            i += 1
        result.append(len(timestamps) - i)
    return result
