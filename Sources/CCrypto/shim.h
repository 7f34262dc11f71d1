#ifndef V2V_CCRYPTO_SHIM_H
#define V2V_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto, for SHA-256 digests of what the physical writer (V2P) puts on a target.
   Swift calls the EVP functions directly; nothing here needs a helper. */
#include <openssl/evp.h>

#endif
