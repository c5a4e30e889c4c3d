# mk/bench.mk: make bench and make demo-tlb (included by GNUmakefile). Both
# report; neither ever fails on a number.
#
# make bench: the portable programs (user/portable/) on the hw and sip kernels
# and on the Linux peer, one boot each, written to $(BUILD)/bench/ (results.json,
# results.md, bench-*.png) by tools/bench. Its prerequisite linux-peer
# (mk/linux.mk) is the explicit set-up step that fetches Debian's kernel and
# busybox into build/linux-peer once (apt-get download; nothing is installed),
# then packs the initramfs; later runs find it there and fetch nothing. If
# it cannot be fetched, the report is written without Linux and says why.
# BENCH_ARGS passes options on (e.g. BENCH_ARGS='--runs 11', '--quick').
#
# make demo-tlb: tools/demo-tlb, tlbdemo's page sweep on hw (default, pcid=off,
# pge=off) and sip, to $(BUILD)/demo-tlb/ (results.json, tlb.png).
# DEMO_TLB_ARGS passes options on (e.g. '--pages 1,16,256 --runs 3').
#
# make code-cost: tools/codecost, what safe code costs: user/portable/codebench's
# rows on hw (native) and on sip in each bounds-check mode (explicit, guard,
# none: the modes this build did not install are re-sealed into a copy of its
# initrd), in exact guest instructions (QEMU TCG -icount shift=0), to
# $(BUILD)/figure5/code.json and code.md. CODE_COST_ARGS passes options on
# (e.g. '--runs 3', '--modes guard,none'). TCG only: ACCEL does not apply.
#
# ACCEL given on the command line or in the environment is passed on; otherwise
# the tools take osrun's choice (KVM only where it is real).

BENCH_ARGS ?=
DEMO_TLB_ARGS ?=
CODE_COST_ARGS ?=
bench_accel = $(if $(filter command line environment,$(origin ACCEL)),--accel $(ACCEL))

.PHONY: bench demo-tlb code-cost
# linux-peer after posix (its initramfs holds the posix programs), in its own
# make so that -j never builds them twice at once. A peer that cannot be
# fetched (no network) does not stop the report: its cells say why.
bench: deps all posix
	@$(MAKE) --no-print-directory linux-peer || \
	    echo "bench: no Linux peer (see the message above); its cells will say why" >&2
	@BUILD=$(BUILD) $(PYTHON) tools/bench $(bench_accel) $(BENCH_ARGS)

demo-tlb: deps all
	@BUILD=$(BUILD) $(PYTHON) tools/demo-tlb $(bench_accel) $(DEMO_TLB_ARGS)

code-cost: deps all
	@BUILD=$(BUILD) $(PYTHON) tools/codecost $(CODE_COST_ARGS)
