// kern/spinlock.c: spinlocks that keep interrupts off while held, so an
// interrupt handler on the same CPU can never spin on a lock its own CPU
// holds. push_irq_off/pop_irq_off nest like xv6's pushcli/popcli.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

void push_irq_off(void) {
    bool were_on = irq_enabled();
    cli();
    struct cpu *c = mycpu();
    if (c->irq_off_depth++ == 0) c->irq_were_on = were_on;
}

void pop_irq_off(void) {
    struct cpu *c = mycpu();
    if (irq_enabled()) panic("pop_irq_off: interrupts are on");
    if (c->irq_off_depth <= 0) panic("pop_irq_off: not pushed");
    if (--c->irq_off_depth == 0 && c->irq_were_on) sti();
}

void spin_init(struct spinlock *lk, const char *name) {
    lk->locked = 0;
    lk->name = name;
    lk->cpu = -1;
}

bool spin_holding(struct spinlock *lk) {
    return lk->locked && lk->cpu == mycpu()->id;
}

void spin_lock(struct spinlock *lk) {
    push_irq_off();
    if (spin_holding(lk)) panic("spin_lock: '%s' already held by this CPU", lk->name);
    while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
    lk->cpu = mycpu()->id;
}

void spin_unlock(struct spinlock *lk) {
    if (!spin_holding(lk)) panic("spin_unlock: '%s' not held", lk->name);
    lk->cpu = -1;
    __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
    pop_irq_off();
}
