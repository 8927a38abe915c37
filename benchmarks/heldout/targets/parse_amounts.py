"""Sum the amounts of a spreadsheet column that mixes numbers, text and blanks."""

import re
from typing import Optional, Union


def total_amount(cells: list[Optional[Union[str, int, float]]]) -> float:
    total = 0.0
    for cell in cells:
        if cell is None:
            continue
        if isinstance(cell, (int, float)):
            total += cell
            continue
        number = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:EUR|USD|€|\$)?\s*$")
        match = number.match(cell)
        if match:
            total += float(match.group(1).replace(",", "."))
    return round(total, 2)
