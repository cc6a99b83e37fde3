// LongOperationLimit: at most `max` long operations (learning a metric,
// clustering, building an index, calibrating, activating a metric) run at
// once; one more gets RESOURCE_EXHAUSTED instead of piling up CPU and
// memory.
#ifndef METRICDB_SERVER_LONG_OPERATION_LIMIT_H_
#define METRICDB_SERVER_LONG_OPERATION_LIMIT_H_

#include <grpcpp/support/status.h>

#include <atomic>
#include <string>

namespace metricdb {

class LongOperationLimit {
 public:
  explicit LongOperationLimit(int max) : max_(max) {}

  // Holds one of the slots while it lives (if it got one).
  class Slot {
   public:
    explicit Slot(LongOperationLimit* limit) : limit_(limit) {
      if (limit_->running_.fetch_add(1) >= limit_->max_) {
        limit_->running_.fetch_sub(1);
        limit_ = nullptr;
      }
    }
    ~Slot() {
      if (limit_ != nullptr) limit_->running_.fetch_sub(1);
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

    // OK when a slot was free; else RESOURCE_EXHAUSTED naming the limit.
    grpc::Status status(const char* method) const {
      if (limit_ != nullptr) return grpc::Status::OK;
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          std::string(method) +
                              ": the server runs its maximum of long "
                              "operations (--max-long-operations); retry later");
    }

   private:
    LongOperationLimit* limit_;
  };

 private:
  const int max_;
  std::atomic<int> running_{0};
};

}  // namespace metricdb

#endif  // METRICDB_SERVER_LONG_OPERATION_LIMIT_H_
