/* chainload stub: a 32-bit Multiboot v1 kernel that runs keel's guest
 * loaders (vmm/loader.c ...) on the bare machine and jumps to the guest,
 * no virtualization. Proves the loaders boot real guests (e.g. the Debian
 * Linux test guest) before and independently of the SVM/VMX backends. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003
    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    movl $stack_top, %esp
    pushl %ebx
    pushl %eax
    call chain_main
1:  hlt
    jmp 1b

/* jump_to_guest(eip, eax, ebx, esi): the multiboot / Linux 32-bit entry. */
    .globl jump_to_guest
jump_to_guest:
    cli
    movl 4(%esp), %ecx
    movl 8(%esp), %eax
    movl 12(%esp), %ebx
    movl 16(%esp), %esi
    xorl %edx, %edx
    xorl %edi, %edi
    xorl %ebp, %ebp
    jmp *%ecx

    .bss
    .align 16
    .space 32768
stack_top:

    .section .note.GNU-stack, "", @progbits
