#!/usr/bin/env python3
"""Summarises ab.sh output: per benchmark and variant, the minimum iteration over all rounds, the
median of the per-round minima, and the median of the per-round means; then B/A of the minima.
Usage: summarize.py DIR [DIR...]"""
import glob, json, os, re, statistics, sys
from collections import defaultdict
rows = defaultdict(lambda: defaultdict(list))  # bench -> variant -> [(min, mean)]
for d in sys.argv[1:]:
    for f in sorted(glob.glob(os.path.join(d, '*.json'))):
        v = os.path.basename(f).split('-')[0]
        try:
            data = json.load(open(f))
        except Exception:
            continue
        for b in data:
            name = b['benchmark'].rsplit('.', 2)
            name = name[-2] + '.' + name[-1]
            if b.get('params'):
                name += '[' + ','.join(f'{k}={x}' for k, x in b['params'].items()) + ']'
            its = [x for fork in b['primaryMetric']['rawData'] for x in fork]
            rows[name][v].append((min(its), b['primaryMetric']['score']))
vs = sorted({v for r in rows.values() for v in r})
print('| benchmark | ' + ' | '.join(f'{v} min / med(min) / med(mean), n' for v in vs) + ' | ' +
      ' | '.join(f'{v}/{vs[0]} (min)' for v in vs[1:]) + ' |')
print('|---' * (1 + 2 * len(vs) - 1) + '|')
for name in sorted(rows):
    r = rows[name]
    cells, mins = [], {}
    for v in vs:
        if v in r:
            m = min(x[0] for x in r[v]); mins[v] = m
            cells.append(f'{m:.2f} / {statistics.median(x[0] for x in r[v]):.2f} / {statistics.median(x[1] for x in r[v]):.2f}, {len(r[v])}')
        else:
            cells.append('-')
    ratios = [f'{mins[v]/mins[vs[0]]:.2f}x' if v in mins and vs[0] in mins else '-' for v in vs[1:]]
    print(f'| {name} | ' + ' | '.join(cells) + ' | ' + ' | '.join(ratios) + ' |')
