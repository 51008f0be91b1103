import sys, re, collections
# Parse jfr print output: each event has stackTrace = [ frames... ]
txt=open(sys.argv[1]).read()
events=txt.split('jdk.ExecutionSample')
top=collections.Counter(); incl=collections.Counter(); n=0
for e in events[1:]:
    m=re.search(r'stackTrace = \[(.*?)\n\s*\]', e, re.S)
    if not m: continue
    frames=[f.strip() for f in m.group(1).strip().split('\n') if f.strip() and not f.strip().startswith('...')]
    frames=[re.sub(r'\s+line:.*','',f) for f in frames]
    if not any('loopLookaside' in f or 'MemoryPathProbe' in f for f in frames): continue
    n+=1
    top[frames[0]]+=1
    for f in set(frames): incl[f]+=1
print("samples",n)
print("== self (top frame)")
for f,c in top.most_common(25): print("%5.1f%% %s"%(100*c/n,f))
print("== inclusive")
for f,c in incl.most_common(40): print("%5.1f%% %s"%(100*c/n,f))
