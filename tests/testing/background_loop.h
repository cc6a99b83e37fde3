// BackgroundLoop: runs `step` on a thread of its own, again and again, until
// it is destroyed or `step` returns false (a failed check: the step reports
// it with ADD_FAILURE or EXPECT_*, then stops the loop). Tests use it for the
// reader that runs beside a writer.
#ifndef METRICDB_TESTS_TESTING_BACKGROUND_LOOP_H_
#define METRICDB_TESTS_TESTING_BACKGROUND_LOOP_H_

#include <atomic>
#include <functional>
#include <thread>

namespace metricdb::testing {

class BackgroundLoop {
 public:
  explicit BackgroundLoop(std::function<bool()> step)
      : thread_([this, step = std::move(step)] {
          while (!stop_ && step()) ++rounds_;
          ended_ = true;
        }) {}
  ~BackgroundLoop() { Stop(); }

  // Waits until `step` has succeeded `n` times; false if the loop ended first.
  bool WaitFor(int n) const {
    while (rounds_ < n) {
      if (ended_) return false;
      std::this_thread::yield();
    }
    return true;
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int rounds() const { return rounds_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> ended_{false};
  std::atomic<int> rounds_{0};
  std::thread thread_;  // last: starts once the flags exist
};

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_BACKGROUND_LOOP_H_
