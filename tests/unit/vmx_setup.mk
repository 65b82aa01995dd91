UNIT_TESTS += vmx_setup
vmx_setup_SRCS := tests/unit/test_vmx_setup.c arch/x86/vmx/vmx_setup.c arch/x86/vmx/vmx_controls.c lib/format.c \
                  lib/string.c arch/x86/vmx/vmx_entry.S
