// TEMPORARY: weak stand-ins so the boot path links before every subsystem
// lands. Deleted at integration; nothing here is a real implementation.
#include "kern/kern.h"
#include "kern/initrd.h"
#include "mm/mm.h"
#define W __attribute__((weak))
W struct cpu_features cpu_has;
W uint64_t tsc_hz;
W void cpu_features_init(void) {}
W void gdt_init_cpu(void *t) { (void)t; }
W void idt_init(void) {}
W void idt_load(void) {}
W void cpu_enable_sse(void) {}
W void pmm_init(void) {}
W void vm_init(void) {}
W void heap_init(void) {}
W void sched_init(void) {}
W void pic_init(void) {}
W void pic_unmask(int i) { (void)i; }
W void pic_eoi(int i) { (void)i; }
W void lapic_init(void) {}
W void timer_init(unsigned hz, void (*t)(void)) { (void)hz; (void)t; }
W void sched_tick(void) {}
W void sched_start(void) {}
W void irq_register(int v, irq_handler_t h) { (void)v; (void)h; }
W void waitq_init(struct waitq *q, const char *n) { (void)q; (void)n; }
W void waitq_sleep(struct waitq *q, struct spinlock *h) { (void)q; spin_unlock(h); for (;;) hlt(); }
W void waitq_wake_all(struct waitq *q) { (void)q; }
W size_t frame_free_count(void) { return 0; }
W size_t frame_total_count(void) { return 0; }
W uint64_t time_ns(void) { return 0; }
W uint64_t time_ticks(void) { return 0; }
W int thread_count(void) { return 1; }
W int initrd_open(struct initrd *rd, const void *b, size_t l, const char **e) { (void)rd; (void)b; (void)l; *e = "stub"; return -1; }
W int initrd_next(const struct initrd *rd, size_t *c, struct initrd_file *f) { (void)rd; (void)c; (void)f; return 0; }
W int initrd_find(const struct initrd *rd, const char *p, struct initrd_file *f) { (void)rd; (void)p; (void)f; return -1; }
