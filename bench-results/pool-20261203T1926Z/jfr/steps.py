"""Charges each JFR execution sample of the DDI pool pair to a step by its top frame (method name).
usage: python3 steps.py <jfr print output> <ns per pair>"""
import sys, re, collections
STEPS = [
 ("thread lookup: ThreadPools.cached (thread id -> table -> owner) + the kernel's run state + the record's cache", ["ThreadPools.cached","KernelCore.isRunningFast","ThreadPools.cache","Kernel.callerPools","Thread.threadId","Thread.currentThread"]),
 ("pool open check (Pool.ensureOpen, volatile read, once per side)", ["Pool.ensureOpen"]),
 ("FFM segment checks and accessors (session liveness, bounds, read-only, alignment, slice)", ["MemorySessionImpl","AbstractMemorySegmentImpl","NativeMemorySegmentImpl","Unsafe.","ScopedMemoryAccess","VarHandleSegment","SegmentFactories","Objects.requireNonNull"]),
 ("header and size-class arithmetic (freeUlong1, isBlockStart, stride, classFor, header codec and read/write)", ["SizeClasses.","PoolHeader."]),
 ("thread cache stacks (pop, push, full)", ["ThreadCache.pop","ThreadCache.push","ThreadCache.full"]),
 ("tag accounting (memo, opaque counter stores)", ["ThreadCache.count","ThreadCache.add","ThreadCache.select","VarHandleLongs"]),
 ("Pool.free body (chunk offset, page kind, compares, header write)", ["Pool.free"]),
 ("Pool.hand body (chunk hint, requested size and owner stores)", ["Pool.hand"]),
 ("glue: facade, Pools policy, allocate/allocateSegment/tryFree/chunkFor, loop", ["Pool.allocate","Pool.allocateSegment","Pool.tryFree","Pool.chunkFor","Pools.","ThreadPools.","Ex.","MemoryPathProbe","ProbeCase"]),
]
counts=collections.Counter(); n=0; first=False
for line in open(sys.argv[1]):
    l=line.strip()
    if l.startswith('jdk.ExecutionSample'): first=True; continue
    if first and '(' in l and 'line:' in l:
        first=False; n+=1
        for name,keys in STEPS:
            if any(k in l for k in keys): counts[name]+=1; break
        else: counts['other: '+l.split('(')[0]]+=1
ns=float(sys.argv[2])
print(f"{n} samples, {ns} ns per pair\n")
print("| step | share | ns |\n|---|---|---|")
for name,_ in STEPS:
    print(f"| {name} | {100*counts[name]/n:.1f}% | {ns*counts[name]/n:.1f} |")
other=sum(v for k,v in counts.items() if k.startswith('other'))
print(f"| other | {100*other/n:.1f}% | {ns*other/n:.1f} |")
for k,v in []:
    if k.startswith('other'): print('  ',v,k)
