import sys,re,collections
d=collections.defaultdict(list); order=[]
for line in open(sys.argv[1]):
    m=re.match(r'(\S+) (.*?)\s+([\d.]+) ns/pair',line)
    if not m: continue
    k=(m.group(2).strip(),m.group(1))
    if k not in d: order.append(k)
    d[k].append(float(m.group(3)))
for k in sorted(order):
    v=sorted(d[k]); print(f"{k[0][:55]:55s} {k[1]:6s} min {v[0]:6.2f}  all {' '.join('%.2f'%x for x in v)}")
