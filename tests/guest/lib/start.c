/* Start-up (IDT, vendor, multiboot command line), exception handling with
 * fixups, PASS/FAIL reporting and the exit path. */
#include "guest.h"

const struct mb_info *mbi;
uint32_t mb_magic;
int argc;
const char *argv[MAX_ARGS];
static char cmdline_buf[1024];

volatile uint32_t guest_fixup_eip;
volatile uint32_t guest_fault_vec;
volatile uint32_t guest_fault_err;
volatile uint32_t guest_fault_count;
volatile uint32_t guest_fault_eip;

unsigned n_passed, n_failed;

/* ---- IDT ---- */
struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));
/* 256 gates: 0-31 the exception stubs, the rest not present until a test
 * installs a handler (idt_set_gate); guests run with interrupts off except
 * inside such a test. */
static struct idt_entry idt[256] __attribute__((aligned(8)));
extern const uint32_t exc_stub_table[32];

struct exc_frame {
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
    uint32_t vec, err;
    uint32_t eip, cs, eflags;
};

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS",
    "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "22",  "23",  "24",  "25",
    "26",  "27",  "#HV", "#VC", "#SX", "31",
};

const char *vector_name(uint32_t v)
{
    return v < 32 ? exc_names[v] : "?";
}

void exc_handler(struct exc_frame *f);
void exc_handler(struct exc_frame *f)
{
    if (guest_fixup_eip) {
        guest_fault_eip = f->eip;
        f->eip = guest_fixup_eip;
        f->eflags &= ~0x100u;   /* a probe single-steps one instruction at most: TF off */
        guest_fixup_eip = 0;
        guest_fault_vec = f->vec;
        guest_fault_err = f->err;
        guest_fault_count++;
        return;
    }
    printf("FAIL exception: unexpected %s (vector %u) err=0x%x at eip=0x%08x\n",
           vector_name(f->vec), f->vec, f->err, f->eip);
    printf("  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x esp=%08x efl=%08x\n",
           f->eax, f->ebx, f->ecx, f->edx, f->esi, f->edi, f->ebp, f->esp_pusha + 20, f->eflags);
    n_failed++;
    finish();
}

static void idt_init(void)
{
    for (int i = 0; i < 32; i++) {
        uint32_t a = exc_stub_table[i];
        idt[i].off_lo = (uint16_t)a;
        idt[i].off_hi = (uint16_t)(a >> 16);
        idt[i].sel = 0x08;
        idt[i].zero = 0;
        idt[i].type = 0x8e; /* present, DPL0, 32-bit interrupt gate */
    }
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) d = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" ::"m"(d));
}

void idt_set_gate(uint8_t vec, void (*handler)(void))
{
    uint32_t a = (uint32_t)handler;
    idt[vec].off_lo = (uint16_t)a;
    idt[vec].off_hi = (uint16_t)(a >> 16);
    idt[vec].sel = 0x08;
    idt[vec].zero = 0;
    idt[vec].type = handler ? 0x8e : 0;  /* present 32-bit interrupt gate, or not present */
}

/* ---- command line ---- */
static void parse_cmdline(const char *s)
{
    size_t n = 0;
    while (s && s[n] && n < sizeof cmdline_buf - 1) {
        cmdline_buf[n] = s[n];
        n++;
    }
    cmdline_buf[n] = 0;
    char *p = cmdline_buf;
    argc = 0;
    while (*p && argc < MAX_ARGS) {
        while (*p == ' ' || *p == '\t')
            *p++ = 0;
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
}

bool has_arg(const char *word)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], word))
            return true;
    return false;
}

const char *arg_value(const char *key)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], key, k) && argv[i][k] == '=')
            return argv[i] + k + 1;
    return NULL;
}

bool parse_u64_str(const char *s, uint64_t *out)
{
    return s && parse_u64(s, strlen(s), out);
}

uint64_t arg_u64(const char *key, uint64_t def)
{
    uint64_t v;
    return parse_u64_str(arg_value(key), &v) ? v : def;
}

/* ---- reporting ---- */
void pass(const char *name)
{
    n_passed++;
    printf("PASS %s\n", name);
}

static void vfail(const char *name, const char *fmt, va_list ap)
{
    char buf[400];
    vsnprintf_g(buf, sizeof buf, fmt, ap);
    n_failed++;
    printf("FAIL %s: %s\n", name, buf);
}

void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(name, fmt, ap);
    va_end(ap);
}

bool check(bool cond, const char *name, const char *fmt, ...)
{
    if (cond) {
        pass(name);
        return true;
    }
    va_list ap;
    va_start(ap, fmt);
    vfail(name, fmt, ap);
    va_end(ap);
    return false;
}

void info(const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_g(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("INFO %s\n", buf);
}

void guest_exit(uint32_t code)
{
    /* Let the UART drain (LSR bit 6, transmitter empty) or the last line is lost. */
    for (unsigned spin = 0; !(inb(0x3f8 + 5) & 0x40) && spin < 10000000; spin++)
        ;
    outl(0xf4, code);       /* isa-debug-exit (keel traps it) */
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (uint8_t)*s);  /* Bochs fallback */
    for (;;)
        __asm__ volatile("cli; hlt");
}

