#!/bin/bash
# Per build and row: min over runs, median of the runs' minima, max.
OUT=$1
for f in $OUT/*-r*.txt; do n=$(basename $f); n=${n%-r*}; grep "ns/pair" $f | sed "s|^|$n\t|"; done | \
 awk -F'\t' '{ split($2,a,/  +/); k=$1"|"a[1]; v[k]=v[k]" "a[2]+0 } END { for(k in v) print k"\t"v[k] }' | sort | \
 python3 -c '
import sys, statistics
for l in sys.stdin:
    k, vs = l.rstrip("\n").split("\t"); xs = sorted(float(x) for x in vs.split())
    print("%-58s min %6.2f  med %6.2f  max %6.2f  n=%d" % (k, xs[0], statistics.median(xs), xs[-1], len(xs)))'
