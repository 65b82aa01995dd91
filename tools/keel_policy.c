/* keel-policy: keel's CPUID policy and MSR table, run on the host against a
 * recorded CPUID dump instead of the CPU keel boots on. It links the same
 * vmm/ sources keel does (hosted, as the unit tests build them) and calls
 * them in the order vm_run() does, so its output is the boot-time output:
 *
 *   keel-policy --cpu DUMP [--profile NAME] [--cpuid +x,-y] [--pmu off|passthrough]
 *               [--msr.filter SPEC] [--msr.filter.default allow|deny]
 *               [--msr.unknown gp|ignore|log] [--msr.virt-mitigation]
 *               [--host-pmu yes|no] [--keel "OPTIONS"]
 *       the "cpuid:" verdicts policy_init prints, cpuid.dump and msr.dump, as
 *       keel prints them at boot with `cpuid.dump msr.dump` and those options.
 *   keel-policy --baseline DUMP DUMP...
 *       the features every listed machine can give a guest (the intersection
 *       of their guest policies; each is closed over dependencies, so the
 *       intersection is too), the best named profile all of them meet, and
 *       the keel options that give exactly that guest on every machine.
 *   keel-policy --profiles
 *       the profile table (keel's `profiles` option).
 *
 * DUMP is an AIDA64-style CPUID dump: what keel's `cpuid.raw` prints (a
 * serial log is fine, other lines are skipped) or a file of
 * ../shared/data/cpuid/. Whether the host has a PMU (pmu=passthrough needs
 * one) is keel's probe, not CPUID: keel's dump says it ("PMU host: yes|no");
 * a dump without that line (AIDA64) is taken as a machine with a PMU, and
 * --host-pmu overrides either. Exit status 0, or 2 on bad usage or input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vcpu.h"
#include "vmm/arch_hooks.h"
#include "vmm/cpuid.h"
#include "vmm/profile.h"
#include "vmm/msr.h"
#include "vmm/options.h"
#include "lib/log.h"

/* ---- the vendor side, as far as the MSR engine needs it -------------------- */
/* No vCPU runs here: the engine only builds its table view and bitmaps. */
void vcpu_advance_rip(struct vcpu *v) { (void)v; }
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    (void)v, (void)vector, (void)has_error, (void)error;
}
uint64_t vcpu_get_state(struct vcpu *v, enum vcpu_state s) { (void)v, (void)s; return 0; }
bool vcpu_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val) { (void)v, (void)s, (void)val; return false; }
void vcpu_msr_intercepts_changed(struct vcpu *v, const struct msr_intercepts *mi) { (void)v, (void)mi; }
/* No host MSRs: the rows whose existence depends on the host are decided by
 * CPUID alone (msr_row_exists); host values only matter to a running guest. */
bool rdmsr_safe(uint32_t msr, uint64_t *val) { (void)msr, (void)val; return false; }
bool wrmsr_safe(uint32_t msr, uint64_t val) { (void)msr, (void)val; return false; }
uint64_t fake_rdtsc(void) { return 0; }

static void stdout_sink(const char *s, unsigned long n)
{
    fwrite(s, 1, n, stdout);
}

static void usage(void)
{
    fputs("usage: keel-policy --cpu DUMP [--profile NAME] [--cpuid +x,-y] [--pmu off|passthrough]\n"
          "                   [--msr.filter SPEC] [--msr.filter.default allow|deny]\n"
          "                   [--msr.unknown gp|ignore|log] [--msr.virt-mitigation]\n"
          "                   [--host-pmu yes|no] [--keel \"OPTIONS\"]\n"
          "       keel-policy --baseline DUMP DUMP...\n"
          "       keel-policy --profiles\n",
          stderr);
    exit(2);
}

/* host_pmu: -1 = as the dump says, else 0/1 (--host-pmu). */
static int host_pmu_opt = -1;

static bool load_dump(const char *path, struct cpuid_snapshot *s)
{
    FILE *f = fopen(path, "rb");
    char *text;
    long n;
    bool ok;
    if (!f) {
        fprintf(stderr, "keel-policy: cannot open '%s'\n", path);
        return false;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "keel-policy: cannot read '%s'\n", path);
        fclose(f);
        free(text);
        return false;
    }
    fclose(f);
    text[n] = 0;
    /* Serial logs carry CR LF; the parser wants LF. */
    for (long i = 0; i < n; i++)
        if (text[i] == '\r')
            text[i] = ' ';
    ok = cpuid_snapshot_parse(text, s);
    if (host_pmu_opt >= 0)
        s->host_pmu = host_pmu_opt;
    else if (!strstr(text, "PMU host: "))
        s->host_pmu = true;   /* not recorded by keel: a real machine, which has one */
    free(text);
    if (!ok)
        fprintf(stderr, "keel-policy: '%s' is not a CPUID dump (a malformed CPUID line, or no leaf 0)\n", path);
    return ok;
}

