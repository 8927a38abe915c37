"""Where the readline rule must not apply: each function breaks one precondition."""


def prompts_the_user():
    return input("name? ")


def input_is_not_the_builtin(input):
    return input().strip()
