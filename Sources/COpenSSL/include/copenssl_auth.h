#ifndef RALLY_COPENSSL_AUTH_H
#define RALLY_COPENSSL_AUTH_H

// OpenSSL pieces that the Auth module (JWT verification) uses beyond copenssl.h.
#include <openssl/opensslv.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#endif
