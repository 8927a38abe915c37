"""Count the ways to climb n stairs taking 1, 2 or 3 steps, each n computed once, at any depth."""


def ways(n: int) -> int:
    # iterative form of the recursion: each argument once, at any depth
    _ways_top, _ways_memo, _ways_todo = n, {}, [n]
    while _ways_todo:
        n = _ways_todo[-1]
        if n < 0:
            _ways_memo[n] = 0
        elif n == 0:
            _ways_memo[n] = 1
        else:
            _ways_need = [a for a in (n - 1, n - 2, n - 3) if a not in _ways_memo]
            if _ways_need:
                _ways_todo.append(_ways_need[0])
                continue
            _ways_memo[n] = _ways_memo[n - 1] + _ways_memo[n - 2] + _ways_memo[n - 3]
        _ways_todo.pop()
    return _ways_memo[_ways_top]


def solve(n):
    return ways(n)
