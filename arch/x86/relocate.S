/* void relocate_and_switch(uint64_t dst_phys, const void *src, uint64_t len, uint64_t cr3)
 * Copies keel's image to its region (dst is identity-mapped) and switches to
 * the page tables that map the image's virtual addresses there. The stack
 * (the boot stack, identity-mapped in both tables) is not copied; the
 * return address is an image address, so `ret` lands in the new copy. */
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

/* void run_on_stack(uint64_t stack_top, void (*fn)(void)): the boot CPU
 * leaves its boot stack for good; fn's frame is the first (rbp = 0 ends
 * the backtrace there). */
.globl run_on_stack
run_on_stack:
    movq %rdi, %rsp
    xorl %ebp, %ebp
    call *%rsi
1:  cli
    hlt
    jmp 1b
.section .note.GNU-stack,"",@progbits
