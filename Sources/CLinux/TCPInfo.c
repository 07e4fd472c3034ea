/* Its own file: the kernel's <linux/tcp.h> has the fields of struct tcp_info that glibc's
   <netinet/tcp.h> (CLinux.c) lacks, and the two headers cannot share a translation unit. */
#include "CLinux.h"
#include <stddef.h>
#include <netinet/in.h>
#include <linux/tcp.h>

int switchyard_tcp_bytes_acked(int fd, uint64_t *acked) {
    struct tcp_info info;
    socklen_t length = sizeof(info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return -1;
    /* Linux before 4.1 fills less of the struct. */
    if (length < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(info.tcpi_bytes_acked)) return -1;
    *acked = info.tcpi_bytes_acked;
    return 0;
}
