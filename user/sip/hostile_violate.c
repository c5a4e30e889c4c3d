// hostile_violate: breaks a contract. The Bad contract starts in S0, where
// only role a may send One; this SIP sends Two from role a. The kernel
// refuses the message and ends the sender with one line naming the contract,
// the state and the message; the send never returns.
//   hostile_violate -w   exits 0 at once (a quick child for siptests)
#include <sip.h>
#include <contracts/Bad.h>

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    int a, b;
    if (Bad_create(&a, &b) < 0) return 2;      // not the test's outcome: status 2 says so
    Bad_send_Two(a);
    return 3;                                   // the violation returned: siptests fails it
}
