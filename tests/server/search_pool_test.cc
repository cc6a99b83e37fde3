// SearchPool: work runs on the pool's threads, the queue is bounded (Submit
// refuses beyond it), and destruction runs what was queued before joining.
#include "server/search_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace metricdb {
namespace {

TEST(SearchPoolTest, RunsWorkOnItsThreadsAndRefusesBeyondTheQueue) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int started = 0;
  std::atomic<int> done{0};
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> ran_on_caller{false};
  {
    SearchPool pool({/*threads=*/2, /*max_queued=*/3});
    auto blocking = [&] {
      ran_on_caller = ran_on_caller || std::this_thread::get_id() == caller;
      std::unique_lock<std::mutex> lock(mu);
      ++started;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      ++done;
    };
    // Two run (one per thread) and block; three wait in the queue; the
    // sixth is refused.
    ASSERT_TRUE(pool.Submit(blocking));
    ASSERT_TRUE(pool.Submit(blocking));
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return started == 2; });
    }
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.Submit([&] { ++done; }));
    EXPECT_FALSE(pool.Submit([&] { ++done; }));
    {
      std::lock_guard<std::mutex> lock(mu);
      release = true;
    }
    cv.notify_all();
  }  // the destructor runs the queued work, then joins
  EXPECT_EQ(done, 5);
  EXPECT_FALSE(ran_on_caller);
}

}  // namespace
}  // namespace metricdb
