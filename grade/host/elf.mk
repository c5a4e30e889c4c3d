# grade/host/elf.mk: host unit test and fuzz target of proc_hw/elf.c, the ELF64
# executable check exec relies on. Uses the generic rules of grade/host/host.mk.
HOST_TESTS += $(BUILD)/host/test_elf
$(BUILD)/host/test_elf: proc_hw/elf.c proc_hw/elf.h kern/elf64.h grade/host/elf.mk
FUZZ_TARGETS += $(BUILD)/host/fuzz_elf
$(BUILD)/host/fuzz_elf: proc_hw/elf.c proc_hw/elf.h kern/elf64.h grade/host/elf.mk
