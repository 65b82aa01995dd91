UNIT_TESTS += svm_setup
svm_setup_SRCS := tests/unit/test_svm_setup.c arch/x86/svm/svm_setup.c arch/x86/svm/svm_entry.S
