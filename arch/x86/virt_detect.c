#include "arch/x86/virt_detect.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "lib/string.h"


bool svm_usable(const char **why)
{
    struct cpuid_regs r;
    uint64_t vmcr;
    cpuid_count(0x80000000, 0, &r);
    if (r.eax < 0x80000001) {
        *why = "absent (no extended CPUID leaf 0x80000001)";
        return false;
    }
    cpuid_count(0x80000001, 0, &r);
    if (!((r.ecx >> 2) & 1)) {
        *why = "absent (CPUID 0x80000001 ECX.SVM = 0)";
        return false;
    }
    /* APM Vol 2 15.4: VM_CR.SVMDIS set means EFER.SVME cannot be set
     * (disabled by firmware; the lock bit keeps it so). */
    if (!rdmsr_safe(MSR_VM_CR, &vmcr)) {
        *why = "VM_CR (0xc0010114) is not readable, cannot tell whether SVM is disabled";
        vmcr = 0;
        /* Some emulators fault here while SVM works; try anyway. */
    }
    if (vmcr & VM_CR_SVMDIS) {
        *why = "disabled by firmware (VM_CR.SVMDIS = 1)";
        return false;
    }
    cpuid_count(0x8000000A, 0, &r);
    if (!((r.edx >> 0) & 1)) {
        *why = "SVM without nested paging (CPUID 0x8000000A EDX.NP = 0); keel needs NPT";
        return false;
    }
    return true;
}

bool vmx_usable(const char **why)
{
    struct cpuid_regs r;
    uint64_t fc;
    cpuid_count(1, 0, &r);
    if (!((r.ecx >> 5) & 1)) {
        *why = "absent (CPUID 1 ECX.VMX = 0)";
        return false;
    }
    if (!rdmsr_safe(MSR_FEATURE_CONTROL, &fc)) {
        *why = "IA32_FEATURE_CONTROL is not readable";
        return false;
    }
    /* SDM Vol 3 24.7: if locked, VMXON outside SMX must be enabled. */
    if ((fc & FEATURE_CONTROL_LOCKED) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        *why = "disabled by firmware (IA32_FEATURE_CONTROL locked with VMX-outside-SMX off)";
        return false;
    }
    return true;
}

enum virt_kind virt_report_cpu(void)
{
    struct cpuid_regs r;
    char vendor[13], brand[49];
    uint32_t fam, model, step, i;
    const char *why_svm = "", *why_vmx = "";
    bool svm, vmx;

    cpuid_count(0, 0, &r);
    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.edx, 4);
    memcpy(vendor + 8, &r.ecx, 4);
    vendor[12] = 0;
    cpuid_count(1, 0, &r);
    fam = (r.eax >> 8) & 0xf;
    model = (r.eax >> 4) & 0xf;
    step = r.eax & 0xf;
    if (fam == 0xf)
        fam += (r.eax >> 20) & 0xff;
    if (fam == 0x6 || fam >= 0xf)
        model |= ((r.eax >> 16) & 0xf) << 4;
    brand[0] = 0;
    cpuid_count(0x80000000, 0, &r);
    if (r.eax >= 0x80000004) {
        for (i = 0; i < 3; i++) {
            cpuid_count(0x80000002 + i, 0, &r);
            memcpy(brand + i * 16, &r, 16);
        }
        brand[48] = 0;
    }
    klog("CPU: %s family 0x%x model 0x%x stepping %u '%s'", vendor, fam, model, step, brand);

    svm = svm_usable(&why_svm);
    vmx = vmx_usable(&why_vmx);
    klog("virtualization: SVM %s%s%s; VMX %s%s%s", svm ? "usable" : "not usable", svm ? "" : ": ",
         svm ? "" : why_svm, vmx ? "usable" : "not usable", vmx ? "" : ": ", vmx ? "" : why_vmx);
    return svm ? VIRT_SVM : vmx ? VIRT_VMX : VIRT_NONE;
}