/* ---- one machine: what vm_run() prints with cpuid.dump msr.dump ------------- */

static int explain(const char *dump, const char *cmdline)
{
    static struct cpuid_snapshot host;
    static struct cpu_policy pol;
    static struct msr_config cfg;
    static struct msr_vcpu_state ms;
    static struct vcpu v;
    char err[160];

    if (!load_dump(dump, &host))
        return 2;
    opt_parse(&keel_opts, keel_options, keel_options_count, cmdline);
    if (opt_flag(&keel_opts, "cpuid.raw"))
        cpuid_snapshot_print(&host);
    if (opt_flag(&keel_opts, "profiles"))
        policy_print_profiles();
    /* vm_run(): policy, then cpuid.dump ... (the policy-vs-boot cases catch any
     * drift between this sequence and vm_run's) */
    if (policy_init_pmu(&pol, &host, opt_str(&keel_opts, "profile"), opt_str(&keel_opts, "cpuid"), 1,
                        strcmp(opt_str(&keel_opts, "pmu"), "passthrough") ? PMU_OFF : PMU_PASSTHROUGH))
        klog("warning: falling back to profile 'host' without overrides");
    policy_dump(&pol, &host);
    /* ... then setup_msr_config() and msr.dump. */
    if (!msr_filter_parse(opt_str(&keel_opts, "msr.filter"), opt_str(&keel_opts, "msr.filter.default"),
                          &cfg.filter, err, sizeof(err))) {
        klog("warning: msr.filter ignored: %s", err);
        msr_filter_parse("", "allow", &cfg.filter, err, sizeof(err));
    }
    if (!msr_unknown_parse(opt_str(&keel_opts, "msr.unknown"), &cfg.unknown))
        cfg.unknown = MSR_UNKNOWN_GP;
    cfg.virt_mitigation = opt_flag(&keel_opts, "msr.virt-mitigation");
    cfg.apic_base = 0xfee00900;
    v.policy = &pol;
    msr_vcpu_init(&v, &ms, &cfg);
    msr_dump(&v);
    return 0;
}

/* ---- a fleet: the baseline ---------------------------------------------------- */

#define MAX_MACHINES 64

static void feat_list(const char *tag, const uint64_t *set)
{
    char line[4096], name[32];
    size_t n = 0;
    unsigned f, cnt = 0;
    line[0] = 0;
    for (f = 1; f < FEAT_COUNT; f++)
        if (feat_test(set, f)) {
            feat_lname((enum cpu_feature)f, name, sizeof(name));
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", name);
            cnt++;
        }
    printf("%s (%u):%s\n", tag, cnt, cnt ? line : " -");
}

/* "+a,-b" turning the wanted set `want` into exactly `target` on machines
 * whose guests (under profile host) have at most `any`: a feature no machine
 * offers needs no "-". "" if nothing is needed. */
static void overrides_for(const uint64_t *want, const uint64_t *target, const uint64_t *any, char *out,
                          size_t size)
{
    char name[32];
    size_t n = 0;
    unsigned f;
    out[0] = 0;
    for (f = 1; f < FEAT_COUNT && n < size; f++) {
        bool w = feat_test(want, f), t = feat_test(target, f);
        if (feat_table[f].cls != FC_PASS || w == t || (w && !feat_test(any, f)))
            continue;
        feat_lname((enum cpu_feature)f, name, sizeof(name));
        n += (size_t)snprintf(out + n, size - n, "%s%c%s", n ? "," : "", t ? '+' : '-', name);
    }
}

