"""Render a ledger of (account, cents) entries as aligned text lines."""


def ledger_text(entries: list[tuple[str, int]]) -> str:
    out = ""
    for account, cents in entries:
        sign = "-" if cents < 0 else " "
        out += account[:12].ljust(12) + sign + str(abs(cents) // 100).rjust(8) + "." + str(abs(cents) % 100).zfill(2) + "\n"
    return out
