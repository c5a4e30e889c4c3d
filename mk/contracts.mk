# mk/contracts.mk: the channel contracts (included by GNUmakefile after mk/sip.mk).
#
# Every ipc/contracts/NAME.contract, with no edit here:
#  * is checked and turned by tools/contractc into $(BUILD)/sip/gen/contracts/NAME.h,
#    the typed stubs a SIP program includes as <contracts/NAME.h> (mk/sip.mk makes
#    the images depend on CONTRACT_HEADERS and passes -I $(CONTRACT_GEN_DIR));
#  * goes into the sip initrd as contracts/NAME.contract, which the kernel's
#    registry (ipc/contract_registry.c) loads at boot.
# A bad contract stops the build: "contractc: ipc/contracts/X.contract: line N: problem".

# contractc is a host tool: plain host gcc, no sanitizers (it runs in every build).
CONTRACTC := $(BUILD)/host/contractc
CONTRACTC_CFLAGS := -std=c11 -Wall -Wextra -Werror -O1 -g -I.
$(CONTRACTC): tools/contractc.c ipc/contract.c ipc/contract.h syscall/errno_list.h mk/contracts.mk
	$(call say,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(or $(HOST_CC),gcc) $(CONTRACTC_CFLAGS) -o $@ tools/contractc.c ipc/contract.c

CONTRACT_SRCS := $(sort $(wildcard ipc/contracts/*.contract))
CONTRACT_NAMES := $(notdir $(basename $(CONTRACT_SRCS)))
CONTRACT_GEN_DIR := $(BUILD)/sip/gen
CONTRACT_HEADERS := $(patsubst %,$(CONTRACT_GEN_DIR)/contracts/%.h,$(CONTRACT_NAMES))
CONTRACT_ROOT := $(BUILD)/sip/rootfs/contracts
CONTRACT_FILES := $(patsubst %,$(CONTRACT_ROOT)/%.contract,$(CONTRACT_NAMES))

.PHONY: contracts
contracts: $(CONTRACT_HEADERS) $(CONTRACT_FILES)

# Every contract is a prerequisite: an `ep C:R` field is checked against C's file.
$(CONTRACT_GEN_DIR)/contracts/%.h: ipc/contracts/%.contract $(CONTRACTC) $(CONTRACT_SRCS)
	$(call say,CONTRACT,$<)
	@mkdir -p $(@D)
	$(Q)$(CONTRACTC) $< -o $@ --contracts ipc/contracts

# Copied only once contractc has accepted it (the header is a prerequisite).
$(CONTRACT_ROOT)/%.contract: ipc/contracts/%.contract $(CONTRACT_GEN_DIR)/contracts/%.h
	@mkdir -p $(@D)
	$(Q)cp $< $@

# As mk/sip.mk does for images: the list of names is a prerequisite of the
# initrd and a removed contract leaves rootfs/ (and its header) at once.
CONTRACT_LIST := $(CONTRACT_GEN_DIR)/contracts.list
$(shell mkdir -p $(CONTRACT_GEN_DIR) && \
    { [ "$$(cat $(CONTRACT_LIST) 2>/dev/null)" = "$(CONTRACT_NAMES)" ] || \
      echo "$(CONTRACT_NAMES)" > $(CONTRACT_LIST); })
$(foreach f,$(filter-out $(CONTRACT_FILES),$(wildcard $(CONTRACT_ROOT)/*.contract)) \
    $(filter-out $(CONTRACT_HEADERS),$(wildcard $(CONTRACT_GEN_DIR)/contracts/*.h)),$(shell rm -f $(f)))
$(BUILD)/sip/initrd.tar: $(CONTRACT_FILES) $(CONTRACT_LIST)
