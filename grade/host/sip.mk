# grade/host/sip.mk: host unit tests and the fuzz target of the sip kernel's
# image check: proc_sip/sha256.c (digest, seal) and proc_sip/image.c (layout,
# manifest). Uses the generic rules of grade/host/host.mk. See docs/sip-image.md.
HOST_TESTS += $(BUILD)/host/test_sha256
$(BUILD)/host/test_sha256: proc_sip/sha256.c proc_sip/sha256.h grade/host/sip.mk
HOST_TESTS += $(BUILD)/host/test_image
$(BUILD)/host/test_image: proc_sip/image.c proc_sip/image.h proc_sip/sha256.c proc_sip/sha256.h \
    grade/host/sip.mk
FUZZ_TARGETS += $(BUILD)/host/fuzz_image
$(BUILD)/host/fuzz_image: proc_sip/image.c proc_sip/image.h proc_sip/sha256.c proc_sip/sha256.h \
    grade/host/sip.mk
# Checks a sealed image file as the kernel will; grade/test_sipc.py runs it on sipc's output.
HOST_TOOLS += $(BUILD)/host/sip_check
$(BUILD)/host/sip_check: proc_sip/image.c proc_sip/image.h proc_sip/sha256.c proc_sip/sha256.h \
    grade/host/sip.mk
