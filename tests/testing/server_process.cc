#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace metricdb::testing {

pid_t SpawnLogged(std::vector<std::string> args, const std::string& log_file) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

const char* ServerBinary() {
  const char* env = std::getenv("METRICDB_SERVER_BIN");
  return env != nullptr && *env != '\0' ? env : METRICDB_SERVER_BIN;
}

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)),
      extra_args_(std::move(extra_args)),
      port_file_(data_dir_ + ".port"),
      log_file_(data_dir_ + ".log") {}

ServerProcess::~ServerProcess() {
  if (running()) Kill();
}

absl::Status ServerProcess::Start(std::chrono::seconds timeout) {
  if (running()) return absl::FailedPreconditionError("server already running");
  unlink(port_file_.c_str());
  std::vector<std::string> args = {ServerBinary(), "--listen",    "127.0.0.1:0", "--data-dir",
                                   data_dir_,      "--port-file", port_file_};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  // Tests run without authentication unless they give a token file.
  if (std::find(args.begin(), args.end(), "--auth-tokens") == args.end()) {
    args.push_back("--no-auth");
  }
  const pid_t pid = SpawnLogged(std::move(args), log_file_);
  if (pid < 0) return absl::InternalError("fork failed");
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file_);
    if (in >> port_ && port_ > 0) return absl::OkStatus();
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return absl::InternalError("server exited during start (status " +
                                 std::to_string(exit_status_) + "):\n" + Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return absl::DeadlineExceededError("server did not start:\n" + Log());
}

void ServerProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int ServerProcess::Stop() {
  if (!running()) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_status_;
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace metricdb::testing
