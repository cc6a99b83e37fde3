// Fields of /proc/PID/stat (proc(5)): what tests and benchmarks read of a
// process they run, e.g. its page faults or CPU time.
#ifndef METRICDB_TESTS_TESTING_PROC_STAT_H_
#define METRICDB_TESTS_TESTING_PROC_STAT_H_

#include <sys/types.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace metricdb::testing {

// Field `number` (1-based, as proc(5) numbers them; 3 or above: the fields
// after the command name, which may hold spaces) of /proc/PID/stat, or -1.
// 10 minflt, 14 utime and 15 stime (clock ticks).
inline long long ProcStatField(pid_t pid, int number) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos || number < 3) return -1;
  std::istringstream fields(stat.substr(name_end + 1));
  long long value = -1;
  std::string skipped;
  for (int i = 3; i < number; ++i) {
    if (!(fields >> skipped)) return -1;
  }
  if (!(fields >> value)) return -1;
  return value;
}

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_PROC_STAT_H_
