// proc_hw/usercopy.c: the only way the hw kernel touches user memory.
//
// copyin, copyout and copyinstr first check that the whole range lies in
// the lower half (below USER_TOP, no wrap-around), so a user pointer can
// never make the kernel read or write kernel memory. The range may still be
// unmapped, or read-only, or copy-on-write: the copy itself runs in the two
// assembly routines below, between the labels usercopy_begin and
// usercopy_end, and a page fault there comes to usercopy_fixup (through
// trap_kernel_fixup in proc_hw/fault.c) instead of becoming a panic:
//
//   copyout ──► uc_memcpy ──► rep movsb ──► #PF ──► trap_kernel_fixup
//                   ▲                                     │ usercopy_fixup
//                   │ retry (COW broken)  ◄───────────────┤ uvm_page_fault == 0
//   -EFAULT ◄── usercopy_recover          ◄───────────────┘ otherwise: rip moved
//
// This is Linux's exception-table idea in its smallest form: the fixup
// knows a fault is a user-copy fault by where it happened (rip), so there
// is no per-thread state to set up or forget to clear.
//
// With SMAP on, ring 0 may touch user pages only while RFLAGS.AC is set:
// stac opens that window for exactly the copy, clac closes it.
#include "proc_hw/uvm.h"

long uc_memcpy(void *dst, const void *src, size_t n);        // 0 or -EFAULT
long uc_strncpy(char *dst, const char *src, size_t max);     // length, -1 if no NUL, or -EFAULT
extern const char usercopy_begin[], usercopy_end[], usercopy_recover[];

_Static_assert(EFAULT == 14, "usercopy_recover returns -14");

__asm__(
    ".pushsection .text\n"
    ".p2align 4\n"
    ".globl uc_memcpy, uc_strncpy, usercopy_begin, usercopy_end, usercopy_recover\n"
    "usercopy_begin:\n"
    // long uc_memcpy(dst rdi, src rsi, n rdx). rep movs is restartable:
    // after a fixed fault it resumes with rcx/rsi/rdi where it stopped.
    // Words first, then the odd bytes: QEMU's TCG runs one iteration of a
    // rep per pass through its translated block, so movsq is 8x fewer.
    "uc_memcpy:\n"
    "    movq %rdx, %rcx\n"
    "    shrq $3, %rcx\n"
    "    rep movsq\n"
    "    movq %rdx, %rcx\n"
    "    andq $7, %rcx\n"
    "    rep movsb\n"
    "    xorl %eax, %eax\n"
    "    ret\n"
    // long uc_strncpy(dst rdi, src rsi, max rdx): copies up to and with the NUL.
    "uc_strncpy:\n"
    "    xorl %eax, %eax\n"
    "1:  cmpq %rdx, %rax\n"
    "    jae 2f\n"
    "    movzbl (%rsi,%rax), %ecx\n"
    "    movb %cl, (%rdi,%rax)\n"
    "    testb %cl, %cl\n"
    "    jz 3f\n"
    "    incq %rax\n"
    "    jmp 1b\n"
    "2:  movq $-1, %rax\n"
    "3:  ret\n"
    "usercopy_end:\n"
    // The fixup sends a failed copy here, with the routine's return address
    // still on top of the stack.
    "usercopy_recover:\n"
    "    movq $-14, %rax\n"
    "    ret\n"
    ".popsection\n");

static inline void user_access_begin(void) {
    if (cpu_has.smap) stac();
}

static inline void user_access_end(void) {
    if (cpu_has.smap) clac();
}

// [a, a+n) lies in the user half. n == 0 is always fine (nothing is touched).
static bool user_range_ok(uaddr_t a, size_t n) {
    return n == 0 || (a < USER_TOP && n <= USER_TOP - a);
}

int copyin(void *dst, uaddr_t src, size_t n) {
    if (!user_range_ok(src, n)) return -EFAULT;
    user_access_begin();
    long r = uc_memcpy(dst, (const void *)src, n);
    user_access_end();
    return (int)r;
}

int copyout(uaddr_t dst, const void *src, size_t n) {
    if (!user_range_ok(dst, n)) return -EFAULT;
    user_access_begin();
    long r = uc_memcpy((void *)dst, src, n);
    user_access_end();
    return (int)r;
}

// The string's length (without its NUL, which dst gets too); -ENAMETOOLONG
// if no NUL within max bytes (dst is then an empty string); -EFAULT if the
// string runs into unmapped memory or the end of the user half first.
long copyinstr(char *dst, uaddr_t src, size_t max) {
    if (max == 0) return -ENAMETOOLONG;
    if (src >= USER_TOP) return -EFAULT;
    size_t lim = MIN(max, USER_TOP - src);
    user_access_begin();
    long r = uc_strncpy(dst, (const char *)src, lim);
    user_access_end();
    if (r >= 0) return r;
    dst[0] = 0;
    if (r == -1) return lim < max ? -EFAULT : -ENAMETOOLONG;
    return r;
}

// The decision, apart from the trap frame's origin, so a ktest can drive it.
static bool fixup_at(struct trapframe *tf, uint64_t fault_addr) {
    if (tf->vector != 14) return false;
    if (tf->rip < (uint64_t)usercopy_begin || tf->rip >= (uint64_t)usercopy_end) return false;
    if (fault_addr >= USER_TOP) return false;    // a kernel pointer: the kernel's own bug
    if (uvm_page_fault(uvm_current(), fault_addr, tf->error) == 0) return true;
    tf->rip = (uint64_t)usercopy_recover;
    return true;
}

bool usercopy_fixup(struct trapframe *tf) {
    return fixup_at(tf, read_cr2());
}

// For proc_hw/ktest_uvm.c only.
bool usercopy_fixup_at(struct trapframe *tf, uint64_t fault_addr) {
    return fixup_at(tf, fault_addr);
}
