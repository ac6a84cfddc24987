#ifndef ANSINH_CQRENCODE_SHIM_H
#define ANSINH_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif
