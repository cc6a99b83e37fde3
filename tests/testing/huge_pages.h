// Transparent huge pages as this process has them: the kernel's mode and the
// huge-page memory of an address range (from /proc/self/smaps).
#ifndef METRICDB_TESTS_TESTING_HUGE_PAGES_H_
#define METRICDB_TESTS_TESTING_HUGE_PAGES_H_

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace metricdb::testing {

// KiB of AnonHugePages in the mappings of this process that overlap
// [begin, begin + bytes) (madvise splits a block into several).
inline long HugeKiBIn(const void* begin, size_t bytes) {
  std::ifstream smaps("/proc/self/smaps");
  const auto lo = reinterpret_cast<uintptr_t>(begin), hi = lo + bytes;
  bool overlaps = false;
  long kib = 0;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t first = 0, last = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> first >> dash >> last && dash == '-') {
      overlaps = first < hi && lo < last;
    } else if (overlaps && line.rfind("AnonHugePages:", 0) == 0) {
      kib += std::stol(line.substr(14));
    }
  }
  return kib;
}

// The kernel's THP mode, e.g. "madvise" (the bracketed word of the sysfs file).
inline std::string ThpMode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t open = all.find('['), close = all.find(']');
  return open == std::string::npos ? "" : all.substr(open + 1, close - open - 1);
}

// Whether this kernel backs at least madvise()d memory with huge pages.
inline bool ThpAvailable() {
  const std::string mode = ThpMode();
  return mode == "always" || mode == "madvise";
}

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_HUGE_PAGES_H_
