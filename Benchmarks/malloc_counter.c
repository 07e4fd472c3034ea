// Counts a process's heap allocations by call stack, for Benchmarks/switchyard_bench/allocations.py: an
// LD_PRELOAD library that interposes malloc, calloc, realloc and the aligned allocators, walks the
// caller's frame pointers (Swift code keeps them; Debian's libc and OpenSSL don't, so their stacks end
// early) and adds one to the stack's entry in a table kept in a shared file. The reader maps the same
// file, so it takes snapshots while the process runs: the difference of two is what the load between
// them allocated, stack by stack. Nothing is printed and nothing is written but the table.
//
//   gcc -O2 -fPIC -shared -fno-omit-frame-pointer -o malloc_counter.so malloc_counter.c
//   MALLOC_COUNTER_FILE=/tmp/counts LD_PRELOAD=./malloc_counter.so switchyard serve …
//
// The table is fixed in size (`SLOTS` stacks); an allocation whose stack finds no free slot within
// `PROBES` is counted in `unrecorded`, so a full table shows rather than skews. Counting costs a few
// hundred instructions per allocation: use it to count, never to time.
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAGIC 0x53594d414c4c4f43ULL /* "SYMALLOC" */
#define SLOTS (1u << 16)
#define PROBES 64
#define FRAMES 40

// The layout allocations.py reads (little-endian, 8-byte fields).
struct header {
    uint64_t magic, slots, frames;
    uint64_t allocations, frees, bytes, unrecorded;
    int64_t live; // bytes allocated and not freed yet (usable sizes): the heap in use, for idle memory
};

struct slot {
    uint64_t hash; // 0: free
    uint64_t count, bytes, depth;
    uint64_t frames[FRAMES]; // return addresses, innermost first
};

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static struct header *table_header;
static struct slot *table;

// Inside the counter (pthread_getattr_np and the file's set-up allocate): those calls are not counted.
static __thread int busy __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_low __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_high __attribute__((tls_model("initial-exec")));

__attribute__((constructor)) static void open_table(void) {
    const char *path = getenv("MALLOC_COUNTER_FILE");
    if (!path) return;
    busy = 1;
    size_t size = sizeof(struct header) + (size_t)SLOTS * sizeof(struct slot);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0 && ftruncate(fd, (off_t)size) == 0) {
        void *mapped = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (mapped != MAP_FAILED) {
            struct header *h = mapped;
            h->slots = SLOTS;
            h->frames = FRAMES;
            table = (struct slot *)(h + 1);
            __atomic_store_n(&h->magic, MAGIC, __ATOMIC_RELEASE);
            table_header = h;
        }
    }
    if (fd >= 0) close(fd);
    busy = 0;
}

// This thread's stack, so that the walk stops where a frame pointer leaves it (a caller without frame
// pointers leaves anything in the register).
static int know_stack(void) {
    if (stack_high) return 1;
    pthread_attr_t attr;
    void *low;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
    int ok = pthread_attr_getstack(&attr, &low, &size) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) return 0;
    stack_low = (uintptr_t)low;
    stack_high = (uintptr_t)low + size;
    return 1;
}

static uint64_t mix(uint64_t hash, uint64_t value) {
    hash ^= value;
    hash *= 0x100000001b3ULL;
    return hash ^ (hash >> 29);
}

// Always inlined into each allocator, so that the first frame walked is the allocator's caller's.
static inline __attribute__((always_inline)) void count(size_t size, void **fp) {
    struct header *h = table_header;
    if (!h || busy) return;
    busy = 1;
    __atomic_add_fetch(&h->allocations, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->bytes, size, __ATOMIC_RELAXED);
    uint64_t frames[FRAMES];
    uint64_t depth = 0, hash = 0xcbf29ce484222325ULL;
    if (know_stack()) {
        while (depth < FRAMES) {
            uintptr_t at = (uintptr_t)fp;
            if (at < stack_low || at + 2 * sizeof(void *) > stack_high || (at & (sizeof(void *) - 1))) break;
            uint64_t ret = (uint64_t)(uintptr_t)fp[1];
            if (!ret) break;
            frames[depth++] = ret;
            hash = mix(hash, ret);
            void **next = (void **)fp[0];
            if ((uintptr_t)next <= at) break;
            fp = next;
        }
    }
    hash |= 1;
    uint64_t index = hash & (SLOTS - 1);
    for (int probe = 0; probe < PROBES; probe++, index = (index + 1) & (SLOTS - 1)) {
        struct slot *s = &table[index];
        uint64_t seen = __atomic_load_n(&s->hash, __ATOMIC_ACQUIRE);
        if (seen == 0) {
            uint64_t expected = 0;
            if (__atomic_compare_exchange_n(&s->hash, &expected, hash, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                memcpy(s->frames, frames, depth * sizeof(uint64_t));
                __atomic_store_n(&s->depth, depth, __ATOMIC_RELEASE);
                seen = hash;
            } else {
                seen = expected;
            }
        }
        if (seen == hash) {
            __atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&s->bytes, size, __ATOMIC_RELAXED);
            busy = 0;
            return;
        }
    }
    __atomic_add_fetch(&h->unrecorded, 1, __ATOMIC_RELAXED);
    busy = 0;
}

#define HERE ((void **)__builtin_frame_address(0))

static void *taken(void *p) {
    struct header *h = table_header;
    if (h && p) __atomic_add_fetch(&h->live, (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
    return p;
}

static void given_back(void *p) {
    struct header *h = table_header;
    if (h && p) {
        __atomic_add_fetch(&h->frees, 1, __ATOMIC_RELAXED);
        __atomic_sub_fetch(&h->live, (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
    }
}

void *malloc(size_t size) {
    count(size, HERE);
    return taken(__libc_malloc(size));
}

void *calloc(size_t n, size_t size) {
    count(n * size, HERE);
    return taken(__libc_calloc(n, size));
}

void *realloc(void *p, size_t size) {
    count(size, HERE);
    given_back(p);
    return taken(__libc_realloc(p, size));
}

void *memalign(size_t alignment, size_t size) {
    count(size, HERE);
    return taken(__libc_memalign(alignment, size));
}

void *aligned_alloc(size_t alignment, size_t size) {
    count(size, HERE);
    return taken(__libc_memalign(alignment, size));
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    count(size, HERE);
    void *p = taken(__libc_memalign(alignment, size));
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p) {
    given_back(p);
    __libc_free(p);
}
