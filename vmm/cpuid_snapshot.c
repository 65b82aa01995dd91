/* The host CPUID snapshot: read once at boot (keel), or parsed from an
 * AIDA64-format dump (unit tests, fuzzer), and printed in that same format
 * so that keel's own output under an emulator can be recorded as a dump. */
#include "vmm/cpuid.h"
#include "lib/log.h"
#include "lib/string.h"

bool cpuid_snapshot_get(const struct cpuid_snapshot *s, uint32_t leaf, uint32_t sub,
                        struct cpuid_regs *out)
{
    unsigned i;
    for (i = 0; i < s->n; i++)
        if (s->e[i].leaf == leaf && s->e[i].sub == sub) {
            *out = s->e[i].r;
            return true;
        }
    *out = (struct cpuid_regs){ 0, 0, 0, 0 };
    return false;
}

bool cpuid_snapshot_set(struct cpuid_snapshot *s, uint32_t leaf, uint32_t sub, bool has_sl,
                        const struct cpuid_regs *r)
{
    unsigned i;
    if (sub > 0xff)
        return false;
    for (i = 0; i < s->n; i++)
        if (s->e[i].leaf == leaf && s->e[i].sub == sub)
            break;
    if (i == s->n) {
        if (s->n >= CPUID_SNAP_MAX)
            return false;
        s->n++;
    }
    s->e[i].leaf = leaf;
    s->e[i].sub = (uint8_t)sub;
    s->e[i].flags = has_sl ? CPUID_SNAP_HAS_SL : 0;
    s->e[i].r = *r;
    return true;
}

#ifndef KEEL_HOSTED
static void snap(struct cpuid_snapshot *s, uint32_t leaf, uint32_t sub, bool has_sl,
                 struct cpuid_regs *r)
{
    cpuid_count(leaf, sub, r);
    cpuid_snapshot_set(s, leaf, sub, has_sl, r);
}

void cpuid_snapshot_host(struct cpuid_snapshot *s)
{
    struct cpuid_regs r, r0;
    uint32_t leaf, sub, max, mask, nsub;
    memset(s, 0, sizeof(*s));
    snap(s, 0, 0, false, &r0);
    max = r0.eax > 0x20 ? 0x20 : r0.eax;
    for (leaf = 1; leaf <= max; leaf++) {
        switch (leaf) {
        case 4:   /* deterministic cache parameters: until type 0 (SDM Vol. 2 CPUID) */
            for (sub = 0; sub < 16; sub++) {
                snap(s, leaf, sub, true, &r);
                if ((r.eax & 0x1f) == 0)
                    break;
            }
            break;
        case 7:
        case 0x14:
            snap(s, leaf, 0, true, &r);
            for (sub = 1, nsub = r.eax > 7 ? 7 : r.eax; sub <= nsub; sub++)
                snap(s, leaf, sub, true, &r);
            break;
        case 0xB:
        case 0x1F:   /* topology levels: until level type 0 */
            for (sub = 0; sub < 8; sub++) {
                snap(s, leaf, sub, true, &r);
                if (((r.ecx >> 8) & 0xff) == 0)
                    break;
            }
            break;
        case 0xD: {
            struct cpuid_regs d1;
            snap(s, leaf, 0, true, &r);
            snap(s, leaf, 1, true, &d1);
            mask = r.eax | d1.ecx;   /* XCR0 and XSS components, bits 0..31 */
            for (sub = 2; sub < 32; sub++)
                if ((mask >> sub) & 1)
                    snap(s, leaf, sub, true, &r);
            break;
        }
        case 0xF: case 0x10: case 0x12: case 0x17: case 0x18: case 0x1D: case 0x1E: case 0x20:
            snap(s, leaf, 0, true, &r);
            break;
        default:
            snap(s, leaf, 0, false, &r);
        }
    }
    snap(s, CPUID_EXT_BASE, 0, false, &r0);
    if (r0.eax > CPUID_EXT_BASE && r0.eax < CPUID_EXT_BASE + 0x100) {
        max = r0.eax > CPUID_EXT_BASE + 0x28 ? CPUID_EXT_BASE + 0x28 : r0.eax;
        for (leaf = CPUID_EXT_BASE + 1; leaf <= max; leaf++) {
            if (leaf == 0x8000001D || leaf == 0x80000026) {
                for (sub = 0; sub < 8; sub++) {
                    snap(s, leaf, sub, true, &r);
                    if ((leaf == 0x8000001D ? r.eax & 0x1f : (r.ecx >> 8) & 0xff) == 0)
                        break;
                }
            } else if (leaf == 0x80000020) {
                for (sub = 0; sub < 4; sub++)
                    snap(s, leaf, sub, true, &r);
            } else
                snap(s, leaf, 0, false, &r);
        }
    }
    /* IA32_ARCH_CAPABILITIES (0x10A) exists iff CPUID.7.0:EDX[29] (SDM Vol. 4). */
    cpuid_snapshot_get(s, 7, 0, &r);
    if (r0.eax >= 7 && ((r.edx >> 29) & 1))
        s->arch_caps = rdmsr(0x10a);
    /* A PMU's first event select (AMD PerfEvtSel0, APM Vol. 2 13.2.1; Intel
     * IA32_PERFEVTSEL0 when leaf 0xA has a version, SDM Vol. 3B 20.2.1) keeps
     * what is written; emulators without one fault or read 0. Probe with
     * event 0x76 and the enable bit clear (nothing counts), then restore. */
    cpuid_snapshot_get(s, 0, 0, &r);
    {
        uint32_t sel = 0;
        uint64_t old, v;
        if (r.ebx == 0x68747541u)
            sel = 0xc0010000u;
        else if (r.ebx == 0x756e6547u && r.eax >= 0xA && cpuid_snapshot_get(s, 0xA, 0, &r) && (r.eax & 0xff))
            sel = 0x186;
        if (sel && rdmsr_safe(sel, &old) && wrmsr_safe(sel, 0x76) && rdmsr_safe(sel, &v)) {
            s->host_pmu = (v & 0xffff) == 0x76;
            wrmsr_safe(sel, old);
        }
    }
}
#endif

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly n hex digits at *pp. */
static bool hexn(const char **pp, unsigned n, uint32_t *out)
{
    const char *p = *pp;
    uint32_t v = 0;
    unsigned i;
    for (i = 0; i < n; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        v = (v << 4) | (uint32_t)h;
    }
    *pp = p + n;
    *out = v;
    return true;
}

