/* The guest's copy of the ACPI root tables (see acpi_copy.h). Layout of
 * the buffer: RSDP at 0, XSDT at 64, RSDT after it, then the tables hooks
 * replaced, each 16-byte aligned. A table listed in both the XSDT and the
 * RSDT is hooked once and both copies point at the same result. */
#include "vmm/acpi_copy.h"
#include "lib/bytes.h"
#include "lib/string.h"

#define HDR 36u
#define MAX_TABLE_LEN (1u << 20)

uint8_t acpi_checksum(const uint8_t *p, uint64_t len)
{
    uint8_t s = 0;
    uint64_t i;
    for (i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

enum acpi_verdict acpi_hook_drop(const uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_max,
                                 uint32_t *out_len, void *arg)
{
    (void)in, (void)in_len, (void)out, (void)out_max, (void)out_len, (void)arg;
    return ACPI_DROP;
}

void acpi_rsdp_retarget(uint8_t *r, uint32_t rsdt, uint64_t xsdt)
{
    wr32(r + 16, rsdt);
    r[8] = 0;
    r[8] = (uint8_t)-acpi_checksum(r, 20);
    if (r[15] >= 2) {
        wr64(r + 24, xsdt);
        r[32] = 0;
        r[32] = (uint8_t)-acpi_checksum(r, 36);
    }
}

/* A firmware table with a sane length and a good checksum, or NULL. */
static const uint8_t *read_table(const struct acpi_copy_in *in, uint64_t pa, uint32_t *len)
{
    const uint8_t *h = pa ? in->read(in->ctx, pa, HDR) : 0, *t;
    if (!h)
        return 0;
    *len = rd32(h + 4);
    if (*len < HDR || *len > MAX_TABLE_LEN)
        return 0;
    t = in->read(in->ctx, pa, *len);
    if (!t || acpi_checksum(t, *len))
        return 0;
    return t;
}

struct seen {
    uint64_t pa, new_pa;
    enum acpi_verdict v;
};

struct builder {
    const struct acpi_copy_in *in;
    uint8_t *buf;
    uint64_t gpa, size, off;
    struct seen t[ACPI_COPY_MAX_TABLES];
    unsigned n;
    struct acpi_copy_out *out;
};

static uint64_t align16(uint64_t v)
{
    return (v + 15) & ~15ull;
}

/* Decide (once) what happens to the table at pa; its new address, or 0 to
 * drop it. Unreadable tables are passed on untouched: they are the
 * firmware's business and the guest would see them without keel. */
static const char *resolve(struct builder *b, uint64_t pa, uint64_t *new_pa)
{
    const struct acpi_copy_in *in = b->in;
    const uint8_t *t;
    uint32_t len, i;
    struct seen *s;
    for (i = 0; i < b->n; i++)
        if (b->t[i].pa == pa) {
            *new_pa = b->t[i].new_pa;
            return 0;
        }
    if (b->n >= ACPI_COPY_MAX_TABLES)
        return "ACPI copy: the firmware lists more than 64 tables";
    s = &b->t[b->n++];
    s->pa = s->new_pa = pa;
    s->v = ACPI_KEEP;
    t = read_table(in, pa, &len);
    for (i = 0; t && i < in->nhooks; i++) {
        uint32_t out_len = 0;
        uint8_t *o = b->buf + b->off;
        if (memcmp(t, in->hooks[i].sig, 4))
            continue;
        s->v = in->hooks[i].fn(t, len, o, (uint32_t)(b->size - b->off), &out_len, in->hooks[i].arg);
        if (s->v == ACPI_DROP) {
            s->new_pa = 0;
        } else if (s->v == ACPI_REPLACE) {
            if (out_len < HDR || out_len > b->size - b->off)
                return "ACPI copy: a table rewrite does not fit the space keel reserved";
            wr32(o + 4, out_len);
            o[9] = 0;
            o[9] = (uint8_t)-acpi_checksum(o, out_len);
            s->new_pa = b->gpa + b->off;
            b->off = align16(b->off + out_len);
        }
        break;
    }
    if (s->v == ACPI_KEEP)
        b->out->kept++;
    else if (s->v == ACPI_DROP)
        b->out->dropped++;
    else
        b->out->replaced++;
    *new_pa = s->new_pa;
    return 0;
}

/* Rebuild one root table (entry size 4: RSDT, 8: XSDT) at b->buf + at. */
static const char *copy_root(struct builder *b, const uint8_t *src, uint32_t len, unsigned esize, uint64_t at)
{
    uint8_t *d = b->buf + at;
    uint32_t i, n = HDR;
    memcpy(d, src, HDR);
    for (i = HDR; i + esize <= len; i += esize) {
        uint64_t pa = esize == 8 ? rd64(src + i) : rd32(src + i), np;
        const char *e = resolve(b, pa, &np);
        if (e)
            return e;
        if (!np)
            continue;
        if (esize == 8)
            wr64(d + n, np);
        else
            wr32(d + n, (uint32_t)np);
        n += esize;
    }
    wr32(d + 4, n);
    d[9] = 0;
    d[9] = (uint8_t)-acpi_checksum(d, n);
    return 0;
}

const char *acpi_copy_build(const struct acpi_copy_in *in, uint8_t *buf, uint64_t buf_gpa, uint64_t buf_size,
                            struct acpi_copy_out *out)
{
    static struct builder b;   /* keel's stack is small */
    const uint8_t *r, *x = 0, *rs;
    uint32_t rlen = 20, xlen = 0, rslen = 0;
    uint64_t xsdt_at = 0, rsdt_at = 0;
    const char *e;

    memset(out, 0, sizeof(*out));
    memset(&b, 0, sizeof(b));
    b.in = in, b.buf = buf, b.gpa = buf_gpa, b.size = buf_size, b.out = out;
    if (buf_gpa + buf_size > 0x100000000ull)
        return "ACPI copy: the buffer must lie below 4 GiB";
    r = in->rsdp ? in->rsdp : in->read(in->ctx, in->rsdp_pa, 20);
    if (!r || memcmp(r, "RSD PTR ", 8) || acpi_checksum(r, 20))
        return "ACPI copy: no valid RSDP at the given address";
    if (r[15] >= 2) {
        rlen = 36;
        r = in->rsdp ? in->rsdp : in->read(in->ctx, in->rsdp_pa, 36);
        if (!r || rd32(r + 20) < 36 || acpi_checksum(r, 36))
            return "ACPI copy: the RSDP's extended checksum is wrong";
        x = read_table(in, rd64(r + 24), &xlen);
        if (x && memcmp(x, "XSDT", 4))
            x = 0;
    }
    rs = read_table(in, rd32(r + 16), &rslen);
    if (rs && memcmp(rs, "RSDT", 4))
        rs = 0;
    if (!x && !rs)
        return "ACPI copy: neither the XSDT nor the RSDT is readable with a good checksum";
    /* Room: RSDP, then each root sized for all its firmware entries. */
    b.off = 64;
    if (x) {
        xsdt_at = b.off;
        b.off = align16(b.off + xlen);
    }
    if (rs) {
        rsdt_at = b.off;
        b.off = align16(b.off + rslen);
    }
    if (b.off > buf_size)
        return "ACPI copy: the root tables do not fit the space keel reserved";
    memset(buf, 0, b.off);
    if (x && (e = copy_root(&b, x, xlen, 8, xsdt_at)))
        return e;
    if (rs && (e = copy_root(&b, rs, rslen, 4, rsdt_at)))
        return e;
    memcpy(buf, r, rlen);
    if (rlen == 36)
        wr32(buf + 20, 36);
    out->rsdp = buf_gpa;
    out->xsdt = x ? buf_gpa + xsdt_at : 0;
    out->rsdt = rs ? buf_gpa + rsdt_at : 0;
    acpi_rsdp_retarget(buf, (uint32_t)out->rsdt, out->xsdt);
    out->used = b.off;
    return 0;
}
