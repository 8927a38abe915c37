"""Min-max scale sensor readings into [0, 1] before plotting."""


def normalize(values):
    scaled = []
    for v in values:
        span = max(values) - min(values)
        if span == 0:
            scaled.append(0.0)
        else:
            scaled.append((v - min(values)) / span)
    return scaled
