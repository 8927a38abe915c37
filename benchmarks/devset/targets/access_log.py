"""Summarize a web server access log read from stdin.

Each line: IP - - [timestamp] "METHOD PATH PROTO" STATUS BYTES
Prints requests per status class, the bytes served, and the top paths.
"""

import re
import sys


def main():
    status_counts = {}
    path_counts = {}
    total_bytes = 0
    bad = 0
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        if not re.match(r'^\d+\.\d+\.\d+\.\d+ ', line):
            bad += 1
            continue
        status = line.split()[-2]
        size = line.split()[-1]
        path = line.split('"')[1].split()[1]
        cls = status[0] + "xx"
        status_counts[cls] = status_counts.get(cls, 0) + 1
        if size != "-":
            total_bytes = total_bytes + int(size)
        if path in path_counts:
            path_counts[path] += 1
        else:
            path_counts[path] = 1
    for cls in sorted(status_counts):
        print(cls, status_counts[cls])
    print("bytes", total_bytes)
    print("bad lines", bad)
    top = sorted(path_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    for path, n in top:
        print(path, n)


if __name__ == "__main__":
    main()
