/*
 * tls_newconn — load generator for "a new TLS connection per request".
 *
 * Each of --connections slots loops: TCP connect, a FULL TLS handshake (a fresh SSL object and no
 * session offered, so the server can never resume), one `GET PATH HTTP/1.1` with `Connection: close`,
 * read the whole response, wait for the server to close, start again. wrk and h2load --h1 both resume
 * TLS sessions on reconnect (checked with nginx's $ssl_session_reused: all but the first handshake per
 * connection slot were resumed), which measures something else, and unfairly so against a server that
 * issues no tickets. --resume gives that variant on purpose: each slot offers its last session.
 *
 * Latency is from connect() to the last byte of the response, so it includes the handshake.
 * Single-threaded epoll; bounded by --duration. Prints key=value lines on stdout for Benchmarks/run.sh.
 *
 * Build: cc -O2 -o tls_newconn tls_newconn.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { IDLE, CONNECTING, HANDSHAKE, WRITING, READING, DRAINING };

struct conn {
    int fd;
    SSL *ssl;
    SSL_SESSION *session; /* only with --resume */
    enum state state;
    uint64_t started_ns;   /* connect() */
    uint64_t deadline_ns;  /* give up on this attempt */
    size_t written;
    size_t have;
    long body_end; /* offset just past the body, -1 until the headers are parsed */
    char buf[16384];
};

static struct {
    const char *host, *port_str, *path, *sni, *cafile;
    int connections;
    double duration;
    int resume;
} opt = {"127.0.0.1", NULL, "/", "localhost", NULL, 16, 10.0, 0};

static SSL_CTX *ctx;
static int ep;
static struct sockaddr_in addr;
static char request[1024];
static size_t request_len;

static uint32_t *latencies_us;
static size_t n_lat, cap_lat;
static uint64_t n_errors, n_resumed, n_status_other, n_connect_errors;
static int first_other_status;
static char last_error[256];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record_latency(uint64_t ns) {
    if (n_lat == cap_lat) {
        cap_lat = cap_lat ? cap_lat * 2 : 65536;
        latencies_us = realloc(latencies_us, cap_lat * sizeof *latencies_us);
        if (!latencies_us) { perror("realloc"); exit(2); }
    }
    uint64_t us = ns / 1000;
    latencies_us[n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void close_conn(struct conn *c) {
    if (c->ssl) { SSL_free(c->ssl); c->ssl = NULL; }
    if (c->fd >= 0) { close(c->fd); c->fd = -1; } /* close() also removes it from the epoll set */
    c->state = IDLE;
}

static void fail(struct conn *c, const char *what) {
    n_errors++;
    unsigned long e = ERR_peek_last_error();
    if (e) {
        char es[160];
        ERR_error_string_n(e, es, sizeof es);
        snprintf(last_error, sizeof last_error, "%s: %s", what, es);
    } else {
        snprintf(last_error, sizeof last_error, "%s: %s", what, errno ? strerror(errno) : "closed");
    }
    ERR_clear_error();
    close_conn(c);
}

static void start(struct conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) { perror("socket"); exit(2); }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->started_ns = now_ns();
    c->deadline_ns = c->started_ns + 10ull * 1000000000u;
    c->written = c->have = 0;
    c->body_end = -1;
    errno = 0;
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        n_connect_errors++;
        fail(c, "connect");
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) { perror("epoll_ctl"); exit(2); }
    c->state = CONNECTING;
}

