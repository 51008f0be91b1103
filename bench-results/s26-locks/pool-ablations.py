import sys
p='runtime-core/src/main/java/dev/offkern/runtime/pool/Pool.java'
s=open(p).read()
v=sys.argv[1]
def rep(a,b,count=1):
    global s
    assert a in s, a
    s=s.replace(a,b,count)
if v=='noopen':
    rep('''        if (closed) { // volatile read: pairs with close()''','''        if (false) { // ABLATION''')
elif v=='nocount':
    rep('''        tc.countAlloc(tags, tag & ~PoolTags.PROTECTED_POOL, stride, owner);''','''        // ABLATION''')
    rep('''        tc.countFree(tags, blockTag & ~PoolTags.PROTECTED_POOL, stride);''','''        // ABLATION''')
elif v=='noattr':
    rep('''        c.requested[(int) (off >>> SizeClasses.UNIT_SHIFT)] = (char) bytes;
        char owner = attribute ? tc.driverOwner : 0;
        c.owners[(int) (off >>> SizeClasses.UNIT_SHIFT)] = owner; // plain: read only while the block is allocated''','''        char owner = 0; // ABLATION''')
elif v=='nostart':
    rep('''        if (!SizeClasses.isBlockStart(cls, (int) (off & (SizeClasses.PAGE_SIZE - 1)))) {
            throw notABlock(address);
        }''','''        // ABLATION''')
elif v=='noheader':
    rep('''        PoolHeader.writeWord(s, off, PoolHeader.word(ulong1, tag));''','''        // ABLATION''')
    rep('''        long head = PoolHeader.readWord(s, off); // Ulong1 and PoolTag in one read''','''        long head = PoolHeader.word(SizeClasses.freeUlong1(cls, (int) ((off - PoolHeader.SIZE) & (SizeClasses.PAGE_SIZE - 1))) | (1 << dev.offkern.layout.mm.POOL_HEADER.POOL_TYPE_SHIFT), tag); // ABLATION''')
    rep('''        PoolHeader.writeUlong1(s, off, expected); // PoolType = 0: free''','''        // ABLATION''')
open(p,'w').write(s)
