// user/sip/lib/thread_entry.c: where every thread but the main one starts.
// The kernel's sip_thread_create starts a kernel thread that calls this
// export with the function pointer and argument the SIP gave it, and with
// the SIP's __stack_pointer set to that thread's own shadow stack. The call
// through fn is a wasm call_indirect: wasm itself checks that fn is a
// function of type void (int) (anything else is the trap "indirect call type
// mismatch"), so a SIP cannot make the kernel jump anywhere else.
#include <sip.h>

__attribute__((export_name("__sip_thread_entry")))
void __sip_thread_entry(void (*fn)(int), int arg) {
    fn(arg);
    sip_thread_exit(0);
}
