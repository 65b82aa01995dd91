/* MADT parsing and rewriting (ACPI 6.5 section 5.2.12); see madt.h. */
#include "vmm/madt.h"
#include "lib/string.h"

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A processor entry (type 0 or 9)? Then its minimum length, and, when it
 * is long enough, its APIC ID and UID. */
static bool cpu_entry(const uint8_t *e, uint32_t *apic_id, uint32_t *uid, uint8_t *min_len)
{
    if (e[0] == MADT_TYPE_LAPIC) {
        *min_len = 8;
        if (e[1] < 8)
            return true;
        *uid = e[2];
        *apic_id = e[3];
        return true;
    }
    if (e[0] == MADT_TYPE_X2APIC) {
        *min_len = 16;
        if (e[1] < 16)
            return true;
        *apic_id = rd32(e + 4);
        *uid = rd32(e + 12);
        return true;
    }
    return false;
}

static uint32_t flags_offset(uint8_t type)
{
    return type == MADT_TYPE_LAPIC ? 4 : 8;
}

const char *madt_parse(const uint8_t *madt, uint32_t len, struct madt_info *out)
{
    uint32_t off, tlen;
    unsigned i;

    memset(out, 0, sizeof(*out));
    if (len < MADT_HEADER_LEN || memcmp(madt, "APIC", 4))
        return "MADT: not a MADT or shorter than its 44-byte header";
    tlen = rd32(madt + 4);
    if (tlen < MADT_HEADER_LEN || tlen > len)
        return "MADT: header length is outside the table";
    out->lapic_addr = rd32(madt + 36);
    for (off = MADT_HEADER_LEN; off < tlen; off += madt[off + 1]) {
        const uint8_t *e = madt + off;
        uint32_t apic_id = 0, uid = 0, flags;
        uint8_t min_len = 2;
        if (off + 2 > tlen || e[1] < 2 || off + e[1] > tlen)
            return "MADT: an entry is shorter than 2 bytes or runs past the end of the table";
        if (!cpu_entry(e, &apic_id, &uid, &min_len))
            continue;
        if (e[1] < min_len)
            return e[0] == MADT_TYPE_LAPIC ? "MADT: a Local APIC entry is shorter than 8 bytes"
                                           : "MADT: a Local x2APIC entry is shorter than 16 bytes";
        flags = rd32(e + flags_offset(e[0]));
        if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE))) {
            out->disabled++;
            continue;
        }
        /* 0xFF is the xAPIC broadcast ID, 0xFFFFFFFF the x2APIC one: never a CPU. */
        if ((e[0] == MADT_TYPE_LAPIC && apic_id == 0xff) || apic_id == 0xffffffffu) {
            out->disabled++;
            continue;
        }
        for (i = 0; i < out->ncpus; i++)
            if (out->cpus[i].apic_id == apic_id)
                return "MADT: two processor entries have the same APIC ID";
        if (out->ncpus == KEEL_MAX_CPUS) {
            out->over_limit++;
            continue;
        }
        out->cpus[out->ncpus++] = (struct madt_cpu){ .apic_id = apic_id, .uid = uid, .type = e[0],
                                                     .enabled = (flags & MADT_CPU_ENABLED) != 0 };
    }
    return 0;
}

unsigned madt_hide_cpus(uint8_t *madt, uint32_t len, bool (*keep)(uint32_t apic_id, void *ctx), void *ctx)
{
    uint32_t off, tlen = rd32(madt + 4), i;
    unsigned hidden = 0;
    uint8_t sum = 0;

    if (tlen > len)
        return 0;
    for (off = MADT_HEADER_LEN; off + 2 <= tlen && madt[off + 1] >= 2 && off + madt[off + 1] <= tlen;
         off += madt[off + 1]) {
        uint8_t *e = madt + off, min_len = 2;
        uint32_t apic_id = 0, uid = 0, flags;
        if (!cpu_entry(e, &apic_id, &uid, &min_len) || e[1] < min_len)
            continue;
        flags = rd32(e + flags_offset(e[0]));
        if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)) || keep(apic_id, ctx))
            continue;
        flags &= ~(uint32_t)(MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE);
        memcpy(e + flags_offset(e[0]), &flags, 4);
        hidden++;
    }
    /* The checksum byte (offset 9) makes the whole table sum to 0 (5.2.6). */
    madt[9] = 0;
    for (i = 0; i < tlen; i++)
        sum += madt[i];
    madt[9] = (uint8_t)-sum;
    return hidden;
}
