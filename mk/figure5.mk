# mk/figure5.mk: make figure5 (included by GNUmakefile). A benchmark: it
# reports and never fails on a number.
#
# tools/figure5 boots the sip kernel once per configuration of Singularity's
# Figure 5 (no runtime checks, (a)..(e): the sipdom= words in docs/sip.md),
# each running `webfiles client` (user/portable/webfiles.c), plus the same
# webfiles on the hw kernel as a reference bar, and writes $(BUILD)/figure5/
# (results.json, results.md, figure5.png). "No runtime checks" re-seals
# webfiles with sipc --memcheck none into a temporary folder: no second build.
# With tools/codecost present, --with-code adds its code.json (safe against
# native instructions) and a second panel. It fails (exit 1) only when a
# configuration did not run as labelled (the kernel's `sip: domains:` line).
#
# FIGURE5_ARGS passes options on (e.g. '--runs 5', '--quick', '--configs a,c').
# ACCEL given on the command line or in the environment is passed on; otherwise
# tools/figure5 takes osrun's choice (TCG unless KVM is real), as make bench.

FIGURE5_ARGS ?=
figure5_accel = $(if $(filter command line environment,$(origin ACCEL)),--accel $(ACCEL))

.PHONY: figure5
figure5: deps all
	@BUILD=$(BUILD) $(PYTHON) tools/figure5 $(figure5_accel) --with-code $(FIGURE5_ARGS)
