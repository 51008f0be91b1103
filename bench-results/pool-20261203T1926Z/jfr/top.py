import sys, re, collections
# parse `jfr print --events jdk.ExecutionSample --stack-depth N` output; count top frame and top frame "line"
top=collections.Counter(); n=0
cur=None; first=True
for line in open(sys.argv[1]):
    l=line.strip()
    if l.startswith('jdk.ExecutionSample'):
        first=True; continue
    if first and re.match(r'^[\w.$]+::?[\w$<>]+\(|^[\w.$]+\.[\w$<>]+\(', l):
        m=re.match(r'^(.*?)\((.*?)\)\s+line:\s*(\d+)', l)
        key = (m.group(1)+':'+m.group(3)) if m else l
        top[key]+=1; n+=1; first=False
for k,v in top.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 40):
    print(f"{v:6d} {100*v/n:5.1f}%  {k}")
print("total",n)
