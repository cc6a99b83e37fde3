// SearchPool: a fixed set of threads that run the searches too long to run
// on gRPC's callback threads (which are few, and shared by every callback
// RPC: a batch of thousands of queries there would stall the quick ones).
// The queue is bounded; Submit refuses work beyond it so that the caller can
// answer RESOURCE_EXHAUSTED instead of letting memory grow.
#ifndef METRICDB_SERVER_SEARCH_POOL_H_
#define METRICDB_SERVER_SEARCH_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace metricdb {

struct SearchPoolOptions {
  // Searches running at once. More than the cores on purpose: the OS then
  // time-slices a short search beside long ones instead of queueing it
  // behind them (measured: with 2 threads, single queries waited up to 4 s
  // behind six 3,000-query batches; with 16, as long as with the
  // synchronous server).
  int threads = 16;
  size_t max_queued = 1024;  // waiting (not running) searches
};

class SearchPool {
 public:
  explicit SearchPool(const SearchPoolOptions& options = {});
  // Runs what is queued, then joins the threads.
  ~SearchPool();
  SearchPool(const SearchPool&) = delete;
  SearchPool& operator=(const SearchPool&) = delete;

  // Queues `work`; false (and `work` dropped) when max_queued are waiting.
  bool Submit(std::function<void()> work);

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace metricdb

#endif  // METRICDB_SERVER_SEARCH_POOL_H_
