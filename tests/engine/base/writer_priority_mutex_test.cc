// WriterPriorityMutex: readers share it, a writer excludes everyone, and a
// waiting writer is not starved by a stream of new readers.
#include "engine/base/writer_priority_mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace metricdb {
namespace {

TEST(WriterPriorityMutexTest, ReadersShareAndAWriterExcludes) {
  WriterPriorityMutex mu;
  {
    std::shared_lock<WriterPriorityMutex> a(mu);
    EXPECT_TRUE(mu.try_lock_shared());  // a second reader gets in
    mu.unlock_shared();
    EXPECT_FALSE(mu.try_lock());  // a writer does not
  }
  std::unique_lock<WriterPriorityMutex> w(mu);
  EXPECT_FALSE(mu.try_lock_shared());
}

TEST(WriterPriorityMutexTest, AWaitingWriterIsNotStarvedByNewReaders) {
  WriterPriorityMutex mu;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0};
  // Readers that overlap each other so that the lock is never free of
  // readers: under a reader-preferring lock the writer would wait forever.
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        std::shared_lock<WriterPriorityMutex> lock(mu);
        ++reads;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  while (reads < 100) std::this_thread::yield();
  std::atomic<bool> wrote{false};
  std::thread writer([&] {
    std::unique_lock<WriterPriorityMutex> lock(mu);
    wrote = true;
  });
  // Bounded wait (not a timing assertion): the writer gets the lock while
  // the readers keep trying; give up after a minute rather than hang.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!wrote && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const bool writer_got_in_while_readers_ran = wrote.load();
  stop = true;
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_TRUE(writer_got_in_while_readers_ran);
}

}  // namespace
}  // namespace metricdb
