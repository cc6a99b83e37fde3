// The byte kernels of CodeKernels (code_kernels.h) for AVX-512 VNNI; the
// caller checks that the CPU has it. Internal to engine/index.
#ifndef METRICDB_ENGINE_INDEX_CODE_KERNELS_VNNI_H_
#define METRICDB_ENGINE_INDEX_CODE_KERNELS_VNNI_H_

#include <cstddef>
#include <cstdint>

#include "engine/index/code_kernels.h"

namespace metricdb {

int64_t L2Sq8Vnni(const ByteQuery& q, const uint8_t* code, size_t dim);
int64_t L2Sq4Vnni(const ByteQuery& q, const uint8_t* code, size_t dim);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_CODE_KERNELS_VNNI_H_
