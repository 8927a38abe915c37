"""Moving averages over a window of a list of floats."""


def moving_average(values, window):
    if window <= 0:
        raise ValueError("window must be positive")
    averages = []
    for i in range(len(values) - window + 1):
        chunk = values[i:i + window]
        averages.append(sum(chunk) / window)
    return averages
