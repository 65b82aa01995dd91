UNIT_TESTS += insn
insn_SRCS := tests/unit/test_insn.c tests/unit/fake_guest_mem.c vmm/insn.c vmm/insn_decode.c vmm/guest_walk.c \
             lib/log.c lib/format.c lib/string.c
