// chanstress: many SIPs x many messages into one receiver; nothing may be
// lost, duplicated, reordered or changed on the way.
//
//   chanstress [SENDERS [MESSAGES]]   the receiver (default 8 senders x 250 messages)
//   chanstress -s ID MESSAGES         one sender (spawned by the receiver)
//
// The receiver makes one Stream channel per sender, spawns SENDERS copies of
// this program with the writer end as their stdout, and waits on all the
// reader ends at once with sip_chan_select. Sender ID's message SEQ carries
// ID, SEQ, a checksum, and a payload whose length and bytes depend on both,
// so a message delivered to the wrong channel, out of order or with a byte
// changed is caught. The queues (16 messages) fill up, so senders block and
// wake again and again. Prints "chanstress: OK N messages from M SIPs" and
// exits 0, or names the first problem and exits 1.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sip.h>
#include <contracts/Stream.h>

#define MAX_SENDERS  32
#define HEADER       12              // id, seq, checksum: three 32-bit words
#define LIMIT_NS     (60 * 1000000000ll)   // no progress for this long: a lost wakeup

// The payload of sender id's message seq: length and bytes from both.
static int payload_len(int id, int seq) { return (seq * 7 + id * 13) % 97; }
static uint8_t payload_byte(int id, int seq, int k) { return (uint8_t)(id * 57 + seq * 13 + k * 7); }

static uint32_t checksum(const uint8_t *p, int n) {          // FNV-1a
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

// ------------------------------------------------------------------ a sender

static int sender(int id, int count) {
    uint8_t buf[HEADER + 97];
    for (int seq = 0; seq < count; seq++) {
        int n = payload_len(id, seq);
        for (int k = 0; k < n; k++) buf[HEADER + k] = payload_byte(id, seq, k);
        uint32_t sum = checksum(buf + HEADER, n);
        memcpy(buf, &id, 4), memcpy(buf + 4, &seq, 4), memcpy(buf + 8, &sum, 4);
        int r = Stream_send_Data(SIP_STDOUT, buf, HEADER + n);
        if (r != 0) {
            fprintf(stderr, "chanstress: sender %d: send %d = %d\n", id, seq, r);
            return 1;
        }
    }
    return 0;
}

// ------------------------------------------------------------------ the receiver

struct source {
    int reader;         // our end of its channel
    int child;          // its SIP id
    int next;           // the seq due next
};

static struct source src[MAX_SENDERS];
static char problem[160];

// Checks a message from sender i against what it must be; NULL if it is.
static const char *check(int i, const struct Stream_msg *m) {
    const uint8_t *d = m->Data.data;
    int len = m->Data.data_len, id, seq;
    uint32_t sum;
    if (len < HEADER) return "a message shorter than its header";
    memcpy(&id, d, 4), memcpy(&seq, d + 4, 4), memcpy(&sum, d + 8, 4);
    if (id != i) return "a message from another sender's channel";
    if (seq != src[i].next) {
        snprintf(problem, sizeof problem, "sender %d: message %d arrived where %d was due", i,
                 seq, src[i].next);
        return problem;
    }
    if (len != HEADER + payload_len(i, seq) || checksum(d + HEADER, len - HEADER) != sum)
        return "a message whose length or checksum is wrong";
    for (int k = 0; k < len - HEADER; k++)
        if (d[HEADER + k] != payload_byte(i, seq, k)) return "a payload byte changed";
    src[i].next++;
    return NULL;
}

static int spawn_sender(int id, int count, int writer) {
    char args[64];
    int len = snprintf(args, sizeof args, "chanstress%c-s%c%d%c%d", 0, 0, id, 0, count) + 1;
    int32_t h[2] = { -1, writer };
    return sip_spawn("chanstress", 10, args, len, h, 2);
}

// Receives until every sender's channel is closed and drained.
static const char *receive_all(int senders, long *total) {
    int32_t set[MAX_SENDERS];
    int who[MAX_SENDERS], open = senders;
    for (int i = 0; i < senders; i++) set[i] = src[i].reader, who[i] = i;
    static struct Stream_msg m;
    while (open > 0) {
        int k = sip_chan_select(set, open, LIMIT_NS);
        if (k == -ETIMEDOUT) return "no message for 60 s while senders were still open";
        if (k < 0) return "sip_chan_select failed";
        int i = who[k];
        int tag = Stream_recv(set[k], &m);
        if (tag == -EPIPE) {                    // this sender is done: drop it from the set
            open--;
            set[k] = set[open], who[k] = who[open];
            continue;
        }
        if (tag != Stream_Data) return "Stream_recv failed";
        const char *bad = check(i, &m);
        if (bad) return bad;
        (*total)++;
    }
    return NULL;
}

// Waits for every sender: each must have exited 0 and sent `count` messages.
static const char *reap(int senders, int count) {
    const char *bad = NULL;
    for (int i = 0; i < senders; i++) {
        int32_t st = -99;
        int r = sip_wait(src[i].child, &st);
        if (!bad && (r != 0 || st != 0)) {
            snprintf(problem, sizeof problem, "sender %d ended with status %d", i, (int)st);
            bad = problem;
        }
        if (!bad && src[i].next != count) {
            snprintf(problem, sizeof problem, "sender %d: %d messages arrived of %d", i,
                     src[i].next, count);
            bad = problem;
        }
        sip_chan_close(src[i].reader);
    }
    return bad;
}

// Sender id with a new channel; NULL, or the problem (nothing left open).
static const char *start_sender(int id, int count) {
    int w, r;
    if (Stream_create(&w, &r) < 0) return "Stream_create failed";
    src[id] = (struct source){ .reader = r, .child = spawn_sender(id, count, w) };
    if (src[id].child > 0) return NULL;
    snprintf(problem, sizeof problem, "spawn of sender %d = %d", id, src[id].child);
    sip_chan_close(w), sip_chan_close(r);
    return problem;
}

static int receiver(int senders, int count) {
    const char *bad = NULL;
    int spawned = 0;
    while (spawned < senders && !(bad = start_sender(spawned, count))) spawned++;
    long total = 0;
    if (!bad) bad = receive_all(senders, &total);
    if (bad)                                    // do not leave senders blocked behind us
        for (int i = 0; i < spawned; i++) sip_kill(src[i].child);
    const char *late = reap(spawned, count);
    if (!bad) bad = late;
    if (bad) {
        printf("chanstress: FAILED: %s\n", bad);
        return 1;
    }
    printf("chanstress: OK %ld messages from %d SIPs\n", total, senders);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "-s") == 0) return sender(atoi(argv[2]), atoi(argv[3]));
    int senders = argc > 1 ? atoi(argv[1]) : 8;
    int count = argc > 2 ? atoi(argv[2]) : 250;
    if (senders < 1 || senders > MAX_SENDERS || count < 0) {
        fprintf(stderr, "usage: chanstress [SENDERS (1..%d) [MESSAGES]]\n", MAX_SENDERS);
        return 2;
    }
    return receiver(senders, count);
}
