"""Where the buffered-output rule must not apply: each function breaks one precondition."""

import sys


def progress(values):
    for x in values:
        print(x, flush=True)


def to_stderr(values):
    for x in values:
        print(x, file=sys.stderr)


def mixed_writers(values):
    for x in values:
        print(x)
        sys.stdout.write("!")


def calls_something_that_prints(values):
    for x in values:
        print(x)
        progress([x])


def prompts(values):
    for x in values:
        print(x)
        input("more? ")
