"""Count seats of a venue that are not reserved; reservations arrive as strings."""


def solve(reserved, seats):
    taken = [int(code) for code in reserved]
    open_seats = 0
    for seat in range(seats):
        if seat not in taken:
            open_seats += 1
    return open_seats


TESTS = [((["1", "3"], 5), 3), (([], 2), 2), ((["0", "0", "9"], 4), 3)]


def bench_inputs():
    return [([str(i * 7 % 5003) for i in range(2500)], 5000)]
