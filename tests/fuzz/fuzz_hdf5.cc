// libFuzzer: ReadHdf5 on an arbitrary file (written to a temporary path, as
// the loader reads files) returns a matrix or an error, never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "client/loaders/hdf5_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/metricdb-fuzz-" + std::to_string(getpid()) + ".hdf5";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto m = metricdb::ReadHdf5(path, "train");
  if (m.ok() && m->values.size() != size_t(m->rows * m->cols)) std::abort();
  return 0;
}
