// ls [PATH...]: for a directory, one line per entry (sorted by name); for
// a file, its own line. Each line: name (directories end in '/'), type and
// size (bytes; for a directory, its number of entries).
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct entry {
    char name[NAME_MAX + 2];     // with room for the '/' of a directory
    int type;
    long size;                   // -1: unknown
};

static const char *type_name(int type) {
    switch (type) {
    case T_FILE: return "file";
    case T_DIR: return "dir";
    case T_DEV: return "dev";
    case T_PIPE: return "pipe";
    default: return "?";
    }
}

static void print_entry(const struct entry *e) {
    if (e->size < 0) printf("%-24s %-4s %8s\n", e->name, type_name(e->type), "?");
    else printf("%-24s %-4s %8ld\n", e->name, type_name(e->type), e->size);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

// Type and size of dir/name, by opening it; the directory entry's type
// when that fails.
static void fill_entry(struct entry *e, const char *dir, const struct dirent *d) {
    char path[MAXPATH];
    struct stat st;
    e->type = d->type;
    e->size = -1;
    if (snprintf(path, sizeof path, "%s/%s", dir, d->name) < (int)sizeof path && stat(path, &st) >= 0) {
        e->type = st.type;
        e->size = (long)st.size;
    }
    snprintf(e->name, sizeof e->name, "%s%s", d->name, e->type == T_DIR ? "/" : "");
}

// Reads every entry of the open directory fd (. and .. left out).
static struct entry *read_entries(int fd, const char *dir, int *count) {
    struct dirent d;
    struct entry *list = NULL;
    int n = 0, cap = 0, r;
    while ((r = readdir(fd, &d)) > 0) {
        if (strcmp(d.name, ".") == 0 || strcmp(d.name, "..") == 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            struct entry *bigger = realloc(list, (size_t)cap * sizeof *list);
            if (!bigger) {
                fprintf(stderr, "ls: %s: out of memory\n", dir);
                break;
            }
            list = bigger;
        }
        fill_entry(&list[n++], dir, &d);
    }
    if (r < 0) fprintf(stderr, "ls: %s: %s\n", dir, strerror(-r));
    *count = n;
    return list;
}

static int list_dir(const char *path, int fd) {
    int n;
    struct entry *list = read_entries(fd, path, &n);
    qsort(list, (size_t)n, sizeof *list, by_name);
    for (int i = 0; i < n; i++) print_entry(&list[i]);
    free(list);
    return 0;
}

// Lists one path; with a heading ("path:") for a directory when ls was
// given several.
static int list_path(const char *path, bool headings, bool *first) {
    struct stat st;
    int fd = open(path, O_RDONLY);
    int r = fd < 0 ? fd : fstat(fd, &st);
    if (r < 0) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(-r));
        if (fd >= 0) close(fd);
        return 1;
    }
    if (st.type == T_DIR) {
        if (headings) printf("%s%s:\n", *first ? "" : "\n", path);
        list_dir(path, fd);
    } else {
        struct entry e = { .type = st.type, .size = (long)st.size };
        snprintf(e.name, sizeof e.name, "%s", path);
        print_entry(&e);
    }
    *first = false;
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    int status = 0;
    bool first = true;
    if (argc == 1) return list_path(".", false, &first);
    for (int i = 1; i < argc; i++) status |= list_path(argv[i], argc > 2, &first);
    return status;
}
