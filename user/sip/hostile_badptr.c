// hostile_badptr: hands the kernel pointers outside its own linear memory,
// in every ABI call that takes one. Each must come back -EFAULT (sip_print:
// -1), never a kernel fault and never a trap: the software copyin/copyout.
// Exit status 0 when every call answered as it must, else the number of the
// first check that did not (and a line on stderr saying which).
//   hostile_badptr -w   exits 0 at once (a quick child for siptests)
#include <errno.h>
#include <stdio.h>
#include <sip.h>

static int check_no;

// got must equal want; else report and exit with this check's number.
static void expect(const char *what, int got, int want) {
    check_no++;
    if (got == want) return;
    fprintf(stderr, "hostile_badptr: check %d: %s = %d, want %d\n", check_no, what, got, want);
    sip_exit(check_no);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    unsigned size = (unsigned)__builtin_wasm_memory_size(0) * 65536u;
    char *past = (char *)(uintptr_t)size;               // first byte after memory
    char *edge = (char *)(uintptr_t)(size - 8);         // 8 bytes in, the rest out
    char *top = (char *)(uintptr_t)0xfffffff0u;         // near the 32-bit end: offset + len wraps
    int h[2];
    expect("sip_print(past)", sip_print(past, 10), -1);
    expect("sip_print(edge, 100)", sip_print(edge, 100), -1);
    expect("sip_print(top, 0x20)", sip_print(top, 0x20), -1);
    expect("sip_chan_create(name past)", sip_chan_create(past, 6, h), -EFAULT);
    expect("sip_chan_create(out past)", sip_chan_create("Stream", 6, (int32_t *)past), -EFAULT);
    expect("sip_chan_create(out edge)", sip_chan_create("Stream", 6, (int32_t *)(size - 4)), -EFAULT);
    if (sip_chan_create("Stream", 6, h) != 0) expect("sip_chan_create(good)", -1, 0);
    expect("sip_chan_send(msg past)", sip_chan_send(h[0], (struct sip_msg *)past), -EFAULT);
    expect("sip_chan_send(msg top)", sip_chan_send(h[0], (struct sip_msg *)top), -EFAULT);
    expect("sip_chan_recv(msg edge)", sip_chan_recv(h[1], (struct sip_msg *)edge), -EFAULT);
    expect("sip_chan_select(past)", sip_chan_select((int32_t *)past, 1, 0), -EFAULT);
    expect("sip_spawn(name past)", sip_spawn(past, 5, 0, 0, 0, 0), -EFAULT);
    expect("sip_spawn(args past)", sip_spawn("hello", 5, past, 10, 0, 0), -EFAULT);
    expect("sip_wait(non-child, status past)", sip_wait(12345, (int32_t *)past) < 0, 1);
    if (argc >= 1)                                  // spawned with args: there are bytes to copy
        expect("sip_args(past)", sip_args(past, 64), -EFAULT);
    expect("sip_sysinfo(past)", sip_sysinfo((struct sip_sysinfo *)past), -EFAULT);
    expect("sip_sysinfo(edge)", sip_sysinfo((struct sip_sysinfo *)edge), -EFAULT);
    expect("sip_futex_wait(past)", sip_futex_wait((int32_t *)past, 0, 0), -EFAULT);
    expect("sip_futex_wake(past)", sip_futex_wake((int32_t *)past, 1), -EFAULT);
    expect("sip_ns_register(name past)", sip_ns_register(past, 4, h[0]), -EFAULT);
    expect("sip_ns_connect(name past)", sip_ns_connect(past, 4, h[0]), -EFAULT);
    expect("sip_thread_create(stack past)", sip_thread_create(0, 0, past + 4096), -EINVAL);
    // The channel still works after all that: nothing was half done.
    expect("Stream send after", sip_chan_send(h[0], &(struct sip_msg){ .len = 1 }), 0);
    return 0;
}
