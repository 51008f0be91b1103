import json,sys,glob,os,collections
d=sys.argv[1]
rows=collections.defaultdict(dict)
for f in sorted(glob.glob(d+'/*.json')):
    name=os.path.basename(f)[:-5]
    try: data=json.load(open(f))
    except Exception: continue
    for b in data:
        m=b['benchmark'].split('.')[-1]+' '+','.join('%s=%s'%kv for kv in b.get('params',{}).items())
        pm=b['primaryMetric']
        gc=b.get('secondaryMetrics',{}).get('gc.alloc.rate.norm',{}).get('score')
        rows[m][name]=(pm['score'],pm['scoreError'],gc)
names=sorted({n for r in rows.values() for n in r})
print('| row | '+' | '.join(names)+' |')
print('|---|'+'---|'*len(names))
for m in sorted(rows):
    cells=[]
    for n in names:
        v=rows[m].get(n)
        cells.append('—' if v is None else '%.1f ± %.1f (%s B/op)'%(v[0],v[1],'%.2f'%v[2] if v[2] is not None else '?'))
    print('| %s | %s |'%(m,' | '.join(cells)))
