#define _GNU_SOURCE
#include "CLinux.h"
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <errno.h>
#include <malloc.h>
#include <sys/random.h>

int switchyard_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int switchyard_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int switchyard_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
    return epoll_wait(epfd, events, maxevents, timeout);
}

uint64_t switchyard_epoll_event_data(const struct epoll_event *event) { return event->data.u64; }
uint32_t switchyard_epoll_event_events(const struct epoll_event *event) { return event->events; }

int switchyard_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int switchyard_accept4(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

const int switchyard_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int switchyard_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int switchyard_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
const int switchyard_SO_REUSEPORT = SO_REUSEPORT;
const int switchyard_TCP_NODELAY = TCP_NODELAY;
const int switchyard_SOCK_NONBLOCK_CLOEXEC_STREAM = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;

long switchyard_process_cpu_microseconds(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
    return (long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000L
         + (long)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

int switchyard_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }

int switchyard_timerfd_create(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int switchyard_timerfd_arm(int fd, uint64_t monotonic_nanoseconds) {
    struct itimerspec spec = {0};
    spec.it_value.tv_sec = (time_t)(monotonic_nanoseconds / 1000000000u);
    spec.it_value.tv_nsec = (long)(monotonic_nanoseconds % 1000000000u);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

int switchyard_random_bytes(void *buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom((char *)buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

int switchyard_malloc_trim(void) { return malloc_trim(0); }

size_t switchyard_malloc_free_bytes(void) { return mallinfo2().fordblks; }

size_t switchyard_malloc_used_bytes(void) { return mallinfo2().uordblks; }
