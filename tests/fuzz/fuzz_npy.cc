// libFuzzer: ParseNpy on arbitrary bytes returns a matrix or an error,
// never a crash, and a matrix it returns is consistent.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "client/loaders/npy_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = metricdb::ParseNpy(std::string_view(reinterpret_cast<const char*>(data), size));
  if (m.ok() && m->values.size() != size_t(m->rows * m->cols)) std::abort();
  return 0;
}
