UNIT_TESTS += vmx
vmx_SRCS := tests/unit/test_vmx.c arch/x86/vmx/vmx_controls.c arch/x86/vmx/vmx_names.c \
            arch/x86/vmx/vmx_check.c arch/x86/vmx/vmx_mtrr.c lib/format.c lib/string.c
