#ifndef RALLY_COPENSSL_H
#define RALLY_COPENSSL_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/pem.h>

// OpenSSL spells these as function-like macros, which Swift cannot call.

/// TLS 1.2 and TLS 1.3 only.
int copenssl_ctx_restrict_versions(SSL_CTX *ctx);
/// Partial writes allowed, buffers released while idle, no renegotiation, server cipher order.
void copenssl_ctx_configure_server(SSL_CTX *ctx);
/// Bytes waiting to be read from a memory BIO.
size_t copenssl_bio_pending(BIO *bio);
/// The error queue's oldest error as text ("" if none); clears the queue.
void copenssl_take_error(char *buffer, size_t length);

#endif
