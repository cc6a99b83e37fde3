#include "common/process_setup.h"

#include <unistd.h>

#include <cstdlib>

namespace metricdb {

void ReexecWithTunedEnvironment(char** argv) {
  if (std::getenv("METRICDB_NO_REEXEC")) return;
  bool changed = false;
  auto set_default = [&](const char* name, const char* value) {
    if (std::getenv(name) == nullptr) {
      setenv(name, value, 1);
      changed = true;
    }
  };
  set_default("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1");
  set_default("OMP_WAIT_POLICY", "PASSIVE");
  if (!changed) return;
  // The child finds every variable set and does not re-execute again.
  execv("/proc/self/exe", argv);
}

}  // namespace metricdb
