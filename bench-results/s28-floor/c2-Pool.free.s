: nop ## 
: mov 0x8(%rsi),%r10d ## 
: cmp 0x8(%rax),%r10d ## 
: jne 0x7fbe179863e0 ; {runtime_call Shared Runtime ic_miss_blob} ## 
: mov %eax,0xfffffffffffec000(%rsp) ## 
: push %rbp ## 
: sub $0x70,%rsp ## 
: cmpl $0x1,0x20(%r15) ## 
: jne 0x7fbe17f4b66e ## 
: vmovd %r8d,%xmm7 ## 
: vmovq %rsi,%xmm6 ## 
: vmovq %rcx,%xmm5 ## 
: mov %rcx,%r8 ## 
: sub 0x10(%rdx),%r8 ; implicit exception: dispatches to 0x00007fbe17f4b52c ## 
: mov %r8,%r11 ## 
: and $0xfff,%r11 ## 
: xor %eax,%eax ## 
: test %r11,%r11 ## 
: je 0x7fbe17f4b27c ## 
: mov 0x3c(%rdx),%r9d ## 
: mov %r8,%r10 ## 
: shr $0xc,%r10 ## 
: mov %r10d,%ecx ## 
: mov 0xc(%r12,%r9,8),%esi ; implicit exception: dispatches to 0x00007fbe17f4b540 ## 
: mov 0x34(%rdx),%r10d ## 
: cmp %esi,%ecx ## 
: jnb 0x7fbe17f4af8c ## 
: mov %r11d,%edi ## 
: lea (%r12,%r9,8),%r11 ## 
: movswl 0x10(%r11,%rcx,2),%r11d ## 
: lea 0xffffffffffffffff(%r11),%ecx ## 
: cmp $0x23f,%ecx ## 
: jnb 0x7fbe17f4b2b8 ## 
: mov %edi,%ebp ## 
: and $0xf,%ebp ## 
: jne 0x7fbe17f4b2f8 ## 
: lea 0x0,%r9d ## 
: shr $0x4,%edi ## 
: mov %edi,%ebx ## 
: sar $0x6,%ebx ## 
: lea (%r9,%rbx),%ebp ## 
: cmp $0x900,%ebp ## 
: jnb 0x7fbe17f4afc8 ## 
: movsxd %r9d,%r9 ## 
: movsxd %ebx,%rcx ## 
: add %rcx,%r9 ## 
: and $0x3f,%edi ## 
: movabs $0x69ddf7c38,%rcx ; {oop([J{0x000000069ddf7c38})} ## 
: shrx %rdi,0x10(%rcx,%r9,8),%r9 ## 
: and $0x1,%r9 ## 
: je 0x7fbe17f4b330 ## 
: mov 0x28(%rdx),%ebp ## 
: mov 0xc(%r12,%rbp,8),%ecx ; implicit exception: dispatches to 0x00007fbe17f4b554 ## 
: cmp %ecx,%r11d ## 
: jnb 0x7fbe17f4b004 ## 
: lea (%r12,%rbp,8),%r9 ## 
: mov 0x10(%r9,%r11,4),%eax ## 
: mov 0x14(%r12,%rax,8),%r13d ; implicit exception: dispatches to 0x00007fbe17f4b5e0 ## 
: lea 0xfffffffffffffff0(%r8),%rcx ## 
: mov 0x8(%r12,%r10,8),%ebx ; implicit exception: dispatches to 0x00007fbe17f4b56c ## 
: cmp $0x10218b0,%ebx ; {metadata('NativeMemorySegmentImpl')} ## 
: jne 0x7fbe17f4b108 ## 
: lea (%r12,%r10,8),%r9 ## 
: mov 0x10(%r9),%rsi ## 
: lea 0xfffffffffffffff9(%rsi),%rbp ## 
: test %rbp,%rbp ## 
: jl 0x7fbe17f4b148 ## 
: cmp %rbp,%rcx ## 
: jnb 0x7fbe17f4b040 ## 
: mov %rcx,%r14 ## 
: mov %r11d,%ecx ## 
: mov 0x18(%r9),%r11d ## 
: vmovd %r11d,%xmm2 ## 
: vmovq %r9,%xmm0 ## 
: mov %r14,%r11 ## 
: add 0x20(%r9),%r11 ## 
: vmovq %r11,%xmm1 ## 
: vmovd %xmm2,%r11d ## 
: mov 0x18(%r12,%r11,8),%r11d ; implicit exception: dispatches to 0x00007fbe17f4b584 ## 
: vmovd %r11d,%xmm3 ## 
: mov %r11,%r9 ## 
: shl $0x3,%r9 ## 
: mov 0x468(%r15),%r11 ## 
: mov (%r11),%r11 ## 
: vmovq %r11,%xmm4 ## 
: vmovd %xmm3,%r11d ## 
: test %r11d,%r11d ## 
: jne 0x7fbe17f4aeca ## 
: vmovd %xmm2,%r11d ## 
: mov 0xc(%r12,%r11,8),%ebp ## 
: test %ebp,%ebp ## 
: jl 0x7fbe17f4b37c ## 
: mov 0x10(%r12,%rax,8),%r10d ## 
: mov %r10d,0x28(%rsp) ## 
: vmovq %xmm1,%r10 ## 
: mov %r10,%r11 ## 
: mov %r14,%r10 ## 
: and $0xfff,%r10 ## 
: mov %r10d,%r10d ## 
: mov (%r11),%rbx ## 
: mov %ebx,%edi ## 
: cmp %r13d,%r10d ## 
: je 0x7fbe17f4b3c4 ## 
: mov 0x1c(%r12,%rax,8),%r10d ## 
: mov %r10d,%r13d ## 
: mov %edi,%ebp ## 
: and $0xffffff,%ebp ## 
: cmp %r10d,%ebp ## 
: jne 0x7fbe17f4b1f0 ## 
: mov %edi,%ebp ## 
: and $0xff000000,%ebp ## 
: je 0x7fbe17f4b414 ## 
: shr $0x20,%rbx ## 
: mov %ebx,%r10d ## 
: mov %r10d,%ebx ## 
: vmovd %xmm7,%r10d ## 
: cmp %ebx,%r10d ## 
: jne 0x7fbe17f4b460 ## 
: vmovq %xmm0,%r10 ; {other} ## 
: movzbl 0xc(%r10),%ebp ## 
: test %ebp,%ebp ## 
: jne 0x7fbe17f4b4a8 ## 
: lea 0xfffffffffffffffd(%rsi),%r8 ## 
: test %r8,%r8 ## 
: jl 0x7fbe17f4b198 ## 
: cmp %r8,%r14 ## 
: jnb 0x7fbe17f4b090 ## 
: vmovd %xmm3,%r10d ## 
: test %r10d,%r10d ## 
: jne 0x7fbe17f4af28 ## 
: mov %r13d,(%r11) ## 
: mov 0xc(%rdx),%r8d ## 
: vmovq %xmm6,%r10 ## 
: mov 0x34(%r10),%r11d ## 
: movsxd 0x28(%rsp),%r9 ## 
: mov %ebx,%r10d ## 
: and $0x7fffffff,%r10d ## 
: cmp %r8d,%r10d ## 
: jne 0x7fbe17f4b23c ## 
: mov 0x40(%rdx),%ebp ## 
: mov 0x18(%r12,%rbp,8),%r8 ; implicit exception: dispatches to 0x00007fbe17f4b61c ## 
: incq %r8 ## 
: mov %r8,0x18(%r12,%rbp,8) ## 
: mov 0x20(%r12,%rbp,8),%r10 ## 
: sub %r9,%r10 ## 
: mov %r10,0x20(%r12,%rbp,8) ## 
: mov 0xc(%r12,%rax,8),%r11d ## 
: cmp $0x20,%r11d ## 
: je 0x7fbe17f4b4fc ## 
: mov 0x20(%r12,%rax,8),%ebp ## 
: lea 0x1(%r11),%r10d ## 
: mov %r10d,0xc(%r12,%rax,8) ## 
: mov 0xc(%r12,%rbp,8),%r8d ; implicit exception: dispatches to 0x00007fbe17f4b5c4 ## 
: cmp %r8d,%r11d ## 
: jnb 0x7fbe17f4b0ec ## 
: lea (%r12,%rbp,8),%r10 ## 
: vmovq %xmm5,%r8 ## 
: mov %r8,0x10(%r10,%r11,8) ## 
: add $0x70,%rsp ## 
: pop %rbp ## 
: cmp 0x28(%r15),%rsp ; {poll_return} ## 
: jnbe 0x7fbe17f4b658 ## 
: retq ## 
: vmovq %xmm4,%r11 ## 
: cmp %r11,%r9 ## 
: je 0x7fbe17f4ad88 ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: vmovss %xmm7,0x10(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: mov %r10d,0x14(%rsp) ## 
: mov %ecx,0x20(%rsp) ## 
: mov %eax,0x24(%rsp) ## 
: vmovss %xmm2,0x28(%rsp) ## 
: vmovsd %xmm1,0x30(%rsp) ## 
: vmovss %xmm3,0x2c(%rsp) ## 
: mov %r11,0x38(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop [36]=NarrowOop [40]=NarrowOop [44]=NarrowOop [56]=Oop } ## (reexecute) MemorySessionImpl::checkValidStateRaw
: nopl 0x418(%rax,%rax) ; {post_call_nop} ## 
: vmovq %xmm4,%r10 ## 
: cmp %r10,%r9 ## 
: je 0x7fbe17f4ae3c ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: mov %ecx,0x10(%rsp) ## 
: mov %eax,0x14(%rsp) ## 
: mov 0x28(%rsp),%r10d ## 
: mov %r10d,0x18(%rsp) ## 
: mov %ebx,0x1c(%rsp) ## 
: vmovss %xmm2,0x20(%rsp) ## 
: vmovsd %xmm1,0x28(%rsp) ## 
: mov %r13d,0x24(%rsp) ## 
: vmovss %xmm3,0x30(%rsp) ## 
: vmovsd %xmm4,0x38(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop [32]=NarrowOop [48]=NarrowOop [56]=Oop } ## (reexecute) MemorySessionImpl::checkValidStateRaw@14 (line 200)
: nopl 0x100047c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: vmovss %xmm7,0x10(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: mov %r10d,0x14(%rsp) ## 
: mov %r9d,0x20(%rsp) ## 
: mov %ecx,0x24(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop [32]=NarrowOop } ## Pool::free@53 (line 409)
: nopl 0x20004b8(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r11d,0x28(%rsp) ## 
: mov %edi,0x2c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [28]=NarrowOop } ## SizeClasses::isBlockStart@42 (line 159)
: nopl 0x30004f4(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: mov %rdx,0x28(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r11d,0x34(%rsp) ## 
: mov %r11d,0x38(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=NarrowOop [0]=Oop [28]=NarrowOop [40]=Oop } ## ThreadCache::stack@5 (line 94)
: nopl 0x4000530(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r11d,0x28(%rsp) ## 
: mov %eax,0x2c(%rsp) ## 
: mov %r9,0x40(%rsp) ## 
: mov %rcx,0x48(%rsp) ## 
: mov %rcx,0x50(%rsp) ## 
: mov %r9,0x58(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [28]=NarrowOop [44]=NarrowOop [64]=Oop [88]=Oop } ## AbstractMemorySegmentImpl::checkBounds@16 (line 403)
: nopl 0x5000580(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: mov %ecx,0x10(%rsp) ## 
: mov %eax,0x14(%rsp) ## 
: mov 0x28(%rsp),%r11d ## 
: mov %r11d,0x18(%rsp) ## 
: mov %ebx,%r10d ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r13d,0x28(%rsp) ## 
: vmovsd %xmm0,0x38(%rsp) ## 
: mov %r14,0x40(%rsp) ## 
: mov %r14,0x48(%rsp) ## 
: mov %r8,0x50(%rsp) ## 
: vmovsd %xmm0,0x58(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop [56]=Oop [88]=Oop } ## AbstractMemorySegmentImpl::checkBounds@16 (line 403)
: nopl 0x60005dc(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %r11d,0x8(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=NarrowOop } ## ClassStack::push@16 (line 36)
: nopl 0x70005f8(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffde,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: vmovss %xmm7,0x10(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: mov %r11d,0x20(%rsp) ## 
: mov %eax,0x24(%rsp) ## 
: mov %r10d,0x28(%rsp) ## 
: mov %rcx,0x30(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [36]=NarrowOop [40]=NarrowOop } ## PoolHeader::readWord@9 (line 122)
: nopl 0x8000638(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffcc,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r11d,0x28(%rsp) ## 
: mov %eax,0x2c(%rsp) ## 
: mov %r9,0x40(%rsp) ## 
: mov %rcx,0x48(%rsp) ## 
: mov %rcx,0x50(%rsp) ## 
: mov %r9,0x58(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [28]=NarrowOop [44]=NarrowOop [64]=Oop [88]=Oop } ## AbstractMemorySegmentImpl::checkBounds@16 (line 403)
: nopl 0x9000688(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffcc,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: mov %ecx,0x10(%rsp) ## 
: mov %eax,0x14(%rsp) ## 
: mov 0x28(%rsp),%r10d ## 
: mov %r10d,0x18(%rsp) ## 
: mov %ebx,0x1c(%rsp) ## 
: mov %r13d,0x28(%rsp) ## 
: vmovsd %xmm0,0x38(%rsp) ## 
: mov %r14,0x40(%rsp) ## 
: mov %r14,0x48(%rsp) ## 
: mov %r8,0x50(%rsp) ## 
: vmovsd %xmm0,0x58(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop [56]=Oop [88]=Oop } ## AbstractMemorySegmentImpl::checkBounds@16 (line 403)
: nopl 0xa0006e0(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: vmovsd %xmm0,0x30(%rsp) ## 
: mov %ecx,0x1c(%rsp) ## 
: mov %eax,0x2c(%rsp) ## 
: mov %rbx,0x38(%rsp) ## 
: mov %edi,0x40(%rsp) ## 
: mov %r10d,0x48(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [44]=NarrowOop [48]=Oop } ## (reexecute) Pool::free@141 (line 419)
: nopl 0xb00072c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm6,%rbp ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: mov %rdx,0x10(%rsp) ## 
: mov %ecx,0x18(%rsp) ## 
: mov %eax,0x1c(%rsp) ## 
: mov %r9,0x20(%rsp) ## 
: mov %r11d,0x28(%rsp) ## 
: mov %r10d,0x30(%rsp) ## 
: mov %r8d,0x34(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [16]=Oop [28]=NarrowOop [40]=NarrowOop } ## (reexecute) ThreadCache::counts@10 (line 134)
: nopl 0xc00076c(%rax,%rax) ; {post_call_nop} ## 
: cmp %rax,%r11 ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4b28e ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop } ## (reexecute) Pool::free@28 (line 405)
: nopl 0xd0007a8(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff3d,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: vmovss %xmm7,0x10(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: mov %r10d,0x14(%rsp) ## 
: mov %r11d,0x24(%rsp) ## 
: mov %edi,0x28(%rsp) ## 
: mov %r11d,0x2c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop } ## (reexecute) SizeClasses::isBlockStart@1 (line 155)
: nopl 0xe0007e8(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r11d,0x28(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [28]=NarrowOop } ## (reexecute) SizeClasses::isBlockStart@18 (line 155)
: nopl 0xf000820(%rax,%rax) ; {post_call_nop} ## 
: cmp %rax,%r9 ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4b342 ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r11d,0x28(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [28]=NarrowOop } ## (reexecute) SizeClasses::isBlockStart@52 (line 159)
: nopl 0x1000086c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %ecx,0x28(%rsp) ## 
: mov %eax,0x2c(%rsp) ## 
: mov %r11d,0x30(%rsp) ## 
: vmovsd %xmm1,0x38(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [28]=NarrowOop [44]=NarrowOop [48]=NarrowOop } ## (reexecute) MemorySessionImpl::checkValidStateRaw@25 (line 203)
: nopl 0x110008b4(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: vmovss %xmm7,0x10(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: vmovsd %xmm0,0x20(%rsp) ## 
: mov %ecx,0x14(%rsp) ## 
: mov %rbx,0x30(%rsp) ## 
: mov %edi,0x38(%rsp) ## 
: mov %eax,0x3c(%rsp) ## 
: mov %r10d,0x40(%rsp) ## 
: mov %r13d,0x44(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [32]=Oop [60]=NarrowOop } ## (reexecute) ClassStack::freeUlong1@5 (line 41)
: nopl 0x12000904(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: vmovss %xmm7,0x18(%rsp) ## 
: mov %r8,0x20(%rsp) ## 
: vmovsd %xmm0,0x30(%rsp) ## 
: mov %ecx,0x1c(%rsp) ## 
: mov %eax,0x2c(%rsp) ## 
: mov %rbx,0x38(%rsp) ## 
: mov %edi,0x40(%rsp) ## 
: mov %r10d,0x44(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [44]=NarrowOop [48]=Oop } ## (reexecute) Pool::free@150 (line 419)
: nopl 0x13000950(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: mov %r10d,0x14(%rsp) ## 
: vmovsd %xmm0,0x20(%rsp) ## 
: mov %ecx,0x2c(%rsp) ## 
: mov %eax,0x30(%rsp) ## 
: mov %r13d,0x34(%rsp) ## 
: mov %ebx,%r10d ## 
: mov %r10d,0x3c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [32]=Oop [48]=NarrowOop } ## (reexecute) Pool::free@177 (line 423)
: nopl 0x14000998(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: mov %ecx,0x18(%rsp) ## 
: mov %eax,0x1c(%rsp) ## 
: mov 0x28(%rsp),%r10d ## 
: mov %r10d,0x20(%rsp) ## 
: mov %ebx,0x24(%rsp) ## 
: mov %r13d,0x30(%rsp) ## 
: vmovsd %xmm0,0x40(%rsp) ## 
: mov %r14,0x48(%rsp) ## 
: vmovsd %xmm0,0x50(%rsp) ## 
: mov %r14,0x58(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [28]=NarrowOop [64]=Oop [80]=Oop } ## (reexecute) AbstractMemorySegmentImpl::checkReadOnly@8 (line 349)
: nopl 0x150009ec(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: mov %ecx,0x10(%rsp) ## 
: mov %eax,0x14(%rsp) ## 
: mov %r11d,0x18(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop } ## (reexecute) Pool::free@340 (line 442)
: nopl 0x16000a1c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## (reexecute) Pool::free@2 (line 402)
: nopl 0x17000a30(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: mov %ecx,%ebp ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## Pool::free@53 (line 409)
: nopl 0x18000a44(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: mov %r11d,%ebp ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## ThreadCache::stack@5 (line 94)
: nopl 0x19000a5c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: mov %rcx,%rbp ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## PoolHeader::readWord@9 (line 122)
: nopl 0x1a000a74(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff54,%esi ## 
: vmovq %xmm6,%rbp ## 
: mov %rdx,(%rsp) ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: vmovss %xmm7,0x10(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: mov %r10d,0x14(%rsp) ## 
: mov %ecx,0x20(%rsp) ## 
: mov %eax,0x24(%rsp) ## 
: vmovsd %xmm1,0x28(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [20]=NarrowOop [36]=NarrowOop } ## (reexecute) jdk.internal.misc.ScopedMemoryAccess::getLongUnalignedInternal@1 (line 3858)
: nopl 0x1b000ab4(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %r11d,(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## ClassStack::push@16 (line 36)
: nopl 0x1c000ad0(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm6,%rbp ## 
: vmovsd %xmm5,0x8(%rsp) ## 
: vmovss %xmm7,0x10(%rsp) ## 
: mov %r8,0x18(%rsp) ## 
: mov %rdx,0x20(%rsp) ## 
: mov %r10d,0x14(%rsp) ## 
: mov %r11d,0x2c(%rsp) ## 
: mov %eax,0x34(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [20]=NarrowOop [32]=Oop [52]=NarrowOop } ## (reexecute) ThreadCache::stack@8 (line 95)
: nopl 0x1d000b0c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm6,(%rsp) ## 
: vmovsd %xmm5,0x10(%rsp) ## 
: mov %rdx,0x18(%rsp) ## 
: mov %ecx,0x20(%rsp) ## 
: mov %eax,0x24(%rsp) ## 
: mov %r9,0x28(%rsp) ## 
: mov %r11d,0x30(%rsp) ## 
: mov %r10d,0x34(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=NarrowOop [0]=Oop [24]=Oop [36]=NarrowOop [48]=NarrowOop } ## (reexecute) ThreadCache::counts@14 (line 134)
: nopl 0x1e000b48(%rax,%rax) ; {post_call_nop} ## 
: movabs $0x7fbe17f4aebf,%r10 ; {internal_word} ## 
: mov %r10,0x538(%r15) ## 
: jmpq 0x7fbe17988860 ; {runtime_call SafepointBlob} ## 
: callq 0x7fbe1796df60 ; {runtime_call Stub::method_entry_barrier} ## 
: jmpq 0x7fbe17f4ac2a ## 
: jmpq 0x7fbe17a57de0 ; {runtime_call ExceptionBlob} ## 
: callq 0x7fbe17f4b682 ## 
: subq $0x5,(%rsp) ## 
: jmpq 0x7fbe17988b60 ; {runtime_call DeoptimizationBlob} ## 
: hlt ## 
: hlt ## 
: hlt ## 
: hlt ## 
