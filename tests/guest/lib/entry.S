/* Guest entry: Multiboot v1 header, start-up, GDT, exception stubs, and the
 * register-integrity CPUID loop. 32-bit protected mode, paging off. */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003     /* page-align modules, want memory info */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

        .section .bss
        .align 16
stack_bottom:
        .skip 65536
stack_top:

        .section .data
        .align 8
gdt:
        .quad 0
        .quad 0x00cf9a000000ffff        /* 0x08: flat 32-bit code */
        .quad 0x00cf92000000ffff        /* 0x10: flat data */
gdt_end:
gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt

        .globl cpuid_stress_regs, cpuid_stress_want
cpuid_stress_regs: .fill 8, 4, 0
cpuid_stress_want: .fill 8, 4, 0
cs_n:    .long 0
cs_i:    .long 0
cs_leaf: .long 0
cs_esp:  .long 0
insn_safe_esp: .long 0

        .section .text
        .globl _start
_start:
        cli
        cld
        mov $stack_top, %esp
        /* The multiboot spec leaves GDTR undefined: load our own. */
        lgdt gdt_desc
        ljmp $0x08, $1f
1:      mov $0x10, %ecx
        mov %ecx, %ds
        mov %ecx, %es
        mov %ecx, %fs
        mov %ecx, %gs
        mov %ecx, %ss
        push %ebx                       /* multiboot info */
        push %eax                       /* magic */
        call guest_start                /* lib/start.c, does not return */
2:      hlt
        jmp 2b

/* ---- exception stubs: push a dummy error code where the CPU pushes none ---- */
.macro EXC_NOERR n
        .align 8
exc_\n:
        push $0
        push $\n
        jmp exc_common
.endm
.macro EXC_ERR n
        .align 8
exc_\n:
        push $\n
        jmp exc_common
.endm
EXC_NOERR 0
EXC_NOERR 1
EXC_NOERR 2
EXC_NOERR 3
EXC_NOERR 4
EXC_NOERR 5
EXC_NOERR 6
EXC_NOERR 7
EXC_ERR   8
EXC_NOERR 9
EXC_ERR   10
EXC_ERR   11
EXC_ERR   12
EXC_ERR   13
EXC_ERR   14
EXC_NOERR 15
EXC_NOERR 16
EXC_ERR   17
EXC_NOERR 18
EXC_NOERR 19
EXC_NOERR 20
EXC_ERR   21
EXC_NOERR 22
EXC_NOERR 23
EXC_NOERR 24
EXC_NOERR 25
EXC_NOERR 26
EXC_NOERR 27
EXC_NOERR 28
EXC_ERR   29
EXC_ERR   30
EXC_NOERR 31

        .section .data
        .globl exc_stub_table
exc_stub_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long exc_\n
        .endr

        .section .text
/* Frame for exc_handler (struct exc_frame in lib/idt.c): PUSHA block, vector,
 * error code, then EIP/CS/EFLAGS pushed by the CPU. POPA restores every GPR,
 * so a fixed-up fault leaves EAX/EDX exactly as they were. */
exc_common:
        pusha
        mov %esp, %eax
        push %eax
        call exc_handler
        add $4, %esp
        popa
        add $8, %esp
        iret

/* int insn_safe(void (*fn)(void)): call fn with a fixup armed; on a fault
 * resume with the stack and callee-saved registers as they were here. */
        .globl insn_safe
insn_safe:
        push %ebp
        push %ebx
        push %esi
        push %edi
        mov 20(%esp), %eax
        mov %esp, insn_safe_esp
        movl $0, guest_fault_vec
        movl $3f, guest_fixup_eip
        call *%eax
        jmp 4f
3:      mov insn_safe_esp, %esp
4:      movl $0, guest_fixup_eip
        mov guest_fault_vec, %eax
        pop %edi
        pop %esi
        pop %ebx
        pop %ebp
        ret

/* uint32_t cpuid_stress(uint32_t n, uint32_t leaf) -- see lib/guest.h. */
        .globl cpuid_stress
cpuid_stress:
        push %ebp
        push %ebx
        push %esi
        push %edi
        mov 20(%esp), %eax
        mov %eax, cs_n
        mov 24(%esp), %eax
        mov %eax, cs_leaf
        movl $0, cs_i
        xor %ecx, %ecx
        cpuid
        mov %eax, cpuid_stress_want + 0
        mov %ebx, cpuid_stress_want + 4
        mov %ecx, cpuid_stress_want + 8
        mov %edx, cpuid_stress_want + 12
        movl $0x5e5e0001, cpuid_stress_want + 16
        movl $0x5e5e0002, cpuid_stress_want + 20
        movl $0x5e5e0003, cpuid_stress_want + 24
        mov %esp, cs_esp
        mov %esp, cpuid_stress_want + 28
        mov $0x5e5e0001, %esi
        mov $0x5e5e0002, %edi
        mov $0x5e5e0003, %ebp
5:      incl cs_i
        mov cs_leaf, %eax
        xor %ecx, %ecx
        cpuid
        cmp cpuid_stress_want + 0, %eax
        jne 7f
        cmp cpuid_stress_want + 4, %ebx
        jne 7f
        cmp cpuid_stress_want + 8, %ecx
        jne 7f
        cmp cpuid_stress_want + 12, %edx
        jne 7f
        cmp $0x5e5e0001, %esi
        jne 7f
        cmp $0x5e5e0002, %edi
        jne 7f
        cmp $0x5e5e0003, %ebp
        jne 7f
        cmp cs_esp, %esp
        jne 7f
        mov cs_i, %eax
        cmp cs_n, %eax
        jb 5b
        xor %eax, %eax
        jmp 8f
7:      mov %eax, cpuid_stress_regs + 0
        mov %ebx, cpuid_stress_regs + 4
        mov %ecx, cpuid_stress_regs + 8
        mov %edx, cpuid_stress_regs + 12
        mov %esi, cpuid_stress_regs + 16
        mov %edi, cpuid_stress_regs + 20
        mov %ebp, cpuid_stress_regs + 24
        mov %esp, cpuid_stress_regs + 28
        mov cs_esp, %esp
        mov cs_i, %eax
8:      pop %edi
        pop %esi
        pop %ebx
        pop %ebp
        ret

        .section .note.GNU-stack, "", @progbits
