#include "copenssl.h"
#include <string.h>

int copenssl_ctx_restrict_versions(SSL_CTX *ctx) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return 0;
    return SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
}

void copenssl_ctx_configure_server(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
                             | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
}

size_t copenssl_bio_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}

void copenssl_take_error(char *buffer, size_t length) {
    unsigned long code = ERR_get_error();
    if (buffer == NULL || length == 0) { ERR_clear_error(); return; }
    buffer[0] = 0;
    if (code != 0) ERR_error_string_n(code, buffer, length);
    ERR_clear_error();
}
