"""Whether each line's brackets are balanced; other characters are ignored."""


def bracket_balance(lines: list[str]) -> list[bool]:
    pairs = {")": "(", "]": "[", "}": "{"}
    results = []
    for line in lines:
        stack = []
        ok = True
        for ch in line:
            if ch in "([{":
                stack.insert(0, ch)
            elif ch in pairs:
                if not stack or stack.pop(0) != pairs[ch]:
                    ok = False
                    break
        results.append(ok and not stack)
    return results
