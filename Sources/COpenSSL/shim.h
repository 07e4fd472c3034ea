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
   would only say EAGAIN. The answer lives in the socket BIO's callback argument, set by the
   callback below after every read: the BIO carries it, so it costs no allocation. */
static inline long switchyard_bio_note_read(BIO *bio, int oper, const char *argp, size_t len, int argi,
                                            long argl, int ret, size_t *processed) {
    (void)argp; (void)argi; (void)argl;
    if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
        int drained = ret <= 0 || processed == NULL || *processed < len;
        BIO_set_callback_arg(bio, drained ? (char *)bio : NULL);
    }
    return ret;
}

static inline void switchyard_SSL_note_socket_reads(SSL *ssl) {
    BIO *bio = SSL_get_rbio(ssl);
    BIO_set_callback_arg(bio, NULL);
    BIO_set_callback_ex(bio, switchyard_bio_note_read);
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
static const long switchyard_SSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
static const long switchyard_SSL_SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;
static const long switchyard_SSL_SESS_CACHE_CLIENT = SSL_SESS_CACHE_CLIENT;

#endif
