#ifndef SWITCHYARD_CLINUX_H
#define SWITCHYARD_CLINUX_H
/* Linux calls that Glibc's Swift module does not export. _GNU_SOURCE lives in the .c file only:
   defined in a module header it breaks SwiftGlibc's fd_set. */
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>

int switchyard_epoll_create(void);
int switchyard_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int switchyard_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
uint64_t switchyard_epoll_event_data(const struct epoll_event *event);
uint32_t switchyard_epoll_event_events(const struct epoll_event *event);

int switchyard_eventfd(void);
int switchyard_accept4(int fd, struct sockaddr *addr, socklen_t *len);

/* Constants that are enums or macros in glibc's headers, exported with fixed types. The epoll
   event bits are enumerators, not `extern const` variables: Swift folds an enumerator where it is
   used, while a C variable is read through a lazy global (a `swift_once` check) every time an
   event is tested, some ten times a request. */
enum : uint32_t {
    switchyard_EPOLLIN = EPOLLIN,
    switchyard_EPOLLOUT = EPOLLOUT,
    switchyard_EPOLLERR = EPOLLERR,
    switchyard_EPOLLHUP = EPOLLHUP,
    switchyard_EPOLLRDHUP = EPOLLRDHUP,
    switchyard_EPOLLET = EPOLLET,
};
extern const int switchyard_EPOLL_CTL_ADD;
extern const int switchyard_EPOLL_CTL_MOD;
extern const int switchyard_EPOLL_CTL_DEL;
extern const int switchyard_SO_REUSEPORT;
extern const int switchyard_TCP_NODELAY;
extern const int switchyard_SOCK_NONBLOCK_CLOEXEC_STREAM;

/* A monotonic, non-blocking, close-on-exec timerfd, and arming it for an absolute instant
   (monotonic nanoseconds; 0 disarms). */
int switchyard_timerfd_create(void);
int switchyard_timerfd_arm(int fd, uint64_t monotonic_nanoseconds);

/* Fills buf with len bytes from the kernel's CSPRNG (getrandom(2)); returns 0, or -1 with errno. */
int switchyard_random_bytes(void *buf, size_t len);

/* Gives free heap pages of every malloc arena back to the kernel (glibc malloc_trim(0)). */
int switchyard_malloc_trim(void);

/* Bytes the malloc arenas hold free (glibc mallinfo2().fordblks): what a trim could give back. */
size_t switchyard_malloc_free_bytes(void);

/* Bytes the malloc arenas have handed out and not had back (glibc mallinfo2().uordblks): the live heap,
   for the tests that check memory is given back. */
size_t switchyard_malloc_used_bytes(void);

/* Names the calling thread (at most 15 bytes), so `top -H` shows which loop is busy. */
int switchyard_set_thread_name(const char *name);

/* Bytes of this TCP socket's output the peer has acknowledged (TCP_INFO's tcpi_bytes_acked, Linux
   4.1 and later); returns 0, or -1 with errno. */
int switchyard_tcp_bytes_acked(int fd, uint64_t *acked);

/* CPU time of this process in microseconds (utime + stime), for the admin listener's metrics. */
long switchyard_process_cpu_microseconds(void);
#endif
