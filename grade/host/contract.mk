# grade/host/contract.mk: host unit test and fuzz target of the contract
# language (ipc/contract.c, the same file the sip kernel and tools/contractc
# compile). Uses the generic rules of grade/host/host.mk. Seeds of the fuzz
# target: grade/host/corpus/contract/ (the real contracts and a few bad ones).
HOST_TESTS += $(BUILD)/host/test_contract
$(BUILD)/host/test_contract: ipc/contract.c ipc/contract.h grade/host/contract.mk
FUZZ_TARGETS += $(BUILD)/host/fuzz_contract
$(BUILD)/host/fuzz_contract: ipc/contract.c ipc/contract.h grade/host/contract.mk
