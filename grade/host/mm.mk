# grade/host/mm.mk: host unit tests of the pure parts of mm/ (the frame
# bitmap and the heap core). Uses the generic rules of grade/host/host.mk.
HOST_TESTS += $(BUILD)/host/test_frame $(BUILD)/host/test_heap
$(BUILD)/host/test_frame: mm/frame.c mm/frame.h grade/host/mm.mk
$(BUILD)/host/test_heap: mm/heap.c mm/heap.h grade/host/mm.mk