static int baseline(int nd, char **dumps)
{
    static struct cpuid_snapshot host[MAX_MACHINES];
    static struct cpu_policy pol[MAX_MACHINES], chk;
    uint64_t base[FEAT_WORDS], any[FEAT_WORDS], want[FEAT_WORDS], req[FEAT_WORDS], lack[FEAT_WORDS];
    const struct cpu_profile *best = NULL, *pick;
    char over_host[2048], over_best[2048];
    const char *over;
    int i;
    unsigned f, k;
    bool all_ok = true;
    static const char *const levels[] = { "x86-64-v4", "x86-64-v3", "x86-64-v2", "x86-64-v1", "minimal" };

    if (nd > MAX_MACHINES) {
        fprintf(stderr, "keel-policy: at most %d machines\n", MAX_MACHINES);
        return 2;
    }
    /* Each machine's guest under profile "host": what keel would give a guest
     * there at most. policy_init's own verdicts are not wanted here. */
    console_reset_sinks();
    for (i = 0; i < nd; i++) {
        if (!load_dump(dumps[i], &host[i]))
            return 2;
        policy_init(&pol[i], &host[i], "host", "", 1);
    }
    memcpy(base, pol[0].feat, sizeof(base));
    memcpy(any, pol[0].feat, sizeof(any));
    for (i = 1; i < nd; i++)
        for (k = 0; k < FEAT_WORDS; k++) {
            base[k] &= pol[i].feat[k];
            any[k] |= pol[i].feat[k];
        }

    printf("baseline of %d machine%s (guest CPUID features every one of them can offer):\n", nd, nd == 1 ? "" : "s");
    feat_list("features", base);
    for (i = 1; i < nd; i++)
        if (pol[i].vendor != pol[0].vendor) {
            printf("note: the machines' CPU vendors differ: vendor-specific features (the speculation controls "
                   "among them) are in no baseline of both\n");
            break;
        }
    for (i = 0; i < nd; i++) {
        char tag[600];
        for (k = 0; k < FEAT_WORDS; k++)
            lack[k] = pol[i].feat[k] & ~base[k];
        snprintf(tag, sizeof(tag), "machine %d %s: drops", i + 1, dumps[i]);
        feat_list(tag, lack);
    }
    /* The most capable named profile whose required features all machines have. */
    for (k = 0; k < sizeof(levels) / sizeof(levels[0]) && !best; k++) {
        const struct cpu_profile *pr = profile_find(levels[k]);
        bool ok = pr != NULL;
        if (pr)
            profile_required(pr, req);
        for (f = 1; ok && f < FEAT_COUNT; f++)
            ok = !feat_test(req, f) || feat_test(base, f);
        if (ok)
            best = pr;
    }
    printf("highest named profile all machines meet: %s\n", best ? best->name : "none");

    /* keel options for exactly the baseline: profile=host minus what some
     * machine lacks, or the named profile plus/minus the difference;
     * whichever is shorter (keel's option values hold 255 characters). */
    profile_features(profile_find("host"), want);
    overrides_for(want, base, any, over_host, sizeof(over_host));
    pick = profile_find("host");
    over = over_host;
    if (best) {
        profile_features(best, want);
        overrides_for(want, base, any, over_best, sizeof(over_best));
        if (strlen(over_best) < strlen(over_host)) {
            pick = best;
            over = over_best;
        }
    }
    printf("keel options: profile=%s%s%s\n", pick->name, *over ? " cpuid=" : "", over);
    if (strlen(over) >= OPT_VALUE_MAX)
        printf("warning: the cpuid= value is %zu characters; keel takes at most %d\n", strlen(over),
               OPT_VALUE_MAX - 1);
    /* Check: those options give every machine exactly the baseline. */
    for (i = 0; i < nd; i++) {
        bool same;
        policy_init(&chk, &host[i], pick->name, over, 1);
        same = !memcmp(chk.feat, base, sizeof(base));
        all_ok = all_ok && same;
        printf("check machine %d: guest features %s the baseline\n", i + 1, same ? "equal" : "DIFFER FROM");
    }
    return all_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    char cmdline[4096] = "";
    size_t n = 0;
    const char *dump = NULL;
    int i;

    console_add_sink(stdout_sink);
    if (argc < 2)
        usage();
    if (!strcmp(argv[1], "--baseline")) {
        if (argc < 3)
            usage();
        return baseline(argc - 2, argv + 2);
    }
    if (!strcmp(argv[1], "--profiles") && argc == 2) {
        policy_print_profiles();
        return 0;
    }
    /* Every other --name [value] is keel's option name=value, parsed by keel's
     * own option parser (same warnings, same defaults). */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct opt_desc *d = NULL;
        unsigned k;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            usage();
        if (!strcmp(a, "--cpu") && i + 1 < argc) {
            dump = argv[++i];
            continue;
        }
        if (!strcmp(a, "--host-pmu") && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "yes") && strcmp(argv[i], "no"))
                usage();
            host_pmu_opt = !strcmp(argv[i], "yes");
            continue;
        }
        if (!strcmp(a, "--keel") && i + 1 < argc) {
            n += (size_t)snprintf(cmdline + n, sizeof(cmdline) - n, " %s", argv[++i]);
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            usage();
        for (k = 0; k < keel_options_count; k++)
            if (!strcmp(keel_options[k].name, a + 2))
                d = &keel_options[k];
        if (!d) {
            fprintf(stderr, "keel-policy: unknown option '%s'\n", a);
            usage();
        }
        if (d->type == OPT_FLAG)
            n += (size_t)snprintf(cmdline + n, sizeof(cmdline) - n, " %s", d->name);
        else if (i + 1 < argc)
            n += (size_t)snprintf(cmdline + n, sizeof(cmdline) - n, " %s=%s", d->name, argv[++i]);
        else
            usage();
        if (n >= sizeof(cmdline))
            usage();
    }
    if (!dump)
        usage();
    return explain(dump, cmdline);
}
