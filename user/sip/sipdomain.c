// user/sip/sipdomain: prints the protection domain the kernel put this SIP
// in (sipdom on the kernel command line, docs/figure5.md) and its args, so
// tests can check which SIPs a sipdom.NAME/ARG word selects:
//   sipdomain: domain=kernel|own|ring3 pages=4k|2m args=sipdomain fs
// It writes with sip_print (the console): it works without a stdout
// endpoint too (sip=sipdomain).
#include <sip.h>
#include <stdio.h>
#include <string.h>

static const char *domain_word(int d) {
    switch (d & 0xff) {
    case SIP_DOMAIN_KERNEL: return "kernel";
    case SIP_DOMAIN_OWN: return "own";
    case SIP_DOMAIN_RING3: return "ring3";
    default: return "unknown";
    }
}

int main(int argc, char **argv) {
    struct sip_sysinfo info;
    if (sip_sysinfo(&info) < 0) return 1;
    char line[256];
    int n = snprintf(line, sizeof line, "sipdomain: domain=%s pages=%s args=",
                     domain_word(info.domain), info.domain & SIP_DOMAIN_LARGE_PAGES ? "2m" : "4k");
    for (int i = 0; i < argc && n < (int)sizeof line - 2; i++)
        n += snprintf(line + n, sizeof line - n, "%s%s", i ? " " : "", argv[i]);
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    sip_print(line, n);
    return 0;
}
