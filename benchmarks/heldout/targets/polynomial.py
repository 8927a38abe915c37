"""Integer polynomials for the checksum scheme."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Polynomial:
    coeffs: tuple[int, ...]  # coeffs[i] multiplies x**i

    def evaluate_many(self, xs: list[int]) -> list[int]:
        values = []
        for x in xs:
            total = 0
            for i in range(len(self.coeffs)):
                total = total + self.coeffs[i] * x ** i
            values.append(total)
        return values
