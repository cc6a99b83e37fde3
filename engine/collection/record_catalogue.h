// RecordCatalogue: the in-memory key and label catalogue of one collection —
// record id -> (key, label, attributes), key -> record id, label -> number
// and size, and the attribute postings a filter is answered from. It is
// rebuilt from the store when a collection opens (the store keeps no second
// copy of it) and changed with every applied write.
//
// Not thread-safe: the owning Collection guards it with its lock (writers
// exclusive, readers shared).
#ifndef METRICDB_ENGINE_COLLECTION_RECORD_CATALOGUE_H_
#define METRICDB_ENGINE_COLLECTION_RECORD_CATALOGUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/types/span.h"
#include "engine/base/filter_expression.h"
#include "engine/base/search_types.h"
#include "engine/collection/attribute_postings.h"
#include "engine/index/vector_index.h"

namespace metricdb {

class RecordCatalogue {
 public:
  struct Entry {
    std::string key;
    int32_t label = -1;  // a label number (LabelName), -1 when unlabelled
    std::map<std::string, std::string> attributes;
    int64_t expires_unix_ms = 0;  // 0: never
  };

  // Adds record `id`; the key must not be catalogued already.
  void Add(int64_t id, std::string key, const std::optional<std::string>& label,
           std::map<std::string, std::string> attributes = {}, int64_t expires_unix_ms = 0);
  // Removes record `id`; an unknown id is ignored.
  void Remove(int64_t id);
  // Forgets every record and label.
  void Clear() {
    const uint64_t version = version_;
    *this = RecordCatalogue();
    version_ = version + 1;
  }
  // Changes with every Add, Remove, Relabel and Clear (FilterCache).
  uint64_t version() const { return version_; }

  // The id of `key`, or -1.
  int64_t IdOf(const std::string& key) const;
  // The entry of a catalogued id (which must exist).
  const Entry& At(int64_t id) const { return entries_.at(id); }
  const std::string& LabelName(int32_t label) const { return label_names_[label]; }

  // Adds to `out` the ids of every record whose label is one of `labels`.
  void CollectLabelled(absl::Span<const std::string> labels,
                       std::unordered_set<int64_t>* out) const;
  // The ids in `scope` (with one of `labels`, if any are given), unordered.
  std::vector<int64_t> Select(LabelScope scope, absl::Span<const std::string> labels) const;

  // The filter a search in `scope` with `labels` needs. Sets *empty (and
  // returns null) when no record can match; returns null with *empty false
  // when every record matches. The filter reads this catalogue: use it only
  // while the catalogue is guarded against writers.
  std::unique_ptr<IdFilter> SearchFilter(LabelScope scope, absl::Span<const std::string> labels,
                                         bool* empty) const;

  // The catalogued ids a filter (filter_expression.h) selects.
  IdBitmap Matching(const FilterNode& filter) const;

  // Whether a catalogued id is in `scope`, carries one of `labels` (if any
  // are given) and is in `matching` (if not null). The predicate reads this
  // catalogue and `matching`: use it while both live and are unchanged.
  using Selector = std::function<bool(int64_t)>;
  Selector Selecting(LabelScope scope, absl::Span<const std::string> labels,
                     const IdBitmap* matching) const;

  // Up to `limit` ids that `selected` admits, of the records whose keys
  // follow `after` (all keys when empty), in key order; *more tells whether
  // an admitted record follows the last one.
  std::vector<int64_t> PageByKey(const std::string& after, int64_t limit, const Selector& selected,
                                 bool* more) const;

  // Labels after `after` (by bytes) with the number of their records that
  // `selected` admits (every record when null), the first `limit` of those
  // with one or more, in label order; *more tells whether others follow.
  std::vector<std::pair<std::string, int64_t>> LabelCounts(const std::string& after, int64_t limit,
                                                           const Selector* selected,
                                                           bool* more) const;

  // Gives record `id` the label `label` (its key and attributes kept).
  void Relabel(int64_t id, const std::string& label);

  // Retention: the ids of the records that expire at or before `now_ms`,
  // and the earliest expiry of any record (INT64_MAX when none expires).
  std::vector<int64_t> ExpiredBy(int64_t now_ms) const;
  int64_t NextExpiry() const;

  int64_t size() const { return int64_t(entries_.size()); }
  int64_t label_count() const { return label_count_; }  // labels with a record

 private:
  class Filter;
  // Label numbers of `labels` that exist, as a mask over label numbers;
  // false when none does.
  bool LabelMask(absl::Span<const std::string> labels, std::vector<bool>* mask) const;

  // Adds to `out` the ids one comparison (kCompare, kIn) selects.
  void CollectLeaf(const FilterNode& leaf, IdBitmap* out) const;

  absl::btree_map<std::string, int64_t> key_ids_;  // in key order, for paging
  AttributePostings postings_;                     // attributes, and labels under kLabelField
  IdBitmap live_;                                  // every catalogued id
  std::unordered_map<int64_t, Entry> entries_;
  absl::btree_multimap<int64_t, int64_t> expiring_;  // expiry -> id, of expiring records
  std::unordered_map<std::string, int32_t> label_ids_;
  std::vector<std::string> label_names_;
  std::vector<int64_t> label_sizes_;
  int64_t label_count_ = 0;       // labels with at least one record
  int64_t unlabelled_count_ = 0;  // records without a label
  uint64_t version_ = 0;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_RECORD_CATALOGUE_H_
