#include "server/upsert_stream_reactor.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "proto/convert/proto_convert.h"
#include "server/status_util.h"

namespace metricdb {

UpsertStreamReactor::UpsertStreamReactor(CollectionDirectory* collections, CollectionCheck check)
    : collections_(collections), check_(std::move(check)) {
  std::lock_guard<std::mutex> lock(mu_);
  StartReadLocked();
  worker_ = std::thread([this] { Work(); });
}

void UpsertStreamReactor::StartReadLocked() {
  if (reading_ || reads_done_ || worker_done_ || queued_.size() >= kMaxQueued) return;
  reading_ = true;
  StartRead(&incoming_);
}

void UpsertStreamReactor::OnReadDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  reading_ = false;
  if (!ok) {
    reads_done_ = true;
  } else {
    queued_.push_back(std::move(incoming_));
    incoming_.Clear();
    StartReadLocked();
  }
  wake_.notify_all();
}

void UpsertStreamReactor::Work() {
  for (;;) {
    std::vector<v1::UpsertRequest> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return cancelled_ || reads_done_ || !queued_.empty(); });
      if (cancelled_ || queued_.empty()) {
        // Cancelled, or the client closed its side and everything is done.
        final_status_ =
            cancelled_ ? absl::CancelledError("upsert stream cancelled") : absl::OkStatus();
        worker_done_ = true;
        MaybeFinishLocked();
        return;
      }
      // One group: the queued batches of the first batch's collection.
      const std::string& collection = queued_.front().collection();
      while (!queued_.empty() && queued_.front().collection() == collection) {
        group.push_back(std::move(queued_.front()));
        queued_.pop_front();
      }
      StartReadLocked();  // reading resumes while the group is written
    }

    GroupUpsertResult result;
    const absl::Status allowed = check_ ? check_(group.front().collection()) : absl::OkStatus();
    auto collection = allowed.ok() ? collections_->GetCollection(group.front().collection())
                                   : absl::StatusOr<std::shared_ptr<CollectionHandle>>(allowed);
    if (!collection.ok()) {
      result.error = collection.status();
    } else {
      std::vector<std::vector<Record>> batches(group.size());
      for (size_t b = 0; b < group.size(); ++b) {
        batches[b].reserve(group[b].records_size());
        for (const v1::Record& r : group[b].records()) batches[b].push_back(FromProto(r));
      }
      group.clear();  // the protos are no longer needed
      result = (*collection)->UpsertGroup(std::move(batches));
    }

    std::lock_guard<std::mutex> lock(mu_);
    for (const UpsertResult& r : result.results) {
      v1::UpsertResponse ack;
      ack.set_inserted(r.inserted);
      ack.set_replaced(r.replaced);
      ack.set_batch(next_batch_++);
      acks_.push_back(std::move(ack));
    }
    StartNextWriteLocked();
    if (!result.error.ok()) {
      const absl::Status& s = result.error;
      if (s.code() != absl::StatusCode::kInvalidArgument &&
          s.code() != absl::StatusCode::kNotFound &&
          s.code() != absl::StatusCode::kPermissionDenied) {
        spdlog::error("Upsert -> {}: {}", absl::StatusCodeToString(s.code()),
                      std::string(s.message()));
      }
      final_status_ = absl::Status(
          s.code(), absl::StrCat("batch ", next_batch_, ": ", s.message(),
                                 next_batch_ > 0 ? absl::StrCat(" (the ", next_batch_,
                                                                " batches before it are stored)")
                                                 : std::string()));
      worker_done_ = true;
      MaybeFinishLocked();
      return;
    }
  }
}

void UpsertStreamReactor::StartNextWriteLocked() {
  if (writing_ || acks_.empty()) return;
  writing_ = true;
  StartWrite(&acks_.front());
}

void UpsertStreamReactor::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  writing_ = false;
  acks_.pop_front();
  if (!ok) {  // the client is gone: stop taking batches
    cancelled_ = true;
    acks_.clear();
    wake_.notify_all();
  }
  StartNextWriteLocked();
  MaybeFinishLocked();
}

void UpsertStreamReactor::OnCancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  wake_.notify_all();
}

void UpsertStreamReactor::MaybeFinishLocked() {
  if (!worker_done_ || writing_ || !acks_.empty() || finished_) return;
  finished_ = true;
  Finish(ToGrpcStatus(final_status_));
}

void UpsertStreamReactor::OnDone() {
  worker_.join();
  delete this;
}

}  // namespace metricdb
