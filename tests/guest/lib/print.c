/* COM1 output and a small printf (no 64-bit division: libgcc is not there). */
#include "guest.h"

#define COM1 0x3f8

void serial_init(void)
{
    /* keel (or the BIOS) may already have set COM1 up; program it the same
     * way keel does, 115200 8N1, so output works bare as well. */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 2, 0xc7);
    outb(COM1 + 4, 0x03);
}

void putc_serial(char c)
{
    unsigned spin = 0;
    while (!(inb(COM1 + 5) & 0x20) && ++spin < 1000000)
        ;
    outb(COM1, (uint8_t)c);
}

uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
    if (d == 0) {
        if (rem)
            *rem = 0;
        return ~0ULL;
    }
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n;
    uint32_t qhi = 0, r;
    /* 32-bit DIV of (r:lo)/d never overflows when r < d. */
    if (hi >= d) {
        qhi = hi / d;
        hi = hi % d;
    }
    uint32_t qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    if (rem)
        *rem = r;
    return ((uint64_t)qhi << 32) | qlo;
}

struct out {
    char *buf;
    size_t size, len;
};

static void emit(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void emit_num(struct out *o, uint64_t v, unsigned base, bool neg, int width, bool zero,
                     bool left, bool upper)
{
    char tmp[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        uint32_t r;
        if (base == 16) {
            r = (uint32_t)(v & 15);
            v >>= 4;
        } else {
            v = udiv64(v, base, &r);
        }
        tmp[n++] = digits[r];
    } while (v);
    int len = n + (neg ? 1 : 0);
    if (!left && !zero)
        for (; len < width; width--)
            emit(o, ' ');
    if (neg)
        emit(o, '-');
    if (!left && zero)
        for (; len < width; width--)
            emit(o, '0');
    while (n)
        emit(o, tmp[--n]);
    if (left)
        for (; len < width; width--)
            emit(o, ' ');
}

int vsnprintf_g(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(&o, *fmt);
            continue;
        }
        fmt++;
        bool zero = false, left = false;
        int width = 0, lng = 0;
        for (;; fmt++) {
            if (*fmt == '0')
                zero = true;
            else if (*fmt == '-')
                left = true;
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        while (*fmt == 'h' || *fmt == 'z')
            fmt++;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
            bool neg = v < 0;
            emit_num(&o, neg ? (uint64_t)-v : (uint64_t)v, 10, neg, width, zero, left, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            emit_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, zero, left, *fmt == 'X');
            break;
        }
        case 'p':
            emit(&o, '0');
            emit(&o, 'x');
            emit_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, 8, true, false, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int l = (int)strlen(s);
            if (!left)
                for (; l < width; width--)
                    emit(&o, ' ');
            while (*s)
                emit(&o, *s++);
            if (left)
                for (; l < width; width--)
                    emit(&o, ' ');
            break;
        }
        case 'c':
            emit(&o, (char)va_arg(ap, int));
            break;
        case '%':
            emit(&o, '%');
            break;
        case 0:
            fmt--;
            break;
        default:
            emit(&o, '%');
            emit(&o, *fmt);
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int snprintf_g(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf_g(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_g(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (const char *p = buf; *p; p++) {
        if (*p == '\n')
            putc_serial('\r');
        putc_serial(*p);
    }
}
