// The types in which records are written, read and searched, shared by
// every room above this one: the collection that answers the calls, and the
// identity, metric-learning and clustering code that makes them.
#ifndef METRICDB_ENGINE_BASE_SEARCH_TYPES_H_
#define METRICDB_ENGINE_BASE_SEARCH_TYPES_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/base/metric.h"
#include "engine/base/record.h"

namespace metricdb {

// Search-time parameters; 0 means the index's own setting.
struct SearchTuning {
  int32_t ef_search = 0;  // HNSW candidate list size
  int32_t nprobe = 0;     // IVF lists visited
  int32_t rerank = 0;     // quantised HNSW: candidates re-ranked exactly
};

struct UpsertResult {
  int64_t inserted = 0;  // keys that were new
  int64_t replaced = 0;  // keys that existed
};

// The outcome of a group of upsert batches committed together.
struct GroupUpsertResult {
  // One result per stored batch: batches [0, results.size()) are stored.
  std::vector<UpsertResult> results;
  // OK, or why batch results.size() was rejected (later ones were not tried).
  absl::Status error;
};

struct GetResult {
  std::vector<Record> records;            // found keys, in request order
  std::vector<std::string> missing_keys;  // keys that do not exist
};

// Records paged in key order (Scan). `next` is the key to page on from
// (the last one returned); `more` is false once nothing follows it.
struct RecordPage {
  std::vector<Record> records;
  std::string next;
  bool more = false;
};

// Identities with their numbers of records, paged in label order.
struct LabelCount {
  std::string label;
  int64_t records = 0;
};
struct LabelPage {
  std::vector<LabelCount> labels;
  std::string next;  // the last label returned
  bool more = false;
};

// Records or labels one page may hold (Scan, ListLabels).
inline constexpr int64_t kMaxPageSize = 10000;

// Which records a query or an operation considers.
enum class LabelScope {
  kAll = 0,
  kLabelled = 1,    // records that carry a label
  kUnlabelled = 2,  // records without one
};

// The records an operation considers: those in `scope`, with one of
// `labels` when it is non-empty, matching `filter` (filter_expression.h)
// when it is not blank.
struct RecordSelection {
  LabelScope scope = LabelScope::kAll;
  std::vector<std::string> labels;
  std::string filter;
};

struct SearchOptions {
  int32_t k = 10;
  // If non-empty, only records with one of these labels are candidates.
  std::vector<std::string> labels;
  LabelScope scope = LabelScope::kAll;
  // A filter expression (filter_expression.h) the records must match as
  // well; empty: none.
  std::string filter;
  bool include_vectors = false;
  bool include_attributes = false;
  // Per-query ef_search / nprobe; INVALID_ARGUMENT if the index has no such
  // parameter or the value is out of range.
  SearchTuning tuning;
  // Polled before every kCancelCheckQueries queries of a batch (a client
  // that went away, a passed deadline): when it returns true the search
  // stops there with CANCELLED. Empty: never polled.
  std::function<bool()> cancelled;
  // Serve under this metric version (0: the creation metric): the one in
  // force or a staged one; FAILED_PRECONDITION otherwise. Unset: the one in
  // force. A cluster's coordinator sets it so that every shard of one query
  // answers under the same metric.
  std::optional<int32_t> metric_version;
  // The caller's deadline, if it has one: a cluster's calls to other nodes
  // end by it (a local search polls `cancelled` instead).
  std::optional<std::chrono::system_clock::time_point> deadline;
};

// Queries searched between two polls of SearchOptions::cancelled.
inline constexpr int64_t kCancelCheckQueries = 256;

struct SearchHit {
  std::string key;
  std::optional<std::string> label;
  float distance = 0;                             // API convention, see metric.h
  std::vector<float> vector;                      // if include_vectors
  std::map<std::string, std::string> attributes;  // if include_attributes
};

// One list of hits per query, closest first.
using SearchResults = std::vector<std::vector<SearchHit>>;

// Records chosen by SampleRecords, with raw vectors.
struct RecordSample {
  int32_t dim = 0;
  int64_t population = 0;  // records in scope that the sample was drawn from
  std::vector<std::string> keys;
  std::vector<float> x;  // keys.size() x dim
  std::vector<std::optional<std::string>> labels;
};

// Operations that load a sample of records into memory (learning,
// calibration, clustering) hold at most this many floats of it (1 GiB).
inline constexpr int64_t kMaxSampleValues = int64_t{1} << 28;

// The number of records such an operation samples: `requested`, or when 0
// `default_records` lowered to fit kMaxSampleValues at `dim`.
// INVALID_ARGUMENT naming `field` if `requested` is negative or does not fit.
absl::StatusOr<int64_t> ResolveSampleSize(int64_t requested, int64_t default_records, int32_t dim,
                                          const char* field);

// Vectors in the space the collection's metric compares them in (what its
// index holds: L x under a learned metric, unit length under cosine), and the
// distance there, in the API convention of metric.h.
struct MetricSpace {
  int32_t dim = 0;
  Metric metric = Metric::kL2;  // kL2 also for a learned metric
  double Distance(const float* a, const float* b) const;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_SEARCH_TYPES_H_