/* Parses the status line and Content-Length once the header block is complete. */
static int parse_headers(struct conn *c) {
    char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
    if (!end) return c->have < sizeof c->buf - 1 ? 0 : -1;
    size_t header_len = (size_t)(end - c->buf) + 4;
    int status = 0;
    if (c->have < 12 || sscanf(c->buf, "HTTP/1.%*c %d", &status) != 1) return -1;
    if (status != 404) {
        if (!n_status_other) first_other_status = status;
        n_status_other++;
    }
    long length = -1;
    for (char *p = memmem(c->buf, header_len, "\r\n", 2); p && p < end; p = memmem(p + 2, (size_t)(end - p), "\r\n", 2)) {
        if (strncasecmp(p + 2, "content-length:", 15) == 0) length = strtol(p + 17, NULL, 10);
    }
    if (length < 0) return -1; /* the benchmark's 404 always has a length; anything else is a failure */
    c->body_end = (long)header_len + length;
    return 1;
}

static void step(struct conn *c) {
    for (;;) {
        int r, err;
        switch (c->state) {
        case IDLE:
            return;
        case CONNECTING: {
            int so_error = 0;
            socklen_t len = sizeof so_error;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
            if (so_error) { errno = so_error; n_connect_errors++; fail(c, "connect"); return; }
            c->ssl = SSL_new(ctx);
            SSL_set_fd(c->ssl, c->fd);
            SSL_set_tlsext_host_name(c->ssl, opt.sni);
            if (opt.resume && c->session) SSL_set_session(c->ssl, c->session);
            c->state = HANDSHAKE;
            break;
        }
        case HANDSHAKE:
            r = SSL_connect(c->ssl);
            if (r == 1) { c->state = WRITING; break; }
            err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
            fail(c, "handshake");
            return;
        case WRITING:
            r = SSL_write(c->ssl, request + c->written, (int)(request_len - c->written));
            if (r > 0) {
                c->written += (size_t)r;
                if (c->written == request_len) c->state = READING;
                break;
            }
            err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
            fail(c, "write");
            return;
        case READING:
        case DRAINING: {
            char sink[4096];
            char *dst = c->state == READING ? c->buf + c->have : sink;
            int room = c->state == READING ? (int)(sizeof c->buf - 1 - c->have) : (int)sizeof sink;
            if (room == 0) { fail(c, "response too large"); return; }
            r = SSL_read(c->ssl, dst, room);
            if (r > 0) {
                if (c->state == DRAINING) break; /* bytes after the response: ignore */
                c->have += (size_t)r;
                c->buf[c->have] = '\0'; /* room kept for it: sscanf and strtol below need a string */
                if (c->body_end < 0) {
                    int h = parse_headers(c);
                    if (h < 0) { fail(c, "bad response"); return; }
                    if (h == 0) break;
                }
                if ((long)c->have >= c->body_end) {
                    record_latency(now_ns() - c->started_ns);
                    if (SSL_session_reused(c->ssl)) n_resumed++;
                    if (opt.resume) {
                        SSL_SESSION_free(c->session);
                        c->session = SSL_get1_session(c->ssl);
                    }
                    /* The server closes (Connection: close); waiting for that keeps TIME_WAIT on its
                     * side, as with real clients, instead of exhausting our ephemeral ports. */
                    c->state = DRAINING;
                    c->deadline_ns = now_ns() + 1000000000u;
                }
                break;
            }
            err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
            if (c->state == DRAINING) {
                /* A clean end: without this SSL_free would mark the session not resumable. Quiet, because
                 * the server has closed already and a close_notify would only earn a reset. */
                SSL_set_quiet_shutdown(c->ssl, 1);
                SSL_shutdown(c->ssl);
                ERR_clear_error();
                close_conn(c);
                start(c);
                return;
            }
            fail(c, "read before the response was complete");
            return;
        }
        }
    }
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(double p) {
    if (!n_lat) return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n_lat - 1) + 0.5);
    return latencies_us[i] / 1000.0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: tls_newconn --port P [--host 127.0.0.1] [--path /] [--sni localhost]\n"
            "                   [--connections 16] [--duration 10] [--resume] [--cafile CA]\n");
    exit(2);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--resume")) { opt.resume = 1; continue; }
        if (!v) usage();
        if (!strcmp(a, "--host")) opt.host = v;
        else if (!strcmp(a, "--port")) opt.port_str = v;
        else if (!strcmp(a, "--path")) opt.path = v;
        else if (!strcmp(a, "--sni")) opt.sni = v;
        else if (!strcmp(a, "--cafile")) opt.cafile = v;
        else if (!strcmp(a, "--connections")) opt.connections = atoi(v);
        else if (!strcmp(a, "--duration")) opt.duration = atof(v);
        else usage();
        i++;
    }
    if (!opt.port_str || opt.connections < 1 || opt.duration <= 0) usage();

    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(opt.port_str));
    if (inet_pton(AF_INET, opt.host, &addr.sin_addr) != 1) { fprintf(stderr, "bad --host\n"); return 2; }
    request_len = (size_t)snprintf(request, sizeof request,
                                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tls_newconn\r\n"
                                   "Accept: application/json\r\nConnection: close\r\n\r\n",
                                   opt.path, opt.sni);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    if (opt.cafile) {
        if (SSL_CTX_load_verify_locations(ctx, opt.cafile, NULL) != 1) {
            fprintf(stderr, "cannot load %s\n", opt.cafile);
            return 2;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* like wrk and h2load */
    }

    signal(SIGPIPE, SIG_IGN); /* a write to a connection the server reset must fail, not kill us */
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)opt.connections, sizeof *conns);
    if (!conns) { perror("calloc"); return 2; }
    uint64_t t0 = now_ns();
    uint64_t end = t0 + (uint64_t)(opt.duration * 1e9);
    for (int i = 0; i < opt.connections; i++) { conns[i].fd = -1; start(&conns[i]); }

    struct epoll_event events[256];
    uint64_t last_sweep = t0;
    for (;;) {
        uint64_t now = now_ns();
        if (now >= end) break;
        int timeout_ms = (int)((end - now) / 1000000u) + 1;
        if (timeout_ms > 100) timeout_ms = 100;
        int n = epoll_wait(ep, events, 256, timeout_ms);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 2; }
        for (int i = 0; i < n; i++) step(events[i].data.ptr);
        now = now_ns();
        if (now - last_sweep > 100000000u) { /* timeouts, and slots left idle by an error */
            last_sweep = now;
            for (int i = 0; i < opt.connections; i++) {
                struct conn *c = &conns[i];
                if (c->state == IDLE) { start(c); step(c); continue; }
                if (now > c->deadline_ns) {
                    if (c->state == DRAINING) { /* response counted; the server never closed */
                        SSL_set_quiet_shutdown(c->ssl, 1);
                        SSL_shutdown(c->ssl);
                        close_conn(c);
                    }
                    else fail(c, "timeout");
                    start(c);
                }
            }
        }
        /* restart slots that failed during this round right away */
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state == IDLE) { start(c); step(c); }
        }
    }
    double elapsed = (double)(now_ns() - t0) / 1e9;

    qsort(latencies_us, n_lat, sizeof *latencies_us, cmp_u32);
    printf("requests=%zu\n", n_lat);
    printf("duration_s=%.3f\n", elapsed);
    printf("rps=%.1f\n", (double)n_lat / elapsed);
    printf("p50_ms=%.3f\n", percentile_ms(50));
    printf("p90_ms=%.3f\n", percentile_ms(90));
    printf("p99_ms=%.3f\n", percentile_ms(99));
    printf("max_ms=%.3f\n", n_lat ? latencies_us[n_lat - 1] / 1000.0 : 0.0);
    printf("resumed=%llu\n", (unsigned long long)n_resumed);
    printf("errors=%llu\n", (unsigned long long)n_errors);
    printf("connect_errors=%llu\n", (unsigned long long)n_connect_errors);
    printf("non_404=%llu\n", (unsigned long long)n_status_other);
    if (n_status_other) printf("first_non_404_status=%d\n", first_other_status);
    if (n_errors) printf("last_error=%s\n", last_error);
    return n_lat ? 0 : 1;
}
