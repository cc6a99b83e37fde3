// A throwaway etcd (Debian's etcd-server) for tests: a child process on free
// loopback ports with its data in `data_dir`; never the system's etcd.
#ifndef METRICDB_TESTS_TESTING_ETCD_PROCESS_H_
#define METRICDB_TESTS_TESTING_ETCD_PROCESS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace metricdb::testing {

// A port that was free a moment ago on 127.0.0.1.
int FreePort();

class EtcdProcess {
 public:
  explicit EtcdProcess(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  ~EtcdProcess();  // kills etcd if it still runs
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  // Starts etcd and waits until its client port accepts connections.
  absl::Status Start();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(client_port_); }

 private:
  const std::string data_dir_;
  pid_t pid_ = -1;
  int client_port_ = 0;
};

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_ETCD_PROCESS_H_
