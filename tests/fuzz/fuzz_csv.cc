// libFuzzer: ParseCsv on arbitrary text, with no label column, a label
// column by index, or by name (chosen by the first byte). A matrix it
// returns is consistent, labels included.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "client/loaders/csv_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  metricdb::CsvOptions options;
  const char* labels[] = {"", "0", "1", "label"};
  options.label_column = labels[data[0] % 4];
  auto m = metricdb::ParseCsv(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
                              options);
  if (m.ok()) {
    if (m->values.size() != size_t(m->rows * m->cols)) std::abort();
    if (m->labels && m->labels->size() != size_t(m->rows)) std::abort();
  }
  return 0;
}
