#ifndef ANSINH_CXLSXWRITER_SHIM_H
#define ANSINH_CXLSXWRITER_SHIM_H
#include <xlsxwriter.h>
#endif
