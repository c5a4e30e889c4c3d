# mk/linux.mk: the Linux peer, Debian's kernel and busybox booted in the same
# QEMU machine as our kernels, running the portable programs built for Linux
# (mk/posix.mk). Included by GNUmakefile. tools/linux-peer does the work.
#
# Fetching is a set-up step, like tools/install-deps, never a compile rule:
# only `make linux-peer` downloads (apt-get download, into build/linux-peer,
# shared by every $(BUILD); quiet when already done). The initramfs rule
# only checks that the peer is there and otherwise says what to run.

LINUX_PEER_DIR ?= build/linux-peer
LINUX_PEER_JSON := $(LINUX_PEER_DIR)/peer.json
LINUX_INITRAMFS := $(BUILD)/linux/initramfs.cpio
LINUX_PEER_TOOL := LINUX_PEER_DIR=$(LINUX_PEER_DIR) $(PYTHON) tools/linux-peer

.PHONY: linux-peer linux-initramfs

# A second make for the initramfs: it must start after the fetch, and must see
# peer.json (a prerequisite below) as it is after it.
linux-peer:
	$(Q)$(LINUX_PEER_TOOL) fetch
	$(Q)$(MAKE) --no-print-directory linux-initramfs

linux-initramfs: $(LINUX_INITRAMFS)
	@:

# /bin: every program in $(BUILD)/posix/bin; /data/webfiles.disk.
$(LINUX_INITRAMFS): $(POSIX_BINS) $(WEBDATA) tools/linux-peer mk/linux.mk \
                    $(wildcard $(LINUX_PEER_JSON))
	@test -f $(LINUX_PEER_JSON) || { echo "error: $(LINUX_PEER_JSON): the Linux peer is" \
	    "not fetched; run make linux-peer" >&2; exit 1; }
	$(call say,CPIO,$@)
	$(Q)$(LINUX_PEER_TOOL) initramfs $@ --bin $(BUILD)/posix/bin --data $(WEBDATA)
