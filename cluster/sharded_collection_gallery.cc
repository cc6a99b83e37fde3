// ShardedCollection: identities and records across shards — Scan and
// ListLabels merge the shards' pages in key / label order, Relabel runs on
// every shard.
#include <algorithm>
#include <map>

#include "cluster/sharded_collection.h"
#include "engine/base/attribute_types.h"
#include "engine/collection/vector_form.h"

namespace metricdb {

absl::StatusOr<RecordPage> ShardedCollection::Scan(const RecordSelection& which,
                                                   const std::string& after, int64_t limit,
                                                   bool include_vectors) const {
  if (auto s = CheckPageSize(limit, "limit"); !s.ok()) return s;
  if (auto parsed = ParseTypedFilter(which.filter, record_.schema.attributes); !parsed.ok())
    return parsed.status();
  // Each shard's first `limit` records after the cursor hold the merged
  // first `limit`: a key is on one shard only.
  std::vector<RecordPage> parts(shards_.size());
  absl::Status s = ForEachShard(AllShards(), [&](int32_t i, Shard& shard) -> absl::Status {
    auto page = shard.Scan(which, after, limit, include_vectors);
    if (!page.ok()) return page.status();
    parts[i] = std::move(*page);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  RecordPage out;
  for (RecordPage& part : parts) {
    out.more |= part.more;
    for (Record& r : part.records) out.records.push_back(std::move(r));
  }
  std::sort(out.records.begin(), out.records.end(),
            [](const Record& a, const Record& b) { return a.key < b.key; });
  if (int64_t(out.records.size()) > limit) {
    out.records.resize(limit);
    out.more = true;
  }
  if (!out.records.empty()) out.next = out.records.back().key;
  return out;
}

absl::StatusOr<LabelPage> ShardedCollection::ListLabels(const std::string& filter,
                                                        const std::string& after,
                                                        int64_t limit) const {
  if (auto s = CheckPageSize(limit, "limit"); !s.ok()) return s;
  if (auto parsed = ParseTypedFilter(filter, record_.schema.attributes); !parsed.ok())
    return parsed.status();
  std::vector<LabelPage> parts(shards_.size());
  absl::Status s = ForEachShard(AllShards(), [&](int32_t i, Shard& shard) -> absl::Status {
    auto page = shard.ListLabels(filter, after, limit);
    if (!page.ok()) return page.status();
    parts[i] = std::move(*page);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  // A label among the first `limit` overall is among the first `limit` of
  // every shard that holds it (its predecessors there are predecessors
  // overall), so its counts below are complete.
  std::map<std::string, int64_t> merged;
  bool more = false;
  for (const LabelPage& part : parts) {
    more |= part.more;
    for (const LabelCount& l : part.labels) merged[l.label] += l.records;
  }
  LabelPage out;
  for (auto& [label, n] : merged) {
    if (int64_t(out.labels.size()) == limit) {
      more = true;
      break;
    }
    out.labels.push_back({label, n});
  }
  out.more = more;
  if (!out.labels.empty()) out.next = out.labels.back().label;
  return out;
}

absl::StatusOr<int64_t> ShardedCollection::Relabel(absl::Span<const std::string> from,
                                                   const std::string& to) {
  if (auto s = CheckRelabel(limits_, from, to); !s.ok()) return s;
  return SumOverShards(AllShards(), [&](int32_t, Shard& shard) { return shard.Relabel(from, to); });
}

}  // namespace metricdb
