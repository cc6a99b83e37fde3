// Collection: the write path (group commit of upserts, deletes).
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"
#include "engine/collection/collection.h"
#include "engine/collection/retention.h"
#include "engine/collection/vector_checks.h"
#include "engine/collection/vector_form.h"

namespace metricdb {

GroupUpsertResult Collection::UpsertGroup(std::vector<std::vector<Record>> batches) {
  GroupUpsertResult out;
  std::vector<std::vector<float>> prepared;
  const int64_t now_ms = NowUnixMs();
  for (auto& batch : batches) {
    prepared.emplace_back();
    absl::Status s = ApplyRetention(schema_, now_ms, &batch);
    if (s.ok()) s = CheckBatch(schema_, limits_, batch, &prepared.back());
    if (!s.ok()) {
      out.error = s;
      prepared.pop_back();
      break;
    }
  }
  if (prepared.empty()) return out;
  const size_t dim = schema_.dim;

  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return {{}, NotFound()};
  // A staged metric's index (PrepareMetric) gets the rows in its own form.
  std::vector<std::vector<float>> staged_rows;
  if (staged_) {
    staged_rows = prepared;
    for (auto& rows : staged_rows) ToIndexForm(schema_, staged_->map.get(), &rows);
  }
  // The rows in index form under the map in force (map_ changes only under
  // write_mu_, which this writer holds); a batch the map sends beyond float
  // range is refused with those after it.
  for (size_t b = 0; b < prepared.size(); ++b) {
    ToIndexForm(schema_, map_.get(), &prepared[b]);
    if (map_ == nullptr) continue;
    if (auto o =
            FirstOverflow(prepared[b].data(), int64_t(batches[b].size()), size_t(map_->d_out))) {
      out.error = absl::InvalidArgumentError(OverflowMessage(
          absl::StrCat("records[", o->row, "].vector"), "the active metric's map", o->norm));
      prepared.resize(b);
      break;
    }
  }
  const size_t valid = prepared.size();
  if (valid == 0) return out;
  // Only writers change the maps, and writers hold write_mu_: reading them
  // here without mu_ is safe. A key written twice in the group is resolved
  // through `group_ids`: the later record replaces the earlier one, which is
  // then never indexed (`superseded`).
  std::vector<UpsertResult> results(valid);
  std::vector<std::vector<int64_t>> new_ids(valid);
  std::vector<int64_t> old_ids;
  std::unordered_map<std::string_view, int64_t> group_ids;
  std::unordered_set<int64_t> superseded;
  size_t total = 0;
  for (size_t b = 0; b < valid; ++b) total += batches[b].size();
  RecordWriteBatch batch = store_->NewBatch(total * (dim * sizeof(float) + 64));
  int64_t next = next_record_id_;
  for (size_t b = 0; b < valid; ++b) {
    new_ids[b].reserve(batches[b].size());
    for (const Record& r : batches[b]) {
      int64_t old = -1;
      if (auto g = group_ids.find(r.key); g != group_ids.end()) {
        old = g->second;
        superseded.insert(old);
      } else if (int64_t id = catalogue_.IdOf(r.key); id >= 0) {
        old = id;
        old_ids.push_back(old);
      }
      if (old >= 0) {
        batch.Delete(id_, old);
        ++results[b].replaced;
      } else {
        ++results[b].inserted;
      }
      group_ids[r.key] = next;
      new_ids[b].push_back(next);
      batch.Put(id_, next, r);
      ++next;
    }
  }
  batch.SetNextRecordId(id_, next);
  if (auto s = store_->Commit(batch); !s.ok()) return {{}, s};
  next_record_id_ = next;
  changes_since_snapshot_ += int64_t(total);
  auto view = store_->TakeReadView();

  const size_t index_dim = map_ ? size_t(map_->d_out) : dim;
  std::unique_lock<WriterPriorityMutex> lock(mu_);
  absl::Status s = index_->Remove(old_ids);
  if (staged_ && s.ok()) s = staged_->index->Remove(old_ids);
  for (int64_t id : old_ids) catalogue_.Remove(id);
  for (size_t b = 0; b < valid; ++b) {
    std::vector<int64_t>& ids = new_ids[b];
    std::vector<float>& rows = prepared[b];
    if (staged_ && s.ok()) s = AddToStaged(ids, superseded, staged_rows[b]);
    if (!superseded.empty()) {  // drop rows replaced later in the group
      size_t kept = 0;
      for (size_t i = 0; i < ids.size(); ++i) {
        if (superseded.count(ids[i])) continue;
        if (kept != i) {
          std::memcpy(rows.data() + kept * index_dim, rows.data() + i * index_dim,
                      index_dim * sizeof(float));
          batches[b][kept] = std::move(batches[b][i]);
        }
        ids[kept++] = ids[i];
      }
      ids.resize(kept);
    }
    if (s.ok()) s = index_->Add(ids, rows.data());
    for (size_t i = 0; i < ids.size(); ++i) {
      Record& r = batches[b][i];
      if (r.expires_unix_ms != 0 && r.expires_unix_ms < next_expiry_ms_.load()) {
        next_expiry_ms_.store(r.expires_unix_ms);
      }
      catalogue_.Add(ids[i], std::move(r.key), r.label, std::move(r.attributes), r.expires_unix_ms);
    }
  }
  read_view_ = std::move(view);
  MaybeScheduleRebuildLocked();
  if (!s.ok()) {
    // The batches are durable; only the derived index failed (out of memory).
    return {{},
            absl::Status(s.code(), absl::StrCat("batch stored but not indexed: ", s.message()))};
  }
  out.results = std::move(results);
  return out;
}

absl::Status Collection::AddToStaged(const std::vector<int64_t>& ids,
                                     const std::unordered_set<int64_t>& superseded,
                                     const std::vector<float>& rows) {
  const size_t d = size_t(staged_->map ? staged_->map->d_out : schema_.dim);
  if (superseded.empty()) return staged_->index->Add(ids, rows.data());
  std::vector<int64_t> kept_ids;
  std::vector<float> kept_rows;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (superseded.count(ids[i])) continue;
    kept_ids.push_back(ids[i]);
    kept_rows.insert(kept_rows.end(), rows.begin() + i * d, rows.begin() + (i + 1) * d);
  }
  return staged_->index->Add(kept_ids, kept_rows.data());
}

