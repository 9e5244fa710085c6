/*
 * W2 reference: devicetree blob parse and full walk with libfdt, as defined in
 * docs/performance.md ("Devicetree W2") and the shared benchmark workload definitions.
 *
 *   gcc -O2 -o w2_libfdt w2_libfdt.c -lfdt
 *   ./w2_libfdt DIR [R]
 *
 * Corpus: every regular file whose name ends in ".dtb" under DIR, found recursively; entries
 * whose names start with '.' are skipped; symbolic links are followed (a directory already
 * visited, by device and inode, is not entered again). Files are walked in strcmp order.
 *
 * One walk of one blob: fdt_check_header (non-zero: bad blob); fdt_next_node from -1 with
 * depth 0 until it returns -FDT_ERR_NOTFOUND (any other negative value: bad blob); for each
 * node, every property by fdt_first_property_offset / fdt_next_property_offset and
 * fdt_getprop_by_offset, checksum += len + strlen(name). A bad blob adds nothing to the totals.
 *
 * Prints the totals, the one-pass time (scan + read + one walk) and the in-memory walk rate
 * over R repetitions (default 20) in MB/s with MB = 10^6 bytes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct blob {
    char *path;
    void *data;
    size_t size;
};

struct totals {
    uint64_t nodes;
    uint64_t properties;
    uint64_t checksum;
};

static struct blob *blobs;
static size_t nblobs, cap_blobs;
static dev_t *seen_dev;
static ino_t *seen_ino;
static size_t nseen, cap_seen;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        perror("realloc");
        exit(2);
    }
    return p;
}

static int ends_with_dtb(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcmp(name + n - 4, ".dtb") == 0;
}

static void scan(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return;
    for (size_t i = 0; i < nseen; i++)
        if (seen_dev[i] == st.st_dev && seen_ino[i] == st.st_ino)
            return;
    if (nseen == cap_seen) {
        cap_seen = cap_seen ? cap_seen * 2 : 64;
        seen_dev = xrealloc(seen_dev, cap_seen * sizeof(*seen_dev));
        seen_ino = xrealloc(seen_ino, cap_seen * sizeof(*seen_ino));
    }
    seen_dev[nseen] = st.st_dev;
    seen_ino[nseen] = st.st_ino;
    nseen++;

    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
            perror("asprintf");
            exit(2);
        }
        if (stat(path, &st) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            scan(path);
            free(path);
        } else if (S_ISREG(st.st_mode) && ends_with_dtb(e->d_name)) {
            if (nblobs == cap_blobs) {
                cap_blobs = cap_blobs ? cap_blobs * 2 : 256;
                blobs = xrealloc(blobs, cap_blobs * sizeof(*blobs));
            }
            blobs[nblobs].path = path;
            blobs[nblobs].data = NULL;
            blobs[nblobs].size = 0;
            nblobs++;
        } else {
            free(path);
        }
    }
    closedir(d);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct blob *)a)->path, ((const struct blob *)b)->path);
}

static int read_file(struct blob *b)
{
    int fd = open(b->path, O_RDONLY);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    b->size = (size_t)st.st_size;
    b->data = malloc(b->size ? b->size : 1);
    if (!b->data) {
        close(fd);
        return -1;
    }
    size_t done = 0;
    while (done < b->size) {
        ssize_t n = read(fd, (char *)b->data + done, b->size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    close(fd);
    return 0;
}

/* Returns 0 and adds to *t for a good blob, -1 for a bad one (nothing added). */
static int walk(const void *fdt, size_t size, struct totals *t)
{
    struct totals local = {0, 0, 0};
    int depth = 0;
    int node;

    if (size < sizeof(struct fdt_header) || fdt_check_header(fdt) != 0 || fdt_totalsize(fdt) > size)
        return -1;
    for (node = fdt_next_node(fdt, -1, &depth); node >= 0; node = fdt_next_node(fdt, node, &depth)) {
        int prop;
        local.nodes++;
        fdt_for_each_property_offset(prop, fdt, node) {
            const char *name;
            int len;
            if (!fdt_getprop_by_offset(fdt, prop, &name, &len))
                return -1;
            local.properties++;
            local.checksum += (uint64_t)len + strlen(name);
        }
        if (prop != -FDT_ERR_NOTFOUND)
            return -1;
    }
    if (node != -FDT_ERR_NOTFOUND)
        return -1;
    t->nodes += local.nodes;
    t->properties += local.properties;
    t->checksum += local.checksum;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s DIR [R]\n", argv[0]);
        return 2;
    }
    int reps = argc == 3 ? atoi(argv[2]) : 20;
    if (reps < 1) {
        fprintf(stderr, "R must be at least 1\n");
        return 2;
    }

    /* One pass: recursive scan, read each file into a malloc'd buffer (kept), one walk. */
    double t0 = now();
    scan(argv[1]);
    qsort(blobs, nblobs, sizeof(*blobs), by_path);
    struct totals totals = {0, 0, 0};
    uint64_t bytes = 0, bad = 0;
    for (size_t i = 0; i < nblobs; i++) {
        if (read_file(&blobs[i]) != 0) {
            fprintf(stderr, "%s: %s\n", blobs[i].path, strerror(errno));
            return 1;
        }
        bytes += blobs[i].size;
        if (walk(blobs[i].data, blobs[i].size, &totals) != 0)
            bad++;
    }
    double one_pass = now() - t0;

    /* R repetitions of the in-memory walk of every blob. */
    struct totals sink = {0, 0, 0};
    t0 = now();
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < nblobs; i++)
            walk(blobs[i].data, blobs[i].size, &sink);
    double walk_time = now() - t0;
    if (sink.checksum != totals.checksum * (uint64_t)reps) {
        fprintf(stderr, "repeated walks disagree\n");
        return 1;
    }

    printf("files       %zu\n", nblobs);
    printf("bytes       %llu\n", (unsigned long long)bytes);
    printf("bad blobs   %llu\n", (unsigned long long)bad);
    printf("nodes       %llu\n", (unsigned long long)totals.nodes);
    printf("properties  %llu\n", (unsigned long long)totals.properties);
    printf("checksum    %llu\n", (unsigned long long)totals.checksum);
    printf("w2.libfdt.one_pass       %.3f ms\n", one_pass * 1e3);
    printf("w2.libfdt.walk           %.1f MB/s (R=%d, MB = 10^6 bytes)\n", bytes * (double)reps / 1e6 / walk_time, reps);
    printf("w2.libfdt.walk_per_blob  %.2f us\n", nblobs ? walk_time * 1e6 / ((double)nblobs * reps) : 0.0);
    return 0;
}
