# mk/posix.mk: the portable programs built for Linux, and the WebFiles data
# set (included by GNUmakefile).
#
# Every user/portable/NAME.c is one portable program (only files directly in
# that folder): here it is linked with the posix backend and the benchmark
# row printer into a static x86_64 Linux executable $(BUILD)/posix/bin/NAME,
# with no edit here. Static, so the same file runs on this host and inside the
# Linux peer's initramfs (tools/linux-peer). glibc's headers and errno values
# come first; -idirafter lets only portable.h and benchstat.h come from
# user/include. See docs/portable.md.

POSIX_CC ?= gcc
WEBDATA := $(BUILD)/bench/webdata/webfiles.disk
POSIX_CFLAGS := -static -O2 -pthread -std=gnu11 -Wall -Wextra \
    $(if $(filter 1,$(WERROR)),-Werror) -idirafter user/include
PT_PROG_SRC := $(sort $(wildcard user/portable/*.c))
PT_PROG_NAMES := $(notdir $(basename $(PT_PROG_SRC)))
POSIX_BINS := $(patsubst %,$(BUILD)/posix/bin/%,$(PT_PROG_NAMES))
POSIX_DEPS := user/portable/backend/posix.c user/lib/benchstat.c user/include/portable.h \
    user/include/benchstat.h $(wildcard user/portable/*.h) mk/posix.mk

.PHONY: posix webdata
posix: $(POSIX_BINS) $(WEBDATA)

$(POSIX_BINS): $(BUILD)/posix/bin/%: user/portable/%.c $(POSIX_DEPS)
	$(call say,POSIXCC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(POSIX_CC) $(POSIX_CFLAGS) -o $@ $< user/portable/backend/posix.c user/lib/benchstat.c

# The WebFiles data set: one deterministic disk image (tools/mkwebdata says
# what is in it), the same bytes on every system: the hw and sip initrds
# (mk/portable.mk, mk/sip.mk) and the Linux initramfs carry it as
# /data/webfiles.disk.
webdata: $(WEBDATA)
$(WEBDATA): tools/mkwebdata
	$(call say,GEN,$@)
	@mkdir -p $(dir $@)
	$(Q)$(PYTHON) tools/mkwebdata $@
