#ifndef V2V_CHIVEX_SHIM_H
#define V2V_CHIVEX_SHIM_H
#include <hivex.h>
#endif