static bool parse_line(const char *p, const char *end, struct cpuid_snapshot *s)
{
    uint32_t leaf, sub = 0, v[4];
    bool has_sl = false;
    unsigned i;
    struct cpuid_regs r;
    p += 6;   /* "CPUID " */
    /* Only "CPUID <8 hex digits>:" lines are register lines (AIDA64 also
     * prints "CPUID Manufacturer: ..."); those must then be well formed. */
    if (end - p < 9 || !hexn(&p, 8, &leaf) || *p++ != ':')
        return true;
    if (end - p < 36 || *p++ != ' ')
        return false;
    for (i = 0; i < 4; i++) {
        if (!hexn(&p, 8, &v[i]))
            return false;
        if (i < 3 && *p++ != '-')
            return false;
    }
    if (end - p >= 8 && p[0] == ' ' && p[1] == '[' && p[2] == 'S' && p[3] == 'L' && p[4] == ' ') {
        p += 5;
        if (!hexn(&p, 2, &sub) || *p != ']')
            return false;
        has_sl = true;
    }
    r = (struct cpuid_regs){ v[0], v[1], v[2], v[3] };
    {   /* first occurrence wins: a dump holds one logical CPU */
        struct cpuid_regs old;
        if (cpuid_snapshot_get(s, leaf, sub, &old))
            return true;
    }
    return cpuid_snapshot_set(s, leaf, sub, has_sl, &r);
}

bool cpuid_snapshot_parse(const char *text, struct cpuid_snapshot *s)
{
    const char *p = text, *end;
    struct cpuid_regs r;
    memset(s, 0, sizeof(*s));
    while (*p) {
        for (end = p; *end && *end != '\n'; end++)
            ;
        if (end - p >= 6 && strncmp(p, "keel: ", 6) == 0)
            p += 6;
        if (end - p >= 6 && strncmp(p, "CPUID ", 6) == 0 && !parse_line(p, end, s))
            return false;
        if (end - p >= 13 && strncmp(p, "PMU host: yes", 13) == 0)
            s->host_pmu = true;
        if (end - p >= 31 && strncmp(p, "MSR 0000010A: ", 14) == 0) {
            const char *q = p + 14;
            uint32_t hi, lo;
            if (hexn(&q, 8, &hi) && *q++ == '-' && hexn(&q, 8, &lo))
                s->arch_caps = ((uint64_t)hi << 32) | lo;
        }
        p = *end ? end + 1 : end;
    }
    return cpuid_snapshot_get(s, 0, 0, &r);
}

void cpuid_snapshot_print(const struct cpuid_snapshot *s)
{
    unsigned i;
    for (i = 0; i < s->n; i++) {
        const struct cpuid_snap_entry *e = &s->e[i];
        if (e->flags & CPUID_SNAP_HAS_SL)
            klog("CPUID %08X: %08X-%08X-%08X-%08X [SL %02X]", e->leaf, e->r.eax, e->r.ebx,
                 e->r.ecx, e->r.edx, e->sub);
        else
            klog("CPUID %08X: %08X-%08X-%08X-%08X", e->leaf, e->r.eax, e->r.ebx, e->r.ecx,
                 e->r.edx);
    }
    if (s->arch_caps)
        klog("MSR 0000010A: %08X-%08X [IA32_ARCH_CAPABILITIES]", (uint32_t)(s->arch_caps >> 32),
             (uint32_t)s->arch_caps);
    /* The PMU probe's verdict (CPUID cannot tell), so a recorded dump
     * carries everything the policy reads. */
    klog("PMU host: %s", s->host_pmu ? "yes" : "no");
}
