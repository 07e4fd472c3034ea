#ifndef SWITCHYARD_COPENSSL_SHIM_H
#define SWITCHYARD_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* OpenSSL spells many setters as macros over SSL_CTX_ctrl; Swift imports none of them.
   Each wrapper below is the macro, nothing more. */

static inline int switchyard_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline int switchyard_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

static inline long switchyard_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline void switchyard_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) {
    SSL_CTX_set_read_ahead(ctx, yes);
}

static inline long switchyard_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

static inline int switchyard_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline long switchyard_SSL_session_reused(SSL *ssl) {
    return SSL_session_reused(ssl);
}

/* Whether the socket under `ssl` was left empty by OpenSSL's last read of it: the read came back
   short of what OpenSSL asked for (with read-ahead it asks for a whole buffer), failed (EAGAIN), or
   found the end. A connection that also has nothing buffered inside OpenSSL (`SSL_has_pending`)
   then has nothing left to read until epoll reports a new edge, so it need not make the read that
   would only say EAGAIN.

   The socket's BIO is the socket BIO with its read wrapped (`switchyard_socket_bio_method`), and the
   answer lives in the BIO's callback argument, which nothing else uses: a BIO without a callback
   never passes it on. (A callback on the socket BIO would tell the same, but OpenSSL calls a BIO's
   callback before and after every operation, some thirty a request, at about a thousand
   instructions a request.) */
static inline int switchyard_socket_bio_read(BIO *bio, char *out, int len) {
    int count = BIO_meth_get_read(BIO_s_socket())(bio, out, len);
    BIO_set_callback_arg(bio, count < len ? (char *)bio : NULL);
    return count;
}

/* OpenSSL asks a record's BIO whether the kernel carries its TLS (`BIO_get_ktls_send`, `_recv`)
   several times a record, some ten times a request, each through the socket BIO's general ctrl at
   about forty instructions. This BIO never carries kernel TLS: it refuses to be switched to it
   (`BIO_CTRL_SET_KTLS`, 72, internal to OpenSSL, which then keeps the records in user space, as it
   does wherever the kernel lacks TLS), so it answers those questions itself. Every other control
   goes to the socket BIO's. */
#define SWITCHYARD_BIO_CTRL_SET_KTLS 72

static inline long switchyard_socket_bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    switch (cmd) {
    case BIO_CTRL_GET_KTLS_SEND:
    case BIO_CTRL_GET_KTLS_RECV:
    case SWITCHYARD_BIO_CTRL_SET_KTLS:
        return 0;
    default:
        return BIO_meth_get_ctrl(BIO_s_socket())(bio, cmd, num, ptr);
    }
}

/* The socket BIO's method with its read and its controls wrapped: made once (`TLSContext`), never
   freed. */
static inline BIO_METHOD *switchyard_socket_bio_method(void) {
    const BIO_METHOD *socket = BIO_s_socket();
    BIO_METHOD *method = BIO_meth_new(BIO_TYPE_SOCKET, "switchyard socket");
    if (method == NULL) return NULL;
    if (!BIO_meth_set_write(method, BIO_meth_get_write(socket))
        || !BIO_meth_set_read(method, switchyard_socket_bio_read)
        || !BIO_meth_set_puts(method, BIO_meth_get_puts(socket))
        || !BIO_meth_set_gets(method, BIO_meth_get_gets(socket))
        || !BIO_meth_set_ctrl(method, switchyard_socket_bio_ctrl)
        || !BIO_meth_set_create(method, BIO_meth_get_create(socket))
        || !BIO_meth_set_destroy(method, BIO_meth_get_destroy(socket))
        || !BIO_meth_set_callback_ctrl(method, BIO_meth_get_callback_ctrl(socket))) {
        BIO_meth_free(method);
        return NULL;
    }
    return method;
}

/* `fd` as `ssl`'s socket for reading and writing, through a BIO of `method`: SSL_set_fd with
   another method. The socket is not closed with the BIO. */
static inline int switchyard_SSL_set_socket(SSL *ssl, int fd, const BIO_METHOD *method) {
    BIO *bio = BIO_new(method);
    if (bio == NULL) return 0;
    BIO_set_fd(bio, fd, BIO_NOCLOSE);
    SSL_set_bio(ssl, bio, bio);
    return 1;
}

static inline int switchyard_SSL_socket_drained(SSL *ssl) {
    return BIO_get_callback_arg(SSL_get_rbio(ssl)) != NULL && SSL_has_pending(ssl) == 0;
}

static const int switchyard_TLS1_2_VERSION = TLS1_2_VERSION;
static const int switchyard_TLS1_3_VERSION = TLS1_3_VERSION;

static const uint64_t switchyard_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t switchyard_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t switchyard_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t switchyard_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;

static const long switchyard_SSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long switchyard_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long switchyard_SSL_SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;
static const long switchyard_SSL_SESS_CACHE_CLIENT = SSL_SESS_CACHE_CLIENT;

#endif
