#!/usr/bin/env python3
"""Per-step instruction profile of keel's SVM exit path (scripts/exit-profile.sh).

Input: a QEMU `-singlestep -d exec,nochain -dfilter <keel's range>` trace
(one "Trace" line per keel instruction executed) and keel.elf. The trace is
cut at every VMRUN: the instructions from one VMRUN to the next are one
exit's path through keel. Each exit is named by the handler it ran, and each
instruction is charged to a step by the function (or, inside the world-switch
assembly, the mnemonic) it belongs to. Output: a table of instructions per
exit and step for every exit kind, averaged over all exits of that kind (the
path is deterministic, so every exit of a kind costs the same)."""
import bisect, re, subprocess, sys
from collections import defaultdict

trace, elf = sys.argv[1], sys.argv[2]

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

# Which step each function's instructions belong to (first match wins).
STEPS = [
    ("world switch", lambda f, m: m in ("vmrun", "vmload", "vmsave", "clgi", "stgi")),
    ("GPR save/restore", lambda f, m: f in ("svm_vmrun", "svm_world_switch")),
    ("decode (vendor)", lambda f, m: f in ("svm_enter", "decode", "svm_decode", "svm_exit_decode")),
    ("completion", lambda f, m: "advance_rip" in f or f in ("svm_complete", "svm_prepare_entry")),
    ("dispatch + stats", lambda f, m: f in ("vcpu_run", "svm_run", "exit_dispatch")),
    ("handler", lambda f, m: True),
]
HANDLERS = {"handle_cpuid": "cpuid", "handle_rdmsr": "rdmsr", "handle_wrmsr": "wrmsr",
            "handle_hypercall": "hypercall", "handle_io": "io", "handle_npf": "npf"}

pat = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
cur = defaultdict(int)
kind = None
tot = defaultdict(lambda: defaultdict(int))
nexits = defaultdict(int)
started = False
cache = {}
for line in open(trace, errors="replace"):
    m = pat.match(line)
    if not m:
        continue
    pc = int(m.group(1), 16)
    c = cache.get(pc)
    if c is None:
        f, mn = sym(pc), mnem.get(pc, "?")
        step = next(s for s, t in STEPS if t(f, mn))
        c = cache[pc] = (f, mn, step)
    f, mn, step = c
    if f in HANDLERS:
        kind = HANDLERS[f]
    cur[step] += 1
    if mn == "vmrun":
        if started and kind:
            for s, n in cur.items():
                tot[kind][s] += n
            nexits[kind] += 1
        started = True
        cur = defaultdict(int)
        kind = None

order = [s for s, _ in STEPS]
print("%-10s %6s " % ("exit", "count") + " ".join("%17s" % s for s in order) + " %6s" % "total")
for k in sorted(nexits):
    n = nexits[k]
    row = [tot[k][s] / n for s in order]
    print("%-10s %6d " % (k, n) + " ".join("%17.1f" % x for x in row) + " %6.1f" % sum(row))

if len(sys.argv) > 3:   # per-function detail for one kind: exit-profile.py TRACE ELF KIND
    want = sys.argv[3]
    per = defaultdict(int)
    n = 0
    kind = None
    cur = defaultdict(int)
    started = False
    for line in open(trace, errors="replace"):
        m = pat.match(line)
        if not m:
            continue
        f, mn, step = cache[int(m.group(1), 16)]
        if f in HANDLERS:
            kind = HANDLERS[f]
        cur[f] += 1
        if mn == "vmrun":
            if started and kind == want:
                for s, c in cur.items():
                    per[s] += c
                n += 1
            started = True
            cur = defaultdict(int)
            kind = None
    for f, c in sorted(per.items(), key=lambda x: -x[1]):
        print("  %-28s %6.1f" % (f, c / n))
