"""Per row: the minimum and the range over the alternating runs of each side (base, new) of a probe A/B raw.txt."""
import sys, re, collections
rows=collections.defaultdict(lambda: collections.defaultdict(list)); side=None; order=[]
for line in open(sys.argv[1]):
    m=re.match(r'== (\w+) run', line)
    if m: side=m.group(1); continue
    m=re.match(r'(.*?)\s+([\d.]+) ns/pair', line)
    if m and side:
        name=m.group(1).strip()
        if name not in order: order.append(name)
        rows[name][side].append(float(m.group(2)))
print("| row | base (min, range) | new (min, range) |\n|---|---|---|")
for n in order:
    c=[]
    for s in ('base','new'):
        v=rows[n][s]
        c.append(f"{min(v):.2f} ({min(v):.2f}–{max(v):.2f})" if v else "—")
    print(f"| {n} | {c[0]} | {c[1]} |")
