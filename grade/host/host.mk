# grade/host/host.mk: host-side unit tests, fuzz targets and tools for the pure-C parts
# of the kernel (parsers, allocators, ...). Included by the top-level GNUmakefile, which
# defines BUILD and the host-tests / fuzz targets; grade/test_host.py builds and runs
# everything here by name (make $(BUILD)/host/test_NAME, $(BUILD)/host/fuzz_NAME).
#
# To add a host test grade/host/test_foo.c that links kern/foo.c:
#     HOST_TESTS += $(BUILD)/host/test_foo
#     $(BUILD)/host/test_foo: kern/foo.c kern/foo.h
# The pattern rules below compile every .c prerequisite into one program, so list the
# extra sources and the headers they depend on on that one line. Fuzz targets are the
# same with fuzz_ and FUZZ_TARGETS (seed corpus in grade/host/corpus/foo/).

HOST_CC ?= gcc
HOST_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined \
    -fno-sanitize-recover=all -I.
FUZZ_CC ?= clang
FUZZ_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -I.

# A test or tool is grade/host/NAME.c plus the .c files among its prerequisites.
$(BUILD)/host/%: grade/host/%.c grade/host/host.mk grade/host/check.h
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^)

# Fuzz targets need clang's libFuzzer; the shorter stem makes make pick this rule.
$(BUILD)/host/fuzz_%: grade/host/fuzz_%.c grade/host/host.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

# ---- initrd (kern/initrd.c): the ustar parser ----
HOST_TESTS += $(BUILD)/host/test_initrd
$(BUILD)/host/test_initrd: kern/initrd.c kern/initrd.h
FUZZ_TARGETS += $(BUILD)/host/fuzz_initrd
$(BUILD)/host/fuzz_initrd: kern/initrd.c kern/initrd.h
# Lists an archive as the kernel reads it; grade/test_host.py compares it with mkinitrd.
HOST_TOOLS += $(BUILD)/host/initrd_dump
$(BUILD)/host/initrd_dump: kern/initrd.c kern/initrd.h
