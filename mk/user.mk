# mk/user.mk: the user C library and the hw programs (included by GNUmakefile).
#
# Every user/hw/NAME.c is one program: built to $(BUILD)/hw/rootfs/bin/NAME
# and packed into the hw initrd as bin/NAME, with no edit here. The library
# is user/lib/*.c (portable: string, printf engine, malloc, ...) plus
# user/lib/hw/* (crt0, stdio over file descriptors, exit, ...) plus the
# system-call stubs generated from syscall/hw.tbl. See docs/user.md.

UCC := $(CC)
UCFLAGS := -std=c11 -O2 -g -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) \
    -ffreestanding -fno-builtin -fno-pie -fno-stack-protector \
    -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
    -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
    -Iuser/include -I$(GEN) -Isyscall -MMD -MP
ULDFLAGS := -nostdlib -static -no-pie -Wl,-T,user/hw/user.ld -Wl,-z,max-page-size=0x1000 \
    -Wl,-z,noexecstack -Wl,--build-id=none
ULIBGCC := $(shell $(CC) -print-libgcc-file-name)
UAR := $(CROSS)ar
UOBJCOPY := $(CROSS)objcopy

UBUILD := $(BUILD)/user
# user/X.c compiles to $(BUILD)/user/X.o; program NAME links to
# $(BUILD)/user/hw/NAME (with debug info, for gdb) and is stripped into
# $(BUILD)/hw/rootfs/bin/NAME, which goes into the initrd.
ULIB_SRC := $(sort $(wildcard user/lib/*.c))
ULIB_HW_SRC := $(sort $(wildcard user/lib/hw/*.c user/lib/hw/*.S))
ULIB_HW_OBJ := $(patsubst %,$(BUILD)/%.o,$(basename $(ULIB_SRC) $(filter-out %/crt0.S,$(ULIB_HW_SRC)))) \
    $(UBUILD)/hw_usys.o
UCRT0 := $(UBUILD)/lib/hw/crt0.o
ULIBC_HW := $(UBUILD)/libc_hw.a

HW_PROG_SRC := $(sort $(wildcard user/hw/*.c))
HW_PROG_NAMES := $(notdir $(basename $(HW_PROG_SRC)))
HW_PROG_ELF := $(patsubst %,$(UBUILD)/hw/%,$(HW_PROG_NAMES))
HW_PROGS := $(patsubst %,$(BUILD)/hw/rootfs/bin/%,$(HW_PROG_NAMES))

HW_PROG_OBJ := $(HW_PROG_SRC:%.c=$(BUILD)/%.o)
# Not intermediate: keep the objects and the debug ELFs after a build.
.SECONDARY: $(HW_PROG_OBJ) $(HW_PROG_ELF) $(UCRT0)

.PHONY: user
user: $(HW_PROGS)

$(UBUILD)/%.o: user/%.c $(HW_GEN) mk/user.mk | check-toolchain
	$(call say,UCC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(UCC) $(UCFLAGS) -c $< -o $@
$(UBUILD)/%.o: user/%.S mk/user.mk | check-toolchain
	$(call say,UAS,$<)
	@mkdir -p $(dir $@)
	$(Q)$(UCC) $(UCFLAGS) -c $< -o $@
$(UBUILD)/hw_usys.o: $(GEN)/hw_usys.c $(HW_GEN) mk/user.mk
	$(call say,UCC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(UCC) $(UCFLAGS) -c $< -o $@
# mem* live here: gcc must not turn their loops back into calls to themselves.
$(UBUILD)/lib/string.o: UCFLAGS += -fno-tree-loop-distribute-patterns

$(ULIBC_HW): $(ULIB_HW_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(UAR) rcs $@ $^

$(HW_PROG_ELF): $(UBUILD)/hw/%: $(UBUILD)/hw/%.o $(UCRT0) $(ULIBC_HW) user/hw/user.ld
	$(call say,ULD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(UCC) $(ULDFLAGS) -o $@ $(UCRT0) $< $(ULIBC_HW) $(ULIBGCC)

$(HW_PROGS): $(BUILD)/hw/rootfs/bin/%: $(UBUILD)/hw/%
	@mkdir -p $(dir $@)
	$(Q)$(UOBJCOPY) --strip-debug $< $@

# The hw initrd carries every program. The program list is a prerequisite
# too (rewritten only when a program appears or goes), so removing a
# user/hw/*.c also removes its binary from rootfs/ and from the next initrd.
HW_PROG_LIST := $(UBUILD)/hw/programs.list
$(shell mkdir -p $(UBUILD)/hw && \
    { [ "$$(cat $(HW_PROG_LIST) 2>/dev/null)" = "$(HW_PROG_NAMES)" ] || \
      echo "$(HW_PROG_NAMES)" > $(HW_PROG_LIST); })
# mk/portable.mk puts a program per user/portable/*.c in rootfs/bin too: kept.
HW_ROOTFS_BIN := $(HW_PROGS) $(patsubst user/portable/%.c,$(BUILD)/hw/rootfs/bin/%,$(wildcard user/portable/*.c))
$(foreach f,$(filter-out $(HW_ROOTFS_BIN),$(wildcard $(BUILD)/hw/rootfs/bin/*)),$(shell rm -f $(f)))
$(BUILD)/hw/initrd.tar: $(HW_PROGS) $(HW_PROG_LIST)

-include $(ULIB_HW_OBJ:.o=.d) $(UCRT0:.o=.d) $(HW_PROG_OBJ:.o=.d)
