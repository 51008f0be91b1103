#!/bin/bash
# summ.sh DIR: minimum per (build, row) over the runs
cd $1 && for f in *-r*.txt; do b=${f%-r*}; grep "ns/op" $f | sed -E "s/^(.{48}) +([0-9.]+) ns.*/$b|\1|\2/"; done | sort -t'|' -k1,1 -k2,2 -k3,3n | awk -F'|' '{k=$1"|"$2; if(!(k in m)){m[k]=$3; n[k]=1; all[k]=$3} else {n[k]++; all[k]=all[k]" "$3}} END{for(k in m) printf "%-8s %-48s min %6.2f  (%s)\n", substr(k,1,index(k,"|")-1), substr(k,index(k,"|")+1), m[k], all[k]}' | sort -k2
