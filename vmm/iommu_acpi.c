/* DMAR (VT-d spec 8.1-8.4) and IVRS (AMD IOMMU spec 5.2) parsing. Every
 * structure's length is checked against its minimum and against what is
 * left of the table before a byte of it is read; a zero length is an error
 * (it would never advance). Unknown structure types are skipped by their
 * length, as the specs ask of software. */
#include "vmm/iommu_acpi.h"
#include "lib/bytes.h"
#include "lib/format.h"
#include "lib/string.h"

#define ACPI_HDR 36u
#define DMAR_FIRST 48u          /* header, HAW (36), flags (37), 10 reserved */
#define IVRS_FIRST 48u          /* header, IVinfo (36), 8 reserved */

static const char *reject(struct iommu_acpi *out, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static const char *reject(struct iommu_acpi *out, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    memset(out, 0, sizeof(*out));
    return err;
}

/* The ACPI table header both tables start with (ACPI 6.5 5.2.6): the
 * signature, a length within the bytes given and covering the table's own
 * fixed part (`first` bytes). NULL and *len = the table's length, or the
 * rejection. */
static const char *table_header(const uint8_t *t, uint32_t *len, const char *sig, uint32_t first,
                                struct iommu_acpi *out, char *err, size_t errlen)
{
    uint32_t tlen;
    memset(out, 0, sizeof(*out));
    if (*len < first)
        return reject(out, err, errlen, "%s: table of %u bytes is shorter than its %u-byte header", sig, *len,
                      first);
    if (memcmp(t, sig, 4))
        return reject(out, err, errlen, "%s: wrong signature", sig);
    tlen = rd32(t + 4);
    if (tlen > *len || tlen < first)
        return reject(out, err, errlen, "%s: header length %u but %u bytes available", sig, tlen, *len);
    *len = tlen;
    return NULL;
}

/* ---- DMAR ------------------------------------------------------------------------ */

enum { DMAR_DRHD = 0, DMAR_RMRR = 1 };
#define DRHD_INCLUDE_PCI_ALL 0x1u

/* Device scope entries (VT-d 8.3.1): type, length = 6 + 2 * path entries,
 * flags, reserved, enumeration ID, start bus, then (device, function) pairs. */
static const char *dmar_scopes(const uint8_t *p, uint32_t len, const char *what, uint64_t at, unsigned *n,
                               struct iommu_acpi *out, char *err, size_t errlen)
{
    uint32_t off = 0;
    *n = 0;
    while (off < len) {
        uint8_t slen;
        if (len - off < 2)
            return reject(out, err, errlen, "DMAR %s at offset 0x%lx: truncated device scope", what, at);
        slen = p[off + 1];
        if (slen < 8 || (slen & 1) || slen > len - off)
            return reject(out, err, errlen,
                          "DMAR %s at offset 0x%lx: device scope of length %u (needs 6 + 2n, n >= 1, within "
                          "the structure's %u bytes)",
                          what, at, slen, len - off);
        if (p[off] == 0 || p[off] > 5)
            return reject(out, err, errlen, "DMAR %s at offset 0x%lx: unknown device scope type %u", what, at,
                          p[off]);
        (*n)++;
        off += slen;
    }
    return 0;
}

const char *dmar_parse(const uint8_t *t, uint32_t len, struct iommu_acpi *out, char *err, size_t errlen)
{
    uint32_t off;
    const char *bad = table_header(t, &len, "DMAR", DMAR_FIRST, out, err, errlen);
    if (bad)
        return bad;
    out->haw = (uint8_t)(t[36] + 1);
    out->dmar_flags = t[37];
    if (out->haw < 32 || out->haw > 64)
        return reject(out, err, errlen, "DMAR: host address width %u bits is out of range", out->haw);
    for (off = DMAR_FIRST; off < len;) {
        uint16_t type, slen;
        const uint8_t *s = t + off;
        if (len - off < 4)
            return reject(out, err, errlen, "DMAR: truncated remapping structure at offset 0x%x", off);
        type = rd16(s);
        slen = rd16(s + 2);
        if (slen < 4 || slen > len - off)
            return reject(out, err, errlen,
                          "DMAR: remapping structure type %u at offset 0x%x has length %u (%u bytes left)", type,
                          off, slen, len - off);
        if (type == DMAR_DRHD) {
            struct iommu_unit *u;
            const char *e;
            if (slen < 16)
                return reject(out, err, errlen, "DMAR: DRHD at offset 0x%x is %u bytes, needs 16", off, slen);
            if (out->nunits >= IOMMU_MAX_UNITS)
                return reject(out, err, errlen, "DMAR: more than %u remapping units", IOMMU_MAX_UNITS);
            u = &out->unit[out->nunits];
            u->flags = s[4];
            u->include_all = (s[4] & DRHD_INCLUDE_PCI_ALL) != 0;
            /* VT-d 8.3: Size (byte 5) = log2 of the register set's 4 KiB
             * pages; older tables leave it 0 = one page. */
            if (s[5] > 8)
                return reject(out, err, errlen, "DMAR: DRHD at offset 0x%x: register set size 2^%u pages", off,
                              s[5]);
            u->mmio_size = 0x1000ull << s[5];
            u->segment = rd16(s + 6);
            u->mmio_base = rd64(s + 8);
            if (!u->mmio_base || (u->mmio_base & 0xfff))
                return reject(out, err, errlen, "DMAR: DRHD at offset 0x%x: register base 0x%lx is not a 4 KiB "
                              "aligned address", off, u->mmio_base);
            e = dmar_scopes(s + 16, slen - 16u, "DRHD", off, &u->nscopes, out, err, errlen);
            if (e)
                return e;
            if (!u->include_all && !u->nscopes)
                return reject(out, err, errlen, "DMAR: DRHD at offset 0x%x covers no device (no scope, no "
                              "INCLUDE_PCI_ALL)", off);
            out->nunits++;
        } else if (type == DMAR_RMRR) {
            struct iommu_resv *r;
            uint64_t base, limit;
            unsigned n;
            const char *e;
            if (slen < 24)
                return reject(out, err, errlen, "DMAR: RMRR at offset 0x%x is %u bytes, needs 24", off, slen);
            base = rd64(s + 8);
            limit = rd64(s + 16);
            /* VT-d 8.4: base 4 KiB aligned, limit the last byte (4 KiB - 1 aligned). */
            if ((base & 0xfff) || (limit & 0xfff) != 0xfff || limit < base)
                return reject(out, err, errlen, "DMAR: RMRR at offset 0x%x: bad range [0x%lx, 0x%lx]", off, base,
                              limit);
            e = dmar_scopes(s + 24, slen - 24u, "RMRR", off, &n, out, err, errlen);
            if (e)
                return e;
            if (out->nresv >= IOMMU_MAX_RESV)
                return reject(out, err, errlen, "DMAR: more than %u reserved memory regions", IOMMU_MAX_RESV);
            r = &out->resv[out->nresv++];
            r->base = base;
            r->end = limit + 1;
            r->segment = rd16(s + 6);
        }
        off += slen;
    }
    if (!out->nunits)
        return reject(out, err, errlen, "DMAR: no remapping hardware unit (DRHD)");
    out->kind = IOMMU_KIND_VTD;
    return 0;
}

/* ---- IVRS ------------------------------------------------------------------------ */

/* IVHD device entries (AMD IOMMU spec 5.2.2.2): the type's top bits give
 * the size: 0x00-0x3f 4 bytes, 0x40-0x7f 8 bytes, 0xf0 (ACPI HID device)
 * 22 bytes + UID length; other types >= 0x80 are reserved. */
enum {
    IVHD_DEV_ALL = 0x01, IVHD_DEV_SELECT = 0x02, IVHD_DEV_RANGE_START = 0x03, IVHD_DEV_RANGE_END = 0x04,
    IVHD_DEV_ALIAS_SELECT = 0x42, IVHD_DEV_ALIAS_RANGE = 0x43, IVHD_DEV_EXT_SELECT = 0x46,
    IVHD_DEV_EXT_RANGE = 0x47, IVHD_DEV_SPECIAL = 0x48, IVHD_DEV_ACPI_HID = 0xf0,
};

static const char *ivhd_entries(const uint8_t *p, uint32_t len, uint32_t at, struct iommu_unit *u,
                                struct iommu_acpi *out, char *err, size_t errlen)
{
    uint32_t off = 0;
    bool in_range = false;
    while (off < len) {
        uint8_t type = p[off];
        uint32_t elen;
        uint16_t devid;
        if (type < 0x40)
            elen = 4;
        else if (type < 0x80)
            elen = 8;
        else if (type == IVHD_DEV_ACPI_HID)
            elen = len - off >= 22 ? 22u + p[off + 21] : 22u;
        else
            return reject(out, err, errlen, "IVRS: IVHD at offset 0x%x: reserved device entry type 0x%x", at,
                          type);
        if (elen > len - off)
            return reject(out, err, errlen, "IVRS: IVHD at offset 0x%x: device entry type 0x%x truncated (%u "
                          "bytes, %u left)", at, type, elen, len - off);
        devid = rd16(p + off + 1);
        switch (type) {
        case IVHD_DEV_ALL:
            u->include_all = true;
            u->max_devid = 0xffff;
            break;
        case IVHD_DEV_RANGE_START:
        case IVHD_DEV_ALIAS_RANGE:
        case IVHD_DEV_EXT_RANGE:
            in_range = true;
            /* fall through */
        case IVHD_DEV_SELECT:
        case IVHD_DEV_ALIAS_SELECT:
        case IVHD_DEV_EXT_SELECT:
            if (devid > u->max_devid)
                u->max_devid = devid;
            break;
        case IVHD_DEV_RANGE_END:
            if (!in_range)
                return reject(out, err, errlen, "IVRS: IVHD at offset 0x%x: end of range 0x%04x without a start",
                              at, devid);
            in_range = false;
            if (devid > u->max_devid)
                u->max_devid = devid;
            break;
        case IVHD_DEV_SPECIAL:
            /* IOAPIC/HPET: its requester ID is at byte 5. */
            devid = rd16(p + off + 5);
            if (devid > u->max_devid)
                u->max_devid = devid;
            break;
        default:
            break;
        }
        u->nscopes++;
        off += elen;
    }
    if (in_range)
        return reject(out, err, errlen, "IVRS: IVHD at offset 0x%x: device range without an end", at);
    return 0;
}

const char *ivrs_parse(const uint8_t *t, uint32_t len, struct iommu_acpi *out, char *err, size_t errlen)
{
    uint32_t off;
    uint8_t best = 0;
    const char *bad = table_header(t, &len, "IVRS", IVRS_FIRST, out, err, errlen);
    if (bad)
        return bad;
    out->ivinfo = rd32(t + 36);
    /* A firmware may describe each IOMMU once per IVHD type it supports
     * (10h and 11h/40h); software uses one type throughout, the newest it
     * knows (spec 5.2.2.1). First pass: which type that is. */
    for (off = IVRS_FIRST; off < len;) {
        uint16_t blen;
        if (len - off < 4)
            return reject(out, err, errlen, "IVRS: truncated IVDB at offset 0x%x", off);
        blen = rd16(t + off + 2);
        if (blen < 4 || blen > len - off)
            return reject(out, err, errlen, "IVRS: block type 0x%x at offset 0x%x has length %u (%u bytes left)",
                          t[off], off, blen, len - off);
        if ((t[off] == 0x10 || t[off] == 0x11 || t[off] == 0x40) && t[off] > best)
            best = t[off];
        off += blen;
    }
    if (!best)
        return reject(out, err, errlen, "IVRS: no IOMMU definition block (IVHD type 10h, 11h or 40h)");
    for (off = IVRS_FIRST; off < len;) {
        const uint8_t *b = t + off;
        uint8_t type = b[0];
        uint16_t blen = rd16(b + 2);
        if (type == best) {
            uint32_t first = type == 0x10 ? 24u : 40u;
            struct iommu_unit *u;
            const char *e;
            if (blen < first)
                return reject(out, err, errlen, "IVRS: IVHD type 0x%x at offset 0x%x is %u bytes, needs %u", type,
                              off, blen, first);
            if (out->nunits >= IOMMU_MAX_UNITS)
                return reject(out, err, errlen, "IVRS: more than %u IOMMUs", IOMMU_MAX_UNITS);
            u = &out->unit[out->nunits];
            u->type = type;
            u->flags = b[1];
            u->devid = rd16(b + 4);
            u->mmio_base = rd64(b + 8);
            u->segment = rd16(b + 16);
            u->efr = type == 0x10 ? 0 : rd64(b + 24);
            /* Spec 3.4: the register set is 16 KiB (0x4000); keel uses
             * nothing beyond it. */
            u->mmio_size = 0x4000;
            if (!u->mmio_base || (u->mmio_base & 0x3fff))
                return reject(out, err, errlen, "IVRS: IVHD at offset 0x%x: IOMMU base 0x%lx is not a 16 KiB "
                              "aligned address", off, u->mmio_base);
            e = ivhd_entries(b + first, blen - first, off, u, out, err, errlen);
            if (e)
                return e;
            out->nunits++;
        } else if (type == 0x20 || type == 0x21 || type == 0x22) {
            /* IVMD (5.2.3): start at 16, length at 24. */
            struct iommu_resv *r;
            uint64_t base, size;
            if (blen < 32)
                return reject(out, err, errlen, "IVRS: IVMD at offset 0x%x is %u bytes, needs 32", off, blen);
            base = rd64(b + 16);
            size = rd64(b + 24);
            if ((base & 0xfff) || !size || base + size < base)
                return reject(out, err, errlen, "IVRS: IVMD at offset 0x%x: bad range 0x%lx + 0x%lx", off, base,
                              size);
            if (out->nresv >= IOMMU_MAX_RESV)
                return reject(out, err, errlen, "IVRS: more than %u memory definitions", IOMMU_MAX_RESV);
            r = &out->resv[out->nresv++];
            r->base = base;
            r->end = base + size;
        }
        off += blen;
    }
    out->kind = IOMMU_KIND_AMDVI;
    return 0;
}
