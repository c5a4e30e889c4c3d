# mk/run.mk: the targets a person runs (included by GNUmakefile).
# Every one of them starts with tools/install-deps, which installs missing
# Debian packages (as root) or prints the exact apt-get line.

PYTEST  ?= /usr/bin/python3 -m pytest
# Accelerator for interactive runs: KVM only where it is real hardware
# virtualisation (see TOOLCHAIN-NOTES: an emulated /dev/kvm is ~1000x slower).
ACCEL ?= $(shell [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && echo kvm || echo tcg)
QEMU_CPU := $(if $(filter kvm,$(ACCEL)),host,max)
QEMU_BASE := qemu-system-x86_64 -accel $(ACCEL) -cpu $(QEMU_CPU) -m 256M -smp 1 \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom $(BUILD)/os.iso -boot d
# Per-user gdb port, as in xv6, so students on one machine don't collide.
GDBPORT := $(shell expr `id -u` % 5000 + 25000)

deps:
	@tools/install-deps

# Interactive: the GRUB menu and the console on this terminal (Ctrl-A x quits,
# Ctrl-A c toggles the QEMU monitor). QEMU exits 1 for a status-0 power-off
# (isa-debug-exit gives (status << 1) | 1): that is success here.
qemu: deps all
	@echo "*** booting $(BUILD)/os.iso under $(ACCEL); Ctrl-A x to quit"
	@$(QEMU_BASE) -display none -serial mon:stdio || [ $$? -eq 1 ]

# Same, stopped at the first instruction, waiting for gdb on $(GDBPORT).
qemu-gdb: deps all .gdbinit
	@echo "*** now run 'gdb' in another window (it reads .gdbinit: $(V) kernel, port $(GDBPORT))"
	@$(QEMU_BASE) -display none -serial mon:stdio -S -gdb tcp::$(GDBPORT) || [ $$? -eq 1 ]

.gdbinit: tools/gdbinit.in FORCE
	@sed -e 's/@PORT@/$(GDBPORT)/' -e 's|@KERNEL@|$(BUILD)/$(V)/kernel.elf|' $< > $@

# Bochs with its terminal display; its debugger prompt gets 'c' from a file.
bochs: deps all
	@tools/osrun --variant $(V) --accel bochs --interactive --no-build

# ---- Tests ----
# Host unit tests (sanitizers) and fuzz targets come from grade/host/*.mk.
host-tests: $(HOST_TESTS)
	@fail=0; for t in $(HOST_TESTS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

PYTEST_JOBS ?= $(shell /usr/bin/python3 -c 'import xdist' 2>/dev/null && printf -- '-n 2')
# The posix programs run on this host; the Linux peer (fetched once into
# build/linux-peer, like a package: docs/measuring.md) boots them in QEMU. A peer
# that cannot be fetched (no network) skips only the tests that boot it.
test: deps
	@$(MAKE) --no-print-directory all posix
	@$(MAKE) --no-print-directory linux-peer || \
	    echo "test: no Linux peer (see above): the tests that boot it are skipped" >&2
	BUILD=$(BUILD) $(PYTEST) -c grade/pytest.ini $(PYTEST_JOBS) $(PYTEST_ARGS) grade

# ---- Benchmarks: they report, they never fail on a number ----
bench-boot: deps all
	@BUILD=$(BUILD) /usr/bin/python3 tools/bench-boot --runs 5

# The hw kernel's null syscall, pipe round trip and fork(+exec)+exit+wait (user/hw/hwbench.c).
bench-hw: deps all
	@BUILD=$(BUILD) /usr/bin/python3 tools/bench-hw

# The sip kernel's ABI call, message round trip and SIP create+start+exit+wait (user/sip/sipbench.c).
bench-sip: deps all
	@BUILD=$(BUILD) /usr/bin/python3 tools/bench-sip

# ---- Editor support ----
compile_commands.json:
	bear --output $@ -- $(MAKE) --no-print-directory -B BUILD=$(BUILD)/cc kernels


.PHONY: deps qemu qemu-gdb bochs host-tests test bench-boot bench-hw bench-sip