absl::StatusOr<int64_t> Collection::Delete(absl::Span<const std::string> keys,
                                           absl::Span<const std::string> labels,
                                           const std::string& filter) {
  if (auto s = CheckDeleteShape(limits_, keys.size(), labels.size(), filter); !s.ok()) return s;
  auto parsed = ParseTypedFilter(filter, schema_.attributes);
  if (!parsed.ok()) return parsed.status();
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  std::unordered_set<int64_t> doomed;
  std::shared_ptr<const IdBitmap> matching;
  if (*parsed) matching = MatchingLocked(filter, **parsed);
  if (keys.empty() && labels.empty()) {
    matching->ForEach([&](int64_t id) { doomed.insert(id); });
  } else {
    for (const std::string& key : keys) {
      if (int64_t id = catalogue_.IdOf(key); id >= 0) doomed.insert(id);
    }
    catalogue_.CollectLabelled(labels, &doomed);
    if (matching) {
      for (auto it = doomed.begin(); it != doomed.end();) {
        it = matching->Allows(*it) ? std::next(it) : doomed.erase(it);
      }
    }
  }
  if (doomed.empty()) return 0;
  return DeleteIdsLocked(std::vector<int64_t>(doomed.begin(), doomed.end()));
}

absl::StatusOr<int64_t> Collection::DeleteIdsLocked(std::vector<int64_t> ids) {
  RecordWriteBatch batch = store_->NewBatch();
  for (int64_t id : ids) batch.Delete(id_, id);
  if (auto s = store_->Commit(batch); !s.ok()) return s;
  changes_since_snapshot_ += int64_t(ids.size());
  auto view = store_->TakeReadView();

  std::unique_lock<WriterPriorityMutex> lock(mu_);
  absl::Status s = index_->Remove(ids);
  if (staged_ && s.ok()) s = staged_->index->Remove(ids);
  for (int64_t id : ids) catalogue_.Remove(id);
  read_view_ = std::move(view);
  MaybeScheduleRebuildLocked();
  if (!s.ok()) return s;
  return int64_t(ids.size());
}

}  // namespace metricdb
