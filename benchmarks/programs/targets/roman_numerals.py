"""Format chapter numbers as Roman numerals (1..3999; others as decimal)."""

_VALUES = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman_numerals(numbers: list[int]) -> list[str]:
    out = []
    for n in numbers:
        if not 0 < n < 4000:
            out.append(str(n))
            continue
        text = ""
        for value, symbol in _VALUES:
            while n >= value:
                text += symbol
                n -= value
        out.append(text)
    return out
