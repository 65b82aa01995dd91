; keel's stacks, each with a guard page below it that arch/x86/paging.c
; leaves unmapped, so an overflow faults instead of corrupting memory.
section .bss.stacks nobits alloc noexec write align=4096
global keel_stack_guard, keel_stack_bottom, keel_stack_top
global keel_ist_guard, keel_ist_bottom, keel_ist_top
alignb 4096
keel_stack_guard:  resb 4096
keel_stack_bottom: resb 0x8000
keel_stack_top:
keel_ist_guard:    resb 4096
keel_ist_bottom:   resb 0x2000     ; #DF/NMI/#MC: a dump and a stop, no deep calls
keel_ist_top:
