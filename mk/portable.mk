# mk/portable.mk: the portable programs' hw build (included by GNUmakefile
# after mk/user.mk, whose library, flags and compile rule it uses).
#
# Every user/portable/NAME.c (directly in that folder: backend/ holds the
# backends, not programs) is one program, written against
# user/include/portable.h. For the hw kernel it is linked with
# user/portable/backend/hw.c and the hw C library into
# $(BUILD)/user/portable/hw/NAME (debug info, for gdb), stripped into
# $(BUILD)/hw/rootfs/bin/NAME and packed into the hw initrd as bin/NAME, with
# no edit here. (sip: mk/sip.mk; Linux: mk/posix.mk.) The hw initrd also gets
# the WebFiles data set as data/webfiles.disk.

PORTABLE_SRC := $(sort $(wildcard user/portable/*.c))
PORTABLE_NAMES := $(notdir $(basename $(PORTABLE_SRC)))
PORTABLE_HW_BACKEND := $(UBUILD)/portable/backend/hw.o
PORTABLE_HW_ELF := $(patsubst %,$(UBUILD)/portable/hw/%,$(PORTABLE_NAMES))
PORTABLE_HW_PROGS := $(patsubst %,$(BUILD)/hw/rootfs/bin/%,$(PORTABLE_NAMES))
PORTABLE_OBJ := $(PORTABLE_SRC:%.c=$(BUILD)/%.o)

# One name, one program: /bin/NAME cannot be both.
PORTABLE_HW_CLASH := $(filter $(PORTABLE_NAMES),$(HW_PROG_NAMES))
ifneq ($(PORTABLE_HW_CLASH),)
  $(error $(foreach n,$(PORTABLE_HW_CLASH),user/portable/$(n).c and user/hw/$(n).c are both /bin/$(n) on hw;) rename one)
endif

.SECONDARY: $(PORTABLE_OBJ) $(PORTABLE_HW_BACKEND) $(PORTABLE_HW_ELF)
.PHONY: portable-hw
portable-hw: $(PORTABLE_HW_PROGS)
user: $(PORTABLE_HW_PROGS)

# The objects come from mk/user.mk's $(UBUILD)/%.o rule (user/portable/X.c ->
# $(BUILD)/user/portable/X.o), with the same flags as every hw program.
$(PORTABLE_HW_ELF): $(UBUILD)/portable/hw/%: $(UBUILD)/portable/%.o $(PORTABLE_HW_BACKEND) \
        $(UCRT0) $(ULIBC_HW) user/hw/user.ld
	$(call say,ULD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(UCC) $(ULDFLAGS) -o $@ $(UCRT0) $< $(PORTABLE_HW_BACKEND) $(ULIBC_HW) $(ULIBGCC)

$(PORTABLE_HW_PROGS): $(BUILD)/hw/rootfs/bin/%: $(UBUILD)/portable/hw/%
	@mkdir -p $(dir $@)
	$(Q)$(UOBJCOPY) --strip-debug $< $@

# As in mk/user.mk, the list of names is a prerequisite of the initrd, so a
# removed program leaves the next one (mk/user.mk's cleaning of rootfs/bin
# keeps only user/hw's and user/portable's programs).
PORTABLE_HW_LIST := $(UBUILD)/portable/hw/programs.list
$(shell mkdir -p $(UBUILD)/portable/hw && \
    { [ "$$(cat $(PORTABLE_HW_LIST) 2>/dev/null)" = "$(PORTABLE_NAMES)" ] || \
      echo "$(PORTABLE_NAMES)" > $(PORTABLE_HW_LIST); })

# The WebFiles data set (made by mk/posix.mk's rule from tools/mkwebdata) is
# /data/webfiles.disk on hw, as on sip and Linux.
WEBDATA_DISK ?= $(BUILD)/bench/webdata/webfiles.disk
HW_WEBDATA := $(BUILD)/hw/rootfs/data/webfiles.disk
$(HW_WEBDATA): $(WEBDATA_DISK)
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(BUILD)/hw/initrd.tar: $(PORTABLE_HW_PROGS) $(PORTABLE_HW_LIST) $(HW_WEBDATA)

-include $(PORTABLE_OBJ:.o=.d) $(PORTABLE_HW_BACKEND:.o=.d)
