UNIT_TESTS += svm_check
svm_check_SRCS := tests/unit/test_svm_check.c arch/x86/svm/svm_check.c lib/format.c lib/string.c lib/log.c
