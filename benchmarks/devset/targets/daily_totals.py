"""Daily revenue report from a flat list of order records."""


def days_in(orders):
    days = []
    for o in orders:
        if o["day"] not in days:
            days.append(o["day"])
    return sorted(days)


def daily_revenue(orders):
    """dict day -> total of order amounts on that day."""
    report = {}
    for day in days_in(orders):
        report[day] = sum([o["amount"] for o in orders if o["day"] == day])
    return report


def busiest_day(orders):
    """The day with the most orders (earliest day on ties)."""
    best_day = None
    best_count = -1
    for day in days_in(orders):
        n = len([o for o in orders if o["day"] == day])
        if n > best_count:
            best_count = n
            best_day = day
    return best_day