unsigned summary(void)
{
    printf("SUMMARY: %u passed, %u failed\n", n_passed, n_failed);
    return n_failed ? 1 : 0;
}

void finish(void)
{
    guest_exit(summary());
}

/* ---- vendor ---- */
enum guest_vendor guest_vendor;
char guest_vendor_str[13];

const char *vendor_name(void)
{
    return guest_vendor == GV_AMD ? "AMD" : guest_vendor == GV_INTEL ? "Intel" : "other";
}

/* ---- Multiboot2 information (Multiboot2 Specification 2.0 section 3.6) ---- */
const uint8_t *mb2i;

const uint8_t *mb2_tag(uint32_t type, const uint8_t *after)
{
    const uint8_t *p, *end;
    if (!mb2i)
        return NULL;
    end = mb2i + *(const uint32_t *)mb2i;
    p = after ? after + ((*(const uint32_t *)(after + 4) + 7) & ~7u) : mb2i + 8;
    while (p + 8 <= end) {
        uint32_t t = *(const uint32_t *)p, size = *(const uint32_t *)(p + 4);
        if (t == 0 || size < 8 || size > (uint32_t)(end - p))
            return NULL;
        if (t == type)
            return p;
        p += (size + 7) & ~7u;
    }
    return NULL;
}

/* The v1 view of a v2 info, so guest code reads one structure: mem bounds,
 * command line, modules and memory map from the v2 tags. */
static struct mb_info mb2_as_v1;
static struct mb_mmap mb2_mmap[64];
static uint32_t mb2_mods[16][4];

static const struct mb_info *mb2_to_v1(void)
{
    struct mb_info *m = &mb2_as_v1;
    const uint8_t *t;
    unsigned n = 0;
    if ((t = mb2_tag(1, NULL))) {
        m->flags |= 1u << 2;
        m->cmdline = (uint32_t)(t + 8);
    }
    if ((t = mb2_tag(4, NULL))) {
        m->flags |= 1u << 0;
        m->mem_lower = *(const uint32_t *)(t + 8);
        m->mem_upper = *(const uint32_t *)(t + 12);
    }
    for (t = mb2_tag(3, NULL); t && n < 16; t = mb2_tag(3, t), n++) {
        mb2_mods[n][0] = *(const uint32_t *)(t + 8);
        mb2_mods[n][1] = *(const uint32_t *)(t + 12);
        mb2_mods[n][2] = (uint32_t)(t + 16);
        mb2_mods[n][3] = 0;
    }
    m->flags |= 1u << 3;
    m->mods_count = n;
    m->mods_addr = (uint32_t)mb2_mods;
    if ((t = mb2_tag(6, NULL))) {
        uint32_t size = *(const uint32_t *)(t + 4), esize = *(const uint32_t *)(t + 8), off;
        n = 0;
        for (off = 16; esize >= 24 && off + esize <= size && n < 64; off += esize, n++) {
            mb2_mmap[n].size = 20;
            memcpy(&mb2_mmap[n].addr, t + off, 8);
            memcpy(&mb2_mmap[n].len, t + off + 8, 8);
            memcpy(&mb2_mmap[n].type, t + off + 16, 4);
        }
        m->flags |= 1u << 6;
        m->mmap_addr = (uint32_t)mb2_mmap;
        m->mmap_length = n * sizeof(mb2_mmap[0]);
    }
    return m;
}

void guest_start(uint32_t magic, uint32_t info_addr);
void guest_start(uint32_t magic, uint32_t info_addr)
{
    serial_init();
    idt_init();
    /* First line before touching the multiboot info: says the guest runs. */
    printf("guest: started, eax=0x%08x ebx=0x%08x\n", magic, info_addr);
    mb_magic = magic;
    mbi = magic == 0x2BADB002u ? (const struct mb_info *)info_addr : NULL;
    if (magic == MB2_BOOT_MAGIC) {
        mb2i = (const uint8_t *)info_addr;
        mbi = mb2_to_v1();
    }
    struct cpuid_r r = cpuid(0, 0);
    memcpy(guest_vendor_str + 0, &r.b, 4);
    memcpy(guest_vendor_str + 4, &r.d, 4);
    memcpy(guest_vendor_str + 8, &r.c, 4);
    guest_vendor_str[12] = 0;
    if (!strcmp(guest_vendor_str, "AuthenticAMD") || !strcmp(guest_vendor_str, "HygonGenuine"))
        guest_vendor = GV_AMD;
    else if (!strcmp(guest_vendor_str, "GenuineIntel"))
        guest_vendor = GV_INTEL;
    else
        guest_vendor = GV_OTHER;
    if (mbi && (mbi->flags & (1u << 2)))
        parse_cmdline((const char *)mbi->cmdline);
    if (!mbi)
        printf("WARN: no multiboot magic (eax=0x%08x)\n", magic);
    int rc = guest_main();
    (void)rc;
    finish();
}
