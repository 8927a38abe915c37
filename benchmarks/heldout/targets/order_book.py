"""A limit order book snapshot: best bids after each cancellation."""


class OrderBook:
    def __init__(self, bids: list[tuple[int, int]]) -> None:
        self.bids = [list(b) for b in bids]  # [price_cents, quantity]

    def best_after_cancels(self, cancels: list[int]) -> list[int | None]:
        """Cancel the best bid `n` times for each n in cancels; report the best price after each."""
        report = []
        for n in cancels:
            for _ in range(n):
                if self.bids:
                    best = sorted(self.bids, key=lambda b: -b[0])[0]
                    self.bids.remove(best)
            if self.bids:
                report.append(sorted(self.bids, key=lambda b: -b[0])[0][0])
            else:
                report.append(None)
        return report
