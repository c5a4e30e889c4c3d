# mk/contracts.mk: tools/contractc and the SIP-side contract headers (the contracts part fills this in).
