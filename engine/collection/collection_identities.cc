// Collection: identities and records — paging through records (Scan),
// listing identities (ListLabels), and renaming or merging identities
// (Relabel).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"
#include "engine/collection/collection.h"
#include "engine/collection/vector_form.h"

namespace metricdb {

absl::StatusOr<RecordPage> Collection::Scan(const RecordSelection& which, const std::string& after,
                                            int64_t limit, bool include_vectors) const {
  if (auto s = ExpireDue(); !s.ok()) return s;
  if (auto s = CheckPageSize(limit, "limit"); !s.ok()) return s;
  auto filter = ParseTypedFilter(which.filter, schema_.attributes);
  if (!filter.ok()) return filter.status();
  RecordPage page;
  std::vector<int64_t> ids;
  std::shared_ptr<const StoreReadView> view;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    std::shared_ptr<const IdBitmap> matching;
    if (*filter) matching = MatchingLocked(which.filter, **filter);
    const auto selected = catalogue_.Selecting(which.scope, which.labels, matching.get());
    ids = catalogue_.PageByKey(after, limit, selected, &page.more);
    view = read_view_;  // holds exactly the catalogued records
  }
  auto stored = store_->GetRecords(id_, ids, view.get());
  if (!stored.ok()) return stored.status();
  for (auto& rec : *stored) {
    if (!rec) return absl::InternalError("catalogued record missing from store");
    if (!include_vectors) rec->vector.clear();
    page.records.push_back(std::move(*rec));
  }
  if (!page.records.empty()) page.next = page.records.back().key;
  return page;
}

absl::StatusOr<LabelPage> Collection::ListLabels(const std::string& filter,
                                                 const std::string& after, int64_t limit) const {
  if (auto s = ExpireDue(); !s.ok()) return s;
  if (auto s = CheckPageSize(limit, "limit"); !s.ok()) return s;
  auto parsed = ParseTypedFilter(filter, schema_.attributes);
  if (!parsed.ok()) return parsed.status();
  LabelPage page;
  std::vector<std::pair<std::string, int64_t>> counts;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    if (*parsed) {
      const auto matching = MatchingLocked(filter, **parsed);
      const auto selected = catalogue_.Selecting(LabelScope::kLabelled, {}, matching.get());
      counts = catalogue_.LabelCounts(after, limit, &selected, &page.more);
    } else {
      counts = catalogue_.LabelCounts(after, limit, nullptr, &page.more);
    }
  }
  for (auto& [label, n] : counts) page.labels.push_back({std::move(label), n});
  if (!page.labels.empty()) page.next = page.labels.back().label;
  return page;
}

absl::StatusOr<int64_t> Collection::Relabel(absl::Span<const std::string> from,
                                            const std::string& to) {
  if (auto s = ExpireDue(); !s.ok()) return s;
  if (auto s = CheckRelabel(limits_, from, to); !s.ok()) return s;
  std::vector<std::string> sources;
  for (const std::string& label : from) {
    if (label != to) sources.push_back(label);  // records of `to` keep it
  }
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  // Only writers change the catalogue, and this one holds write_mu_.
  std::unordered_set<int64_t> chosen;
  catalogue_.CollectLabelled(sources, &chosen);
  if (chosen.empty()) return 0;
  std::vector<int64_t> ids(chosen.begin(), chosen.end());
  std::sort(ids.begin(), ids.end());
  auto stored = store_->GetRecords(id_, ids, read_view_.get());
  if (!stored.ok()) return stored.status();
  RecordWriteBatch batch = store_->NewBatch();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!(*stored)[i]) return absl::InternalError("catalogued record missing from store");
    Record& r = *(*stored)[i];
    r.label = to;
    batch.Put(id_, ids[i], r);
  }
  if (auto s = store_->Commit(batch); !s.ok()) return s;
  auto view = store_->TakeReadView();

  std::unique_lock<WriterPriorityMutex> lock(mu_);
  for (int64_t id : ids) catalogue_.Relabel(id, to);
  read_view_ = std::move(view);
  return int64_t(ids.size());
}

}  // namespace metricdb
