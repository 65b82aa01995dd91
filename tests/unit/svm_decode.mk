UNIT_TESTS += svm_decode
svm_decode_SRCS := tests/unit/test_svm_decode.c
