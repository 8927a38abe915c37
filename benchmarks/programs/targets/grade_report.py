"""Read 'name score' lines from stdin; print each student's average and the class average."""

scores = {}
n = int(input())
for _ in range(n):
    name, score = input().split()
    if name not in scores:
        scores[name] = []
    scores[name].append(int(score))
total = 0
count = 0
for name in sorted(scores):
    values = scores[name]
    print(name, "%.2f" % (sum(values) / len(values)))
    total += sum(values)
    count += len(values)
print("class", "%.2f" % (total / count if count else 0.0))
