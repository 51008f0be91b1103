: nop ## 
: mov 0x8(%rsi),%r10d ## 
: cmp 0x8(%rax),%r10d ## 
: jne 0x7fbe179863e0 ; {runtime_call Shared Runtime ic_miss_blob} ## 
: mov %eax,0xfffffffffffec000(%rsp) ## 
: push %rbp ## 
: sub $0x90,%rsp ## 
: nop ## 
: cmpl $0x1,0x20(%r15) ## 
: jne 0x7fbe17f4c2d6 ## 
: vmovq %rsi,%xmm5 ## 
: movzbl 0x21(%rsi),%r11d ## 
: mov 0x468(%r15),%r10 ## 
: mov (%r10),%r13 ## 
: test %r11d,%r11d ## 
: jne 0x7fbe17f4bda8 ## 
: xor %esi,%esi ## 
: test %rcx,%rcx ## 
: jle 0x7fbe17f4bddc ## 
: mov %r9,%r10 ## 
: and $0x8,%r10 ## 
: jne 0x7fbe17f4be20 ## 
: mov 0xa0(%rsp),%ebx ## 
: test %ebx,%ebx ## 
: jne 0x7fbe17f4be64 ## 
: cmp $0xfe0,%rcx ## 
: jnle 0x7fbe17f4be9c ## 
: lea 0x1f(%rcx),%r10 ## 
: shr $0x4,%r10 ## 
: mov %r10d,%r10d ## 
: mov $0x2,%ebx ## 
: cmp %ebx,%r10d ## 
: cmovl %ebx,%r10d ## 
: mov 0x28(%rdx),%ebp ; implicit exception: dispatches to 0x00007fbe17f4c17c ## 
: mov 0xc(%r12,%rbp,8),%ebx ; implicit exception: dispatches to 0x00007fbe17f4c194 ## 
: cmp %ebx,%r10d ## 
: jnb 0x7fbe17f4bb34 ## 
: lea (%r12,%rbp,8),%r11 ## 
: mov 0x10(%r11,%r10,4),%r11d ## 
: mov 0xc(%r12,%r11,8),%eax ; implicit exception: dispatches to 0x00007fbe17f4c250 ## 
: test %eax,%eax ## 
: je 0x7fbe17f4bee8 ## 
: mov 0x20(%r12,%r11,8),%r10d ## 
: lea 0xffffffffffffffff(%rax),%ebp ## 
: mov %ebp,0xc(%r12,%r11,8) ## 
: mov 0xc(%r12,%r10,8),%ebx ; implicit exception: dispatches to 0x00007fbe17f4c1ac ## 
: cmp %ebx,%ebp ## 
: jnb 0x7fbe17f4bb70 ## 
: shl $0x3,%r10 ## 
: mov 0x8(%r10,%rax,8),%r10 ## 
: test %r10,%r10 ## 
: je 0x7fbe17f4bf28 ## 
: mov 0x18(%rdx),%rbx ## 
: mov 0x10(%rdx),%rax ## 
: mov %r10,%r14 ## 
: sub %rax,%r14 ## 
: cmp %rbx,%r14 ## 
: jnl 0x7fbe17f4bf5c ## 
: cmp %rax,%r10 ## 
: jl 0x7fbe17f4bd24 ## 
: mov %r10,%rax ; {other} ## 
: mov 0x14(%r12,%r11,8),%ebx ## 
: mov 0x34(%rdx),%r10d ## 
: vmovd %r10d,%xmm0 ## 
: mov 0x38(%rdx),%r10d ## 
: vmovd %r10d,%xmm2 ## 
: lea 0xfffffffffffffff0(%r14),%r10 ## 
: vmovq %r10,%xmm1 ## 
: mov 0x10(%r12,%r11,8),%r10d ## 
: mov %r10d,0x24(%rsp) ## 
: vmovq %xmm1,%r10 ## 
: and $0xfff,%r10 ## 
: mov %r10d,%ebp ## 
: cmp %ebx,%ebp ## 
: je 0x7fbe17f4bfac ## 
: movsxd %r8d,%rbp ## 
: shl $0x20,%rbp ## 
: vmovq %xmm5,%r10 ## 
: mov 0x18(%r10),%r10d ## 
: or 0x1c(%r12,%r11,8),%r10d ## 
: or %rbp,%r10 ## 
: mov %r10,%rbx ## 
: vmovd %xmm0,%r10d ## 
: mov 0x8(%r12,%r10,8),%r10d ; implicit exception: dispatches to 0x00007fbe17f4c1c0 ## 
: cmp $0x10218b0,%r10d ; {metadata('NativeMemorySegmentImpl')} ## 
: jne 0x7fbe17f4bc6c ## 
: vmovd %xmm0,%r10d ## 
: shl $0x3,%r10 ## 
: vmovq %r10,%xmm3 ## 
: movzbl 0xc(%r10),%ebp ## 
: test %ebp,%ebp ## 
: jne 0x7fbe17f4c000 ## 
: movq $0xfffffffffffffff9,%rbp ## 
: add 0x10(%r10),%rbp ## 
: test %rbp,%rbp ## 
: jl 0x7fbe17f4bcc0 ## 
: vmovq %xmm1,%r10 ## 
: cmp %rbp,%r10 ## 
: jnb 0x7fbe17f4bbac ## 
: vmovq %xmm3,%r10 ## 
: mov 0x20(%r10),%r11 ## 
: mov 0x18(%r10),%r10d ## 
: vmovd %r10d,%xmm4 ## 
: vmovq %xmm1,%r10 ## 
: add %r11,%r10 ## 
: mov %r10,%r11 ## 
: vmovd %xmm4,%r10d ## 
: mov 0x18(%r12,%r10,8),%ebp ; implicit exception: dispatches to 0x00007fbe17f4c1dc ## 
: test %ebp,%ebp ## 
: jne 0x7fbe17f4bac7 ## 
: vmovd %xmm4,%r10d ## 
: mov 0xc(%r12,%r10,8),%ebp ## 
: test %ebp,%ebp ## 
: jl 0x7fbe17f4c064 ## 
: mov %r11,%r10 ## 
: mov %rbx,(%r10) ## 
: test %edi,%edi ## 
: je 0x7fbe17f4c0bc ## 
: movzwl 0x20(%rdx),%r10d ## 
: mov %r14,%r11 ## 
: shr $0x4,%r11 ## 
: mov %r10d,%ebx ## 
: shl $0x10,%r10d ## 
: mov %r10d,%edi ## 
: mov %r11d,%r10d ## 
: vmovd %r10d,%xmm0 ## 
: mov %ecx,%r10d ## 
: mov %edi,%r11d ## 
: or %r10d,%r11d ## 
: mov %r11d,%r13d ## 
: vmovd %xmm2,%r10d ## 
: mov 0xc(%r12,%r10,8),%r11d ; implicit exception: dispatches to 0x00007fbe17f4c230 ## 
: vmovd %xmm0,%r10d ## 
: cmp %r11d,%r10d ## 
: jnb 0x7fbe17f4bc10 ## 
: vmovd %xmm2,%r10d ## 
: lea (%r12,%r10,8),%rdi ## 
: vmovd %xmm0,%r10d ## 
: mov %r13d,%r11d ## 
: mov %r11d,0x10(%rdi,%r10,4) ## 
: and $0x2,%r9 ## 
: je 0x7fbe17f4c104 ## 
: mov 0xc(%rdx),%r9d ## 
: vmovq %xmm5,%r10 ; {other} ## 
: mov 0x34(%r10),%r11d ## 
: movsxd 0x24(%rsp),%rcx ## 
: and $0x7fffffff,%r8d ## 
: cmp %r9d,%r8d ## 
: jne 0x7fbe17f4bd74 ## 
: mov 0x40(%rdx),%ebp ## 
: mov 0x10(%r12,%rbp,8),%r10 ; implicit exception: dispatches to 0x00007fbe17f4c28c ## 
: incq %r10 ## 
: mov %r10,0x10(%r12,%rbp,8) ## 
: mov 0x20(%r12,%rbp,8),%r10 ## 
: add %rcx,%r10 ## 
: mov %r10,0x20(%r12,%rbp,8) ## 
: test %ebx,%ebx ## 
: jne 0x7fbe17f4c160 ## 
: add $0x90,%rsp ## 
: pop %rbp ## 
: cmp 0x28(%r15),%rsp ; {poll_return} ## 
: jnbe 0x7fbe17f4c2c0 ## 
: retq ## 
: mov %rbp,%r10 ## 
: shl $0x3,%r10 ## 
: cmp %r13,%r10 ## 
: je 0x7fbe17f4b9eb ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %r13,0x28(%rsp) ## 
: mov %rax,0x30(%rsp) ## 
: vmovss %xmm0,0x38(%rsp) ## 
: vmovss %xmm2,0x3c(%rsp) ## 
: mov %r14,0x40(%rsp) ## 
: vmovss %xmm4,0x48(%rsp) ## 
: mov %r11,0x50(%rsp) ## 
: mov %rbx,0x58(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=NarrowOop [0]=Oop [8]=Oop [40]=Oop [56]=NarrowOop [60]=NarrowOop [72]=NarrowOop } ## (reexecute) MemorySessionImpl::checkValidStateRaw@
: nopl 0x424(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %rdx,0x28(%rsp) ## 
: mov %r10d,0x30(%rsp) ## 
: mov %r10d,0x34(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=NarrowOop [0]=Oop [40]=Oop } ## ThreadCache::stack@5 (line 94)
: nopl 0x1000460(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %r11d,0x24(%rsp) ## 
: mov %r10d,0x28(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [36]=NarrowOop [40]=NarrowOop } ## ClassStack::pop@15 (line 31)
: nopl 0x200049c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovss %xmm0,0x30(%rsp) ## 
: vmovss %xmm2,0x34(%rsp) ## 
: mov %r14,0x38(%rsp) ## 
: mov %rbx,0x48(%rsp) ## 
: vmovsd %xmm3,0x58(%rsp) ## 
: mov %r10,0x60(%rsp) ## 
: mov %r10,0x68(%rsp) ## 
: vmovsd %xmm3,0x70(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [48]=NarrowOop [52]=NarrowOop [88]=Oop [112]=Oop } ## AbstractMemorySegmentImpl::checkBounds@16 (line 403)
: nopl 0x3000500(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffe4,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rdx,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: mov %rax,0x18(%rsp) ## 
: vmovsd %xmm3,0x28(%rsp) ## 
: mov %r14,0x30(%rsp) ## 
: mov 0x24(%rsp),%r10d ## 
: mov %r10d,0x20(%rsp) ## 
: mov %ebx,0x24(%rsp) ## 
: vmovss %xmm2,0x38(%rsp) ## 
: vmovss %xmm0,0x3c(%rsp) ## 
: mov %r13d,0x40(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [40]=Oop [56]=NarrowOop } ## Pool::allocate@283 (line 306)
: nopl 0x400055c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffde,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rdx,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: mov %edi,0x18(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovss %xmm2,0x20(%rsp) ## 
: mov %r14,0x30(%rsp) ## 
: vmovss %xmm0,0x38(%rsp) ## 
: vmovsd %xmm1,0x40(%rsp) ## 
: mov %rbx,0x48(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [32]=NarrowOop [56]=NarrowOop } ## PoolHeader::writeWord@10 (line 126)
: nopl 0x50005b0(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffffcc,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovss %xmm0,0x30(%rsp) ## 
: vmovss %xmm2,0x34(%rsp) ## 
: mov %r14,0x38(%rsp) ## 
: mov %rbx,0x48(%rsp) ## 
: mov %r10,0x58(%rsp) ## 
: vmovsd %xmm1,0x60(%rsp) ## 
: vmovsd %xmm1,0x68(%rsp) ## 
: mov %r10,0x70(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [48]=NarrowOop [52]=NarrowOop [88]=Oop [112]=Oop } ## AbstractMemorySegmentImpl::checkBounds@16 (line 403)
: nopl 0x6000614(%rax,%rax) ; {post_call_nop} ## 
: cmp %rax,%r10 ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4bd36 ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %r11d,0x24(%rsp) ## 
: mov %r10,0x28(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [36]=NarrowOop } ## (reexecute) ThreadCache::inChunk@20 (line 89)
: nopl 0x7000664(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: mov %rdx,%rbp ## 
: mov %r8d,(%rsp) ## 
: mov %rax,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %ebx,0x4(%rsp) ## 
: mov %r11d,0x18(%rsp) ## 
: mov %r9d,0x1c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [24]=NarrowOop } ## (reexecute) ThreadCache::counts@10 (line 134)
: nopl 0x8000698(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rdx,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0x10(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x14(%rsp) ## 
: mov %r11d,0x28(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop } ## (reexecute) Pool::ensureOpen@4 (line 1018)
: nopl 0x90006cc(%rax,%rax) ; {post_call_nop} ## 
: cmp %rsi,%rcx ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4bdee ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0x18(%rsp) ## 
: mov %r9,0x20(%rsp) ## 
: mov %edi,0x1c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop } ## (reexecute) Pool::allocate@27 (line 276)
: nopl 0xa000710(%rax,%rax) ; {post_call_nop} ## 
: cmp %rsi,%r10 ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4be32 ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0x18(%rsp) ## 
: mov %r9,0x20(%rsp) ## 
: mov %edi,0x1c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop } ## (reexecute) Pool::allocate@54 (line 282)
: nopl 0xb000754(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rdx,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: mov %edi,0x18(%rsp) ## 
: mov %ebx,0x1c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop } ## (reexecute) Pool::allocate@66 (line 283)
: nopl 0xc00078c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfe0,%r10d ## 
: cmp %r10,%rcx ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4beb4 ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop } ## (reexecute) SizeClasses::classFor@9 (line 65)
: nopl 0xd0007d8(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rdx,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: mov %edi,0x18(%rsp) ## 
: mov %r10d,0x1c(%rsp) ## 
: mov %r11d,0x20(%rsp) ## 
: mov %eax,0x24(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [32]=NarrowOop } ## (reexecute) Pool::allocate@115 (line 288)
: nopl 0xe000818(%rax,%rax) ; {post_call_nop} ## 
: cmp %rsi,%r10 ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4bf3a ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop } ## (reexecute) Pool::allocate@139 (line 289)
: nopl 0xf00084c(%rax,%rax) ; {post_call_nop} ## 
: cmp %rbx,%r14 ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4bf6e ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %r11d,0x24(%rsp) ## 
: mov %r10,0x28(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [36]=NarrowOop } ## (reexecute) ThreadCache::inChunk@11 (line 89)
: nopl 0x1000089c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovss %xmm0,0x30(%rsp) ## 
: vmovss %xmm2,0x34(%rsp) ## 
: mov %r14,0x38(%rsp) ## 
: mov %r11d,0x40(%rsp) ## 
: mov %ebx,0x44(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [48]=NarrowOop [52]=NarrowOop [64]=NarrowOop } ## (reexecute) ClassStack::freeUlong1@5 (line 41)
: nopl 0x110008f0(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovss %xmm0,0x30(%rsp) ## 
: vmovss %xmm2,0x34(%rsp) ## 
: mov %r14,0x38(%rsp) ## 
: mov %rbx,0x48(%rsp) ## 
: mov %r10,0x58(%rsp) ## 
: vmovsd %xmm1,0x60(%rsp) ## 
: mov %r10,0x68(%rsp) ## 
: vmovsd %xmm1,0x70(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [48]=NarrowOop [52]=NarrowOop [88]=Oop [104]=Oop } ## (reexecute) AbstractMemorySegmentImpl::checkReadOnly@8 (line 349)
: nopl 0x12000954(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x18(%rsp) ## 
: mov %edi,0x20(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovss %xmm0,0x30(%rsp) ## 
: vmovss %xmm2,0x34(%rsp) ## 
: mov %r14,0x38(%rsp) ## 
: mov %r10d,0x40(%rsp) ## 
: mov %r11,0x48(%rsp) ## 
: mov %rbx,0x50(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [48]=NarrowOop [52]=NarrowOop [64]=NarrowOop } ## (reexecute) MemorySessionImpl::checkValidStateRaw@25 (line 203)
: nopl 0x130009ac(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rdx,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: mov %edi,0x18(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovsd %xmm3,0x30(%rsp) ## 
: vmovss %xmm2,0x1c(%rsp) ## 
: mov %r14,0x38(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [28]=NarrowOop [48]=Oop } ## (reexecute) Pool::allocate@253 (line 304)
: nopl 0x140009f4(%rax,%rax) ; {post_call_nop} ## 
: cmp %rsi,%r9 ## 
: mov $0xffffffff,%ebp ## 
: jl 0x7fbe17f4c116 ## 
: setne %bpl ## 
: movzbl %bpl,%ebp ## 
: mov $0xffffff45,%esi ## 
: vmovsd %xmm5,(%rsp) ## 
: mov %rdx,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %rax,0x18(%rsp) ## 
: vmovsd %xmm3,0x28(%rsp) ## 
: mov %r14,0x30(%rsp) ## 
: mov 0x24(%rsp),%r10d ## 
: mov %r10d,0x20(%rsp) ## 
: mov %ebx,0x24(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {[0]=Oop [8]=Oop [40]=Oop } ## (reexecute) Pool::allocate@292 (line 307)
: nopl 0x15000a50(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: mov %rax,(%rsp) ## 
: mov %ebx,0x8(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=NarrowOop } ## (reexecute) TagCount::countAlloc@27 (line 27)
: nopl 0x16000a6c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: mov %r10d,%ebp ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## Pool::allocate@105 (line 287)
: nopl 0x17000a84(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: mov %r10d,%ebp ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## ThreadCache::stack@5 (line 94)
: nopl 0x18000a9c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## ClassStack::pop@15 (line 31)
: nopl 0x19000ab0(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: vmovq %xmm1,%rbp ## 
: mov %rbx,(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## PoolHeader::writeWord@10 (line 126)
: nopl 0x1a000acc(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff54,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rdx,(%rsp) ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: mov %edi,0x18(%rsp) ## 
: mov %rax,0x28(%rsp) ## 
: vmovss %xmm0,0x1c(%rsp) ## 
: vmovss %xmm2,0x20(%rsp) ## 
: mov %r14,0x30(%rsp) ## 
: mov %r11,0x38(%rsp) ## 
: mov %rbx,0x40(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [0]=Oop [28]=NarrowOop [32]=NarrowOop } ## (reexecute) jdk.internal.misc.ScopedMemoryAccess::putLongUnalignedInternal@1 (line 3879)
: nopl 0x1b000b20(%rax,%rax) ; {post_call_nop} ## 
: mov $0xfffffff6,%esi ## 
: vmovd %xmm0,%ebp ## 
: mov %r13d,0xa0(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {} ## Pool::allocate@283 (line 306)
: nopl 0x1c000b40(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: vmovq %xmm5,%rbp ## 
: mov %rcx,0x8(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %r9,0x10(%rsp) ## 
: mov %edi,0x18(%rsp) ## 
: mov %rdx,0x20(%rsp) ## 
: mov %r10d,0x28(%rsp) ## 
: mov %r11d,0x30(%rsp) ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=Oop [32]=Oop [48]=NarrowOop } ## (reexecute) ThreadCache::stack@8 (line 95)
: nopl 0x1d000b7c(%rax,%rax) ; {post_call_nop} ## 
: mov $0xffffff45,%esi ## 
: mov %rdx,(%rsp) ## 
: mov %r8d,0xa0(%rsp) ## 
: mov %rax,0x8(%rsp) ## 
: mov %rcx,0x10(%rsp) ## 
: mov %ebx,0x18(%rsp) ## 
: mov %r11d,0x1c(%rsp) ## 
: nop ## 
: callq 0x7fbe17a57ae0 ; ImmutableOopMap {rbp=NarrowOop [0]=Oop [28]=NarrowOop } ## (reexecute) ThreadCache::counts@14 (line 134)
: nopl 0x1e000bb0(%rax,%rax) ; {post_call_nop} ## 
: movabs $0x7fbe17f4babc,%r10 ; {internal_word} ## 
: mov %r10,0x538(%r15) ## 
: jmpq 0x7fbe17988860 ; {runtime_call SafepointBlob} ## 
: callq 0x7fbe1796df60 ; {runtime_call Stub::method_entry_barrier} ## 
: jmpq 0x7fbe17f4b82e ## 
: jmpq 0x7fbe17a57de0 ; {runtime_call ExceptionBlob} ## 
: callq 0x7fbe17f4c2ea ## 
: subq $0x5,(%rsp) ## 
: jmpq 0x7fbe17988b60 ; {runtime_call DeoptimizationBlob} ## 
: hlt ## 
: hlt ## 
: hlt ## 
: hlt ## 
