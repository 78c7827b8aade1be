#include "copenssl_auth.h"

// The Auth module calls no OpenSSL macro, so this file has no shim functions (yet). It pins the
// OpenSSL version instead: EVP_PKEY_get_base_id, EVP_PKEY_get_bits and EVP_PKEY_get_group_name
// are functions only since OpenSSL 3.0 (they were macros or absent before, and Swift would fail
// with a far less clear error).
_Static_assert(OPENSSL_VERSION_MAJOR >= 3, "Rally's Auth module needs OpenSSL 3.0 or later");
