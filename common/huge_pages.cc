#include "common/huge_pages.h"

#include <unistd.h>

#include <cstdlib>

namespace metricdb {

void ReexecWithHugePages(char** argv) {
  if (std::getenv("METRICDB_NO_HUGEPAGES") || std::getenv("GLIBC_TUNABLES")) return;
  setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
  execv("/proc/self/exe", argv);
  unsetenv("GLIBC_TUNABLES");
}

}  // namespace metricdb
