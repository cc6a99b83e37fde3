// Collection: filling an index from the store, opening (an index snapshot
// restored and the store replayed over it, or a rebuild) and saving index
// snapshots.
#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "engine/collection/collection.h"
#include "engine/collection/vector_checks.h"
#include "engine/collection/vector_form.h"
#include "engine/storage/index_snapshot_file.h"
#include "engine/storage/record_codec.h"

namespace metricdb {
namespace {

// Vectors are added to the index in chunks of this many rows when a
// collection is opened, bounding the temporary copy.
constexpr int64_t kLoadChunk = 8192;

}  // namespace

absl::Status Collection::ScanIntoIndex(VectorIndex* index, const LinearMap* map,
                                       const std::function<bool(int64_t)>& include,
                                       const std::function<void(int64_t, Record&&)>& on_record) {
  const size_t dim = schema_.dim;
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  auto flush = [&]() -> absl::Status {
    ToIndexForm(schema_, map, &vectors);
    // Stored vectors were checked raw at upsert; a map can still blow them up.
    if (map != nullptr) {
      if (auto o = FirstOverflow(vectors.data(), int64_t(ids.size()), size_t(map->d_out))) {
        return absl::FailedPreconditionError(OverflowMessage(
            absl::StrCat("record ", ids[size_t(o->row)]), "the metric's map", o->norm));
      }
    }
    absl::Status s = index->Add(ids, vectors.data());
    ids.clear();
    vectors.clear();
    return s;
  };
  absl::Status s = store_->ScanRecords(id_, [&](int64_t id, Record&& rec) {
    if (rec.vector.size() != dim) {
      return absl::DataLossError(
          absl::StrCat("record ", id, " has ", rec.vector.size(), " values"));
    }
    if (include(id)) {
      ids.push_back(id);
      vectors.insert(vectors.end(), rec.vector.begin(), rec.vector.end());
      if (schema_.metric == Metric::kCosine && AllZero(rec.vector)) {
        return absl::DataLossError(
            absl::StrCat("record ", id, ": a zero vector under the cosine metric"));
      }
    }
    on_record(id, std::move(rec));
    if (int64_t(ids.size()) >= kLoadChunk) {
      // A rebuild is cut short here when the collection is dropped or closed.
      if (closing_) return absl::CancelledError("the collection is closing");
      return flush();
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return ids.empty() ? absl::OkStatus() : flush();
}

absl::StatusOr<std::unique_ptr<VectorIndex>> Collection::RestoreSnapshot() const {
  auto snap = ReadSnapshotFile(snapshot_path_);
  if (!snap.ok()) return snap.status();
  const CollectionSchema current = schema();
  if (snap->schema.dim != current.dim || snap->schema.metric != current.metric ||
      EncodeSchema(snap->schema) != EncodeSchema(current)) {
    return absl::FailedPreconditionError("snapshot was taken under another schema or index");
  }
  auto index = MakeVectorIndex(IndexSchema(current.index, map_.get()), Place());
  if (!index.ok()) return index.status();
  if (auto s = (*index)->Deserialize(snap->index_bytes); !s.ok()) return s;
  for (int64_t id : (*index)->Ids()) {
    if (id < 0 || id >= snap->next_record_id) {
      return absl::DataLossError("snapshot holds ids beyond the point it claims to reflect");
    }
  }
  return index;
}

absl::Status Collection::LoadFromStore() {
  const auto start = std::chrono::steady_clock::now();
  auto fresh = MakeVectorIndex(IndexSchema(schema().index, map_.get()), Place());
  if (!fresh.ok()) return fresh.status();
  std::unique_ptr<VectorIndex> index = std::move(*fresh);
  std::unordered_set<int64_t> in_snapshot;
  if (!snapshot_path_.empty()) {
    auto restored = RestoreSnapshot();
    if (restored.ok()) {
      index = std::move(*restored);
      const std::vector<int64_t> ids = index->Ids();
      in_snapshot.insert(ids.begin(), ids.end());
      load_report_.from_snapshot = true;
    } else if (restored.status().code() != absl::StatusCode::kNotFound) {
      load_report_.fallback_reason = std::string(restored.status().message());
      spdlog::warn("collection {}: snapshot unusable ({}); rebuilding the index from the store",
                   schema_.name, load_report_.fallback_reason);
    }
  }

  std::unique_lock<WriterPriorityMutex> lock(mu_);
  auto next = store_->NextRecordId(id_);
  if (!next.ok()) return next.status();
  next_record_id_ = *next;
  // A stored record goes into the index unless the snapshot already has it;
  // what the snapshot has and the store no longer does is removed after.
  auto include = [&](int64_t id) { return !in_snapshot.count(id); };
  absl::Status s = ScanIntoIndex(index.get(), map_.get(), include, [&](int64_t id, Record&& rec) {
    if (id >= next_record_id_) next_record_id_ = id + 1;
    if (in_snapshot.erase(id) == 0 && load_report_.from_snapshot) {
      ++load_report_.replayed_adds;
    }
    catalogue_.Add(id, std::move(rec.key), rec.label, std::move(rec.attributes),
                   rec.expires_unix_ms);
  });
  if (!s.ok()) return s;
  if (!in_snapshot.empty()) {
    const std::vector<int64_t> gone(in_snapshot.begin(), in_snapshot.end());
    if (auto st = index->Remove(gone); !st.ok()) return st;
    load_report_.replayed_removes = int64_t(gone.size());
  }
  index_ = std::move(index);
  last_build_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  read_view_ = store_->TakeReadView();
  next_expiry_ms_.store(catalogue_.NextExpiry());
  changes_since_snapshot_ = load_report_.from_snapshot
                                ? load_report_.replayed_adds + load_report_.replayed_removes
                                : catalogue_.size();
  return absl::OkStatus();
}

absl::Status Collection::SaveSnapshot() {
  if (snapshot_path_.empty()) return absl::OkStatus();
  IndexSnapshot snap;
  {
    std::lock_guard<std::mutex> write_lock(write_mu_);
    if (dropped_ || changes_since_snapshot_ == 0) return absl::OkStatus();
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    snap.schema = schema_;
    snap.schema.index = index_spec_;
    snap.schema.metric_version = metric_version_;
    snap.next_record_id = next_record_id_;
    if (auto s = index_->Serialize(&snap.index_bytes); !s.ok()) return s;
    changes_since_snapshot_ = 0;
  }
  absl::Status s = WriteSnapshotFile(snapshot_path_, snap);
  if (!s.ok()) {
    std::lock_guard<std::mutex> write_lock(write_mu_);
    ++changes_since_snapshot_;  // try again next time
  }
  return s;
}

}  // namespace metricdb
