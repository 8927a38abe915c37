"""Account balances from a list of transfer records."""

from typing import TypedDict


class Transfer(TypedDict):
    source: str
    target: str
    cents: int


def balances(transfers: list[Transfer]) -> dict[str, int]:
    accounts = []
    for t in transfers:
        for name in (t["source"], t["target"]):
            if name not in accounts:
                accounts.append(name)
    result = {}
    for account in sorted(accounts):
        total = 0
        for t in transfers:
            if t["target"] == account:
                total += t["cents"]
            if t["source"] == account:
                total -= t["cents"]
        result[account] = total
    return result
