"""Population counts of a list of flags words."""


def weights(words):
    out = []
    for w in words:
        out.append(bin(w).count("1"))
    return out
