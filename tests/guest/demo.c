/* The default guest for `make run`: prints what it sees and exits 0. */
#include "guest.h"

static void show_msr(uint32_t idx, const char *name)
{
    uint64_t v;
    int vec = rdmsr_safe(idx, &v);
    if (vec)
        printf("demo:   %-22s 0x%08x  %s\n", name, idx, vector_name((uint32_t)vec));
    else
        printf("demo:   %-22s 0x%08x  0x%016llx\n", name, idx, (unsigned long long)v);
}

int guest_main(void)
{
    printf("demo: hello from the keel demo guest\n");
    printf("demo: command line:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");

    struct cpuid_r r0 = cpuid(0, 0);
    printf("demo: CPU vendor %s (%s), max leaf 0x%x\n", guest_vendor_str, vendor_name(), r0.a);
    char brand[49];
    if (cpuid_leaf_ok(0x80000004)) {
        for (uint32_t i = 0; i < 3; i++) {
            struct cpuid_r r = cpuid(0x80000002 + i, 0);
            memcpy(brand + 16 * i + 0, &r.a, 4);
            memcpy(brand + 16 * i + 4, &r.b, 4);
            memcpy(brand + 16 * i + 8, &r.c, 4);
            memcpy(brand + 16 * i + 12, &r.d, 4);
        }
        brand[48] = 0;
        const char *b = brand;
        while (*b == ' ')
            b++;
        printf("demo: brand \"%s\"\n", b);
    }
    struct cpuid_r r1 = cpuid(1, 0);
    printf("demo: family/model/stepping 0x%x, leaf 1 ecx=0x%08x edx=0x%08x\n", r1.a, r1.c, r1.d);
    bool hv = cpu_has(&F_HYPERVISOR);
    printf("demo: hypervisor bit %s\n", hv ? "set" : "clear");
    if (hv) {
        struct cpuid_r h = cpuid(0x40000000, 0);
        char sig[13];
        memcpy(sig + 0, &h.b, 4);
        memcpy(sig + 4, &h.c, 4);
        memcpy(sig + 8, &h.d, 4);
        sig[12] = 0;
        for (int i = 0; i < 12; i++)
            if (sig[i] < 0x20 || sig[i] > 0x7e)
                sig[i] = '.';
        printf("demo: hypervisor leaf 0x40000000: max 0x%x signature \"%s\"\n", h.a, sig);
        uint32_t a, b;
        int vec = hypercall(HC_PING, 0, &a, &b);
        if (vec)
            printf("demo: hypercall PING raised %s\n", vector_name((uint32_t)vec));
        else
            printf("demo: hypercall PING -> 0x%08x%s\n", a, a == HC_PING_REPLY ? " (\"keel\")" : "");
    }
    uint64_t t0 = rdtsc(), t1 = rdtsc();
    printf("demo: TSC (RDTSC) 0x%llx, +%llu across back-to-back RDTSCs\n", (unsigned long long)t1,
           (unsigned long long)(t1 - t0));
    printf("demo: MSRs:\n");
    show_msr(0x10, "IA32_TSC");
    show_msr(0x1b, "IA32_APIC_BASE");
    show_msr(0x1a0, "IA32_MISC_ENABLE");
    show_msr(0x277, "IA32_PAT");
    show_msr(0xc0000080, "EFER");
    show_msr(0xc0000103, "TSC_AUX");
    show_msr(0x3a, "IA32_FEATURE_CONTROL");
    show_msr(0x2ff, "IA32_MTRR_DEF_TYPE");
    show_msr(0xc0010114, "AMD VM_CR");

    if (mbi) {
        printf("demo: boot protocol %s\n", mb2i ? "multiboot2" : "multiboot v1");
        if (mbi->flags & 1)
            printf("demo: memory: lower %u KiB, upper %u KiB (%u MiB total)\n", mbi->mem_lower,
                   mbi->mem_upper, (mbi->mem_upper >> 10) + 1);
        if (mbi->flags & (1u << 6)) {
            printf("demo: memory map:\n");
            uint32_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
            while (p < end) {
                const struct mb_mmap *m = (const struct mb_mmap *)p;
                printf("demo:   0x%016llx-0x%016llx type %u\n", (unsigned long long)m->addr,
                       (unsigned long long)(m->addr + m->len - 1), m->type);
                p += m->size + 4;
            }
        }
        if (mbi->flags & (1u << 3))
            printf("demo: %u module(s)\n", mbi->mods_count);
    }
    printf("demo: done, exiting with 0\n");
    guest_exit(0);
}
