/* Neutral intercept bitmaps -> vendor formats. Pure functions: the vendor
 * code calls them from vcpu_msr_intercepts_changed(); host tests check the
 * bit positions against the SDM/APM layouts. */
#include "vmm/msr.h"
#include "lib/string.h"

_Static_assert(sizeof(((struct msr_intercepts *)0)->read[0]) == 1024, "one bit per MSR, 8K MSRs per range");

/* Intel SDM Vol. 3C 25.6.9 "MSR-Bitmap Address": four 1-KByte bitmaps.
 * Bit n of each covers MSR (base + n) -- the same little-endian bit order as
 * the neutral map -- so each quarter is a plain copy. */
void msr_encode_vmx_bitmap(const struct msr_intercepts *mi, uint8_t out[4096])
{
    memcpy(out + 0, mi->read[0], 1024);     /* read, 0x00000000-0x00001fff */
    memcpy(out + 1024, mi->read[1], 1024);  /* read, 0xc0000000-0xc0001fff */
    memcpy(out + 2048, mi->write[0], 1024); /* write, low */
    memcpy(out + 3072, mi->write[1], 1024); /* write, high */
}

/* AMD APM Vol. 2 15.11 "MSR Intercepts" (Table 15-5): each MSR has two
 * consecutive bits, read intercept at bit 2n and write at bit 2n+1, counted
 * from the start of its 2-KByte vector: 0x0000-0x07ff MSRs 0-0x1fff,
 * 0x0800-0x0fff MSRs 0xc0000000-0xc0001fff, 0x1000-0x17ff MSRs
 * 0xc0010000-0xc0011fff, 0x1800-0x1fff reserved (all ones). */
void msr_encode_svm_msrpm(const struct msr_intercepts *mi, uint8_t out[8192])
{
    unsigned r, n;
    memset(out, 0xff, 8192);
    for (r = 0; r < MSR_RANGE_COUNT; r++) {
        uint8_t *vec = out + r * 0x800;
        for (n = 0; n < MSR_RANGE_SIZE; n += 4) {
            uint8_t rd = (uint8_t)(mi->read[r][n / 8] >> (n % 8));
            uint8_t wr = (uint8_t)(mi->write[r][n / 8] >> (n % 8));
            uint8_t b = 0;
            unsigned j;
            for (j = 0; j < 4; j++)
                b |= (uint8_t)((((rd >> j) & 1) << (2 * j)) | (((wr >> j) & 1) << (2 * j + 1)));
            vec[n / 4] = b;
        }
    }
}
