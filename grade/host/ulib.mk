# grade/host/ulib.mk: host unit test of the portable user C library
# (user/lib/*.c: printf engine, malloc, strings, strtol, qsort, ctype).
# The library is compiled as for a user program (its own headers, -nostdinc)
# but with sanitizers and every public name renamed to ulib_NAME
# (grade/host/ulib_rename.h), so it links beside the host libc the test
# compares it with.
HOST_TESTS += $(BUILD)/host/test_ulib
ULIB_HOST_SRC := $(sort $(wildcard user/lib/*.c))
ULIB_HOST_OBJ := $(patsubst user/lib/%.c,$(BUILD)/host/ulib/%.o,$(ULIB_HOST_SRC))
ULIB_HOST_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=address,undefined \
    -fno-sanitize-recover=all -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
    -nostdinc -isystem $(shell $(HOST_CC) -print-file-name=include) \
    -Iuser/include -I$(GEN) -Isyscall -include grade/host/ulib_rename.h

$(BUILD)/host/ulib/%.o: user/lib/%.c user/lib/libc.h grade/host/ulib_rename.h grade/host/ulib.mk $(HW_GEN)
	@mkdir -p $(@D)
	$(HOST_CC) $(ULIB_HOST_CFLAGS) -c $< -o $@

$(BUILD)/host/test_ulib: grade/host/test_ulib.c $(ULIB_HOST_OBJ) grade/host/check.h grade/host/ulib.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(ULIB_HOST_OBJ)
