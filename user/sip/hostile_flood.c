// hostile_flood: floods a channel. It sends COUNT messages as fast as it can
// on its stdout (endpoint 1, a Stream writer), whose reader (siptests) does
// not read at first: the 17th send must block (the queue holds 16), not fail
// and not drop anything. Message i: data = i as 4 bytes, then i % 50 bytes
// (i * 31 + k) & 0xff, so the reader can check order and content.
// Exit 0 when every send returned 0, else the number of the failed message.
//   hostile_flood COUNT   (hostile_flood -w: exit 0 at once)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sip.h>
#include <contracts/Stream.h>

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "-w") == 0) return 0;
    int count = atoi(argv[1]);
    uint8_t buf[64];
    for (int i = 1; i <= count; i++) {
        memcpy(buf, &i, 4);
        for (int k = 0; k < i % 50; k++) buf[4 + k] = (uint8_t)(i * 31 + k);
        int r = Stream_send_Data(SIP_STDOUT, buf, 4 + i % 50);
        if (r != 0) {
            fprintf(stderr, "hostile_flood: send %d of %d = %d\n", i, count, r);
            return i;
        }
    }
    return 0;
}
