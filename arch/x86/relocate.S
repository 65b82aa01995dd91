/* void relocate_and_switch(uint64_t dst_phys, const void *src, uint64_t len, uint64_t cr3)
 * Copies keel's image to its region (dst is identity-mapped) and switches to
 * the page tables that map the image's virtual addresses there. The return
 * address on the stack is part of the copy, so `ret` lands in the new copy. */
.text
.globl relocate_and_switch
relocate_and_switch:
    pushfq
    cli
    movq %rcx, %r8
    movq %rdx, %rcx
    /* rdi = dst, rsi = src already */
    rep movsb
    movq %r8, %cr3
    popfq
    ret
.section .note.GNU-stack,"",@progbits
