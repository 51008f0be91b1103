#!/usr/bin/env python3
# Prints, per row and variant, the fastest and slowest of the runs' minima (ns per op/pair).
import sys, os, re, collections
d = sys.argv[1]
rows = collections.OrderedDict()
variants = []
for f in sorted(os.listdir(d)):
    m = re.match(r'(.+)-r(\d+)\.txt$', f)
    if not m: continue
    v = m.group(1)
    if v not in variants: variants.append(v)
    for line in open(os.path.join(d, f)):
        mm = re.match(r'(.+?)\s+([0-9.]+) (ns/op|ns)', line)
        if mm:
            rows.setdefault(mm.group(1).strip(), {}).setdefault(v, []).append(float(mm.group(2)))
order = sys.argv[2:] or variants
print('| row | ' + ' | '.join(order) + ' |')
print('|---' * (len(order) + 1) + '|')
for r, vs in rows.items():
    cells = []
    for v in order:
        x = vs.get(v)
        cells.append('%.2f (%.2f)' % (min(x), max(x)) if x else '-')
    print('| ' + r + ' | ' + ' | '.join(cells) + ' |')
