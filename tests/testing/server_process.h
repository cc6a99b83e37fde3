// Runs the real metricdb-server binary as a child process on 127.0.0.1 with
// a free port, so tests can talk to it over gRPC, kill -9 it and restart it.
#ifndef METRICDB_TESTS_TESTING_SERVER_PROCESS_H_
#define METRICDB_TESTS_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace metricdb::testing {

// Forks and execs args[0] with `args`, its stdout and stderr appended to
// `log_file`; returns the child's pid (-1 if fork failed).
pid_t SpawnLogged(std::vector<std::string> args, const std::string& log_file);

// Path of the server binary: $METRICDB_SERVER_BIN when set (benchmarks run a
// copy so that rebuilding does not change it mid-run), else the one CMake built.
const char* ServerBinary();

class ServerProcess {
 public:
  // `data_dir` is the store; `extra_args` are appended to the command line,
  // and --no-auth too unless they hold --auth-tokens.
  explicit ServerProcess(std::string data_dir, std::vector<std::string> extra_args = {});
  ~ServerProcess();  // kills the server if it still runs
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (up to `timeout`) until it serves.
  absl::Status Start(std::chrono::seconds timeout = std::chrono::seconds(60));
  // SIGKILL: no chance to flush or close anything.
  void Kill();
  // SIGTERM and wait; returns the exit status (0 on a clean shutdown).
  int Stop();
  // How the server last ended by itself or by Stop(): its exit code, or 128 +
  // the signal that killed it; -1 before that.
  int exit_status() const { return exit_status_; }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Text the server wrote to stdout/stderr so far.
  std::string Log() const;

 private:
  const std::string data_dir_;
  const std::vector<std::string> extra_args_;
  const std::string port_file_;
  const std::string log_file_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
};

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_SERVER_PROCESS_H_
