#!/usr/bin/env python3
"""Per-step instruction profile of keel's SVM exit path (scripts/exit-profile.sh).

Input: a QEMU `-singlestep -d exec,nochain -dfilter <keel's range>` trace
(one "Trace" line per keel instruction executed) and keel.elf. The trace is
cut at every VMRUN: the instructions from one VMRUN to the next are one
exit's path through keel. Each exit is named by the handler it ran, and each
instruction is charged to a step by the innermost (inlined) function its
address belongs to (addr2line -i), or by its mnemonic for the world switch.
Output: instructions per exit and step for every exit kind, averaged over
the exits of that kind (the path is deterministic: every exit of a kind
costs the same). Usage: exit-profile.py TRACE ELF [KIND] (KIND adds a
per-function breakdown)."""
import bisect, re, subprocess, sys
from collections import defaultdict

trace, elf = sys.argv[1], sys.argv[2]
want = sys.argv[3] if len(sys.argv) > 3 else None

syms = []
for line in subprocess.run(["nm", "-n", elf], capture_output=True, text=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3 and p[1] in "tTwW":
        syms.append((int(p[0], 16), p[2]))
addrs = [a for a, _ in syms]
mnem = {}
for line in subprocess.run(["objdump", "-d", "--no-show-raw-insn", elf], capture_output=True,
                           text=True).stdout.splitlines():
    m = re.match(r"^([0-9a-f]{16}):\s+(\S+)", line)
    if m:
        mnem[int(m.group(1), 16)] = m.group(2)

def sym(pc):
    i = bisect.bisect_right(addrs, pc) - 1
    return syms[i][1] if i >= 0 else "?"

pat = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
pcs = []
for line in open(trace, errors="replace"):
    m = pat.match(line)
    if m:
        pcs.append(int(m.group(1), 16))

# Innermost function of every address (inlined ones included).
uniq = sorted(set(pcs))
# addr2line -i prints 2 lines per frame and a variable number of frames:
# a sentinel address (0) after each one splits them.
inner = {}
out = subprocess.run(["addr2line", "-f", "-i", "-e", elf],
                     input="".join("%x\n0\n" % a for a in uniq), capture_output=True, text=True).stdout.splitlines()
i = 0
for a in uniq:
    inner[a] = out[i] if out[i] != "??" else sym(a)
    i += 2
    while i < len(out) and not (out[i] == "??" and out[i + 1].startswith("??")):
        i += 2
    i += 2      # the sentinel's "?? / ??:0"

STEPS = ["world switch", "GPR save/restore", "entry/exit glue", "decode", "length (no NRIPS)", "completion",
         "MSR switch", "trace ring", "dispatch + stats", "handler"]
def step(pc):
    f, m = inner[pc], mnem.get(pc, "?")
    if m in ("vmrun", "vmload", "vmsave", "clgi", "stgi", "vmlaunch", "vmresume"):
        return "world switch"
    if sym(pc) in ("svm_world_switch", "svm_vmrun", "vmx_world_switch", "vmx_run", "vmx_exit_point"):
        return "GPR save/restore"
    if f in ("decode", "decode_slow", "decode_hot", "exit_code_is"):
        return "decode"
    if f in ("vcpu_insn_len", "insn_decode", "legacy_prefix", "op_matches", "guest_read_linear",
             "guest_linear_to_phys", "guest_phys_ptr", "insn_cache_hit", "cached_len", "memcpy", "memcmp",
             "svm_get_state", "vcpu_get_state", "vmx_get_state", "insn_cache_bytes", "insn_cache_len_pair"):
        return "length (no NRIPS)"
    if f in ("complete", "complete_insn", "vcpu_single_step_trap"):
        return "completion"
    if f in ("msr_before_entry", "msr_after_exit"):
        return "MSR switch"
    if f in ("vcpu_dispatch", "vcpu_dispatch_kind", "vcpu_dispatch_sampled", "console_poll"):
        return "dispatch + stats"
    if f in ("trace_record", "trace_hot", "trace_hot_nodetail", "trace_next", "trace_set_kind"):
        return "trace ring"
    if False:
        return "dispatch + stats"
    if f in ("svm_pass", "svm_pass_work", "world_switch", "svm_loop", "svm_loop_nrips", "svm_loop_lengths", "svm_run", "vmx_pass",
             "vmx_run_loop", "svm"):
        return "entry/exit glue"
    return "handler"

HANDLERS = {"handle_cpuid": "cpuid", "handle_rdmsr": "rdmsr", "handle_wrmsr": "wrmsr",
            "handle_hypercall": "hypercall", "handle_io": "io", "handle_npf": "npf"}
tot = defaultdict(lambda: defaultdict(int))
per = defaultdict(int)
nexits = defaultdict(int)
cur, curf, kind, started = defaultdict(int), defaultdict(int), None, False
for pc in pcs:
    s = sym(pc)
    if s in HANDLERS:
        kind = HANDLERS[s]
    cur[step(pc)] += 1
    curf[inner[pc]] += 1
    if mnem.get(pc) == "vmrun":
        if started and kind:
            for k, n in cur.items():
                tot[kind][k] += n
            if kind == want:
                for k, n in curf.items():
                    per[k] += n
            nexits[kind] += 1
        started = True
        cur, curf, kind = defaultdict(int), defaultdict(int), None

print("| exit | " + " | ".join(STEPS) + " | total |")
print("|---|" + "---:|" * (len(STEPS) + 1))
for k in sorted(nexits):
    row = [tot[k][s] / nexits[k] for s in STEPS]
    print("| %s | " % k + " | ".join("%.0f" % x for x in row) + " | %.0f |" % sum(row))
if want and nexits[want]:
    print("\n%s, by (inlined) function:" % want)
    for f, c in sorted(per.items(), key=lambda x: -x[1]):
        print("  %-28s %6.1f" % (f, c / nexits[want]))
