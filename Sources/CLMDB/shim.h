#ifndef ANSINH_CLMDB_SHIM_H
#define ANSINH_CLMDB_SHIM_H
#include <lmdb.h>
#endif
