UNIT_TESTS += mmio_decode
mmio_decode_SRCS := tests/unit/test_mmio_decode.c
