// Collection: the records of one schema, their vector index, and the
// operations on them (upsert, get, delete, search).
//
// Consistency: a write is committed to Store (atomically, durably) and then
// applied to the index and the in-memory maps under an exclusive lock, with a
// store read view (StoreReadView) taken right after the commit. Readers hold
// the shared lock and read stored fields through that view, so they see each
// batch entirely or not at all. Writers are serialised; searches run in parallel.
//
// Metric: the creation metric, or a learned MAHALANOBIS metric version whose
// map L the index is built over (it holds L x; stored vectors stay raw).
// Switching metric builds the new index beside the old one, like BuildIndex.
//
// Every method validates its arguments and returns INVALID_ARGUMENT naming
// the field ("records[3].vector: has 127 values, collection \"faces\" has dim
// 128"); NOT_FOUND once the collection has been dropped.
#ifndef METRICDB_ENGINE_COLLECTION_COLLECTION_H_
#define METRICDB_ENGINE_COLLECTION_COLLECTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/base/collection_limits.h"
#include "engine/base/collection_schema.h"
#include "engine/base/linear_map.h"
#include "engine/base/record.h"
#include "engine/base/search_types.h"
#include "engine/base/writer_priority_mutex.h"
#include "engine/collection/collection_handle.h"
#include "engine/collection/filter_cache.h"
#include "engine/collection/record_catalogue.h"
#include "engine/index/vector_index.h"
#include "engine/storage/store.h"

namespace metricdb {

class Collection final : public CollectionHandle, public std::enable_shared_from_this<Collection> {
 public:
  // Opens collection `id` of `store`. Its index comes from the snapshot at
  // `snapshot_path` when that is usable, plus a replay of what the store
  // gained or lost since; otherwise it is rebuilt from the stored records
  // (and the reason logged). `snapshot_path` empty: no snapshots. The
  // collection keeps the store open while it lives.
  static absl::StatusOr<std::shared_ptr<Collection>> Open(uint32_t id, CollectionSchema schema,
                                                          std::shared_ptr<Store> store,
                                                          const CollectionLimits& limits,
                                                          std::string snapshot_path = "");

  // How the index was obtained when the collection was opened.
  struct LoadReport {
    bool from_snapshot = false;
    int64_t replayed_adds = 0;     // records added after the snapshot
    int64_t replayed_removes = 0;  // snapshot entries deleted since
    std::string fallback_reason;   // why a snapshot was not used, if one existed
  };
  LoadReport load_report() const { return load_report_; }

  // Writes the index snapshot if anything changed since the last one.
  // Writers wait while the index is serialised; searches continue.
  absl::Status SaveSnapshot();

  // The schema with the index spec in force now.
  CollectionSchema schema() const override;
  uint32_t id() const { return id_; }
  const CollectionLimits& limits() const override { return limits_; }

  // Upsert (CollectionHandle): stores one batch atomically; an existing key
  // is replaced. Rejects an empty batch, a key repeated in the batch, wrong
  // dimensions, NaN/Inf.

  // Group commit: stores several batches with one durable write, each batch
  // still all or nothing. Batches are validated in order; the first invalid
  // one and all after it are not stored, those before it are. A key written
  // in two batches ends with the later record.
  GroupUpsertResult UpsertGroup(std::vector<std::vector<Record>> batches) override;

  absl::StatusOr<GetResult> Get(absl::Span<const std::string> keys,
                                bool include_vectors) const override;

  // Deletes the records named by `keys` and all records whose label is in
  // `labels` (narrowed by `filter`, or selected by it alone: see
  // CollectionHandle); returns how many were deleted. Unknown keys/labels
  // are skipped.
  absl::StatusOr<int64_t> Delete(absl::Span<const std::string> keys,
                                 absl::Span<const std::string> labels,
                                 const std::string& filter) override;
  absl::StatusOr<int64_t> Count(const std::string& filter) const override;

  // Identities and records (CollectionHandle): paged in key / label order
  // from the catalogue, records read through the read view of the moment.
  absl::StatusOr<RecordPage> Scan(const RecordSelection& which, const std::string& after,
                                  int64_t limit, bool include_vectors) const override;
  absl::StatusOr<LabelPage> ListLabels(const std::string& filter, const std::string& after,
                                       int64_t limit) const override;
  // The records are rewritten in place (same record ids, so the index is
  // untouched) in one store batch, and the catalogue changes under the
  // exclusive lock: a search sees every record relabelled or none.
  absl::StatusOr<int64_t> Relabel(absl::Span<const std::string> from,
                                  const std::string& to) override;

  // k nearest records for each query under the collection's metric; with
  // options.metric_version, under that version, which must be the one in
  // force or the staged one (PrepareMetric), else FAILED_PRECONDITION.
  absl::StatusOr<SearchResults> Search(absl::Span<const absl::Span<const float>> queries,
                                       const SearchOptions& options) const override;

  // True when a search of `queries` vectors is expected to take well under
  // a millisecond, so a server may run it on the thread that received it:
  // at most kMaxScanQueries queries, on an approximate index (HNSW, trained
  // IVF) or an exact one holding fewer than 2^20 values.
  bool IsQuickSearch(int64_t queries) const override;

  CollectionStats Stats() const;

  // Retention (retention.h): deletes the records whose expiry has passed, as
  // ordinary deletes counted in Stats().expired_records. Every read method
  // calls it first, so an expired record is never returned; the engine's
  // sweep calls it too. One atomic load when nothing is due. Fails with the
  // delete's error (the store full or broken): a read then fails rather than
  // return an expired record. A read-only store keeps its records.
  absl::Status ExpireDue() const;
  absl::StatusOr<CollectionStats> ReadStats() const override { return Stats(); }

  // Builds a new index from the stored records beside the current one and
  // swaps it in; searches keep answering from the old index meanwhile,
  // writers wait. With `spec`, the collection switches to that index (the
  // schema is updated durably); without, the current index is rebuilt, and an
  // IVF index is trained now on what the collection holds (FAILED_PRECONDITION
  // if that is too little).
  absl::Status BuildIndex(const std::optional<IndexSpec>& spec) override;

  // Stored (already checked) raw rows, n x dim, in the metric space in force
  // (n x space->dim); RecordSource::ToMetricSpace checks input vectors first.
  std::vector<float> RowsToMetricSpace(const std::vector<float>& rows,
                                       MetricSpace* space) const override;

  // Up to `max` records in `scope` (and, if `labels` is non-empty, with one
  // of those labels), sampled uniformly (seeded) from one consistent view, in
  // record order.
  absl::StatusOr<RecordSample> SampleRecords(const RecordSelection& which, int64_t max,
                                             uint64_t seed) const override;
  // Positions [offset, offset + limit) of that sample (reading only those
  // records), for callers that page through a large one.
  absl::StatusOr<RecordSample> SamplePage(const RecordSelection& which, int64_t max, uint64_t seed,
                                          int64_t offset, int64_t limit) const;

  // Metric versions (stored in Store, numbered from 1).
  absl::StatusOr<int32_t> AddMetricVersion(StoredMetricVersion version) override;
  // The same under `number` (Store::AddMetricVersion): a cluster's shards
  // keep the numbers their coordinator assigns.
  absl::StatusOr<int32_t> AddMetricVersionAt(StoredMetricVersion version, int32_t number);
  absl::StatusOr<std::vector<StoredMetricVersion>> ListMetricVersions(
      bool include_maps) const override;
  absl::StatusOr<StoredMetricVersion> GetMetricVersion(int32_t version) const override;

  // Named entries stored with the collection (its calibration), dropped
  // with it.
  absl::Status PutEntry(std::string_view name, std::string_view value) override;
  absl::StatusOr<std::optional<std::string>> GetEntry(std::string_view name) const override;

  // Puts metric version `version` in force (0: the creation metric again).
  // The index (same spec) is built over the mapped vectors beside the current
  // one and swapped in with the map atomically; searches keep answering
  // meanwhile, writers wait. NOT_FOUND for an unknown version;
  // INVALID_ARGUMENT if the index spec does not fit the map's d_out (IVF_PQ
  // m must divide it). On any error the metric in force is unchanged.
  // A version staged by PrepareMetric is swapped in at once.
  absl::Status ActivateMetric(int32_t version) override;

  // The first phase of a two-phase activation (a cluster's shards): builds
  // the index of metric version `version` beside the current one and keeps
  // both, writes going to both, until ActivateMetric(version) swaps it in
  // (or another PrepareMetric replaces it). Searches choose between them by
  // SearchOptions::metric_version, so no query mixes two metrics while the
  // shards switch one by one. Errors as ActivateMetric; the staged index is
  // not in snapshots (a restart forgets it).
  absl::Status PrepareMetric(int32_t version);
  // Forgets a staged version (a two-phase activation that did not go ahead).
  void DiscardStagedMetric();
  // The staged version, 0 if none.
  int32_t staged_metric_version() const;

  // Removes the collection from Store; afterwards every call is NOT_FOUND.
  // A background rebuild is cancelled and waited for first.
  absl::Status Drop();

  // Cancels a running background (tombstone) rebuild, waits for it, and
  // starts no more; explicit BuildIndex/ActivateMetric calls running now end
  // with CANCELLED. The destructor does the same. Call before the process
  // stops, so that no work is cut off half-way.
  void StopBackgroundWork();
  ~Collection() override;

 private:
  Collection(uint32_t id, CollectionSchema schema, std::shared_ptr<Store> store,
             const CollectionLimits& limits, std::string snapshot_path);
  absl::Status LoadFromStore();
  // The schema an index is made from: the map's d_out and L2 under a map,
  // else the collection's dim and metric.
  CollectionSchema IndexSchema(const IndexSpec& spec, const LinearMap* map) const;
  // Where indexes keep files: the snapshot directory (none without one).
  IndexPlace Place() const;
  // Adds the stored records for which `include(id)` holds, in index form
  // (ToIndexForm with `map`), to `index`, and calls `on_record` for every
  // stored record.
  absl::Status ScanIntoIndex(VectorIndex* index, const LinearMap* map,
                             const std::function<bool(int64_t)>& include,
                             const std::function<void(int64_t, Record&&)>& on_record);
  // The index restored from the snapshot file; an error says why it cannot
  // be used.
  absl::StatusOr<std::unique_ptr<VectorIndex>> RestoreSnapshot() const;
  absl::Status CheckTuning(const SearchTuning& tuning) const;
  // The records a search may return: the scope and labels of `options` and
  // its parsed filter (null: none). Sets *none when no record can match;
  // null with *none false: every record. Under mu_ (shared).
  // With a filter the result is an IdBitmap (also set in *bitmap, its size
  // in *count).
  std::shared_ptr<const IdFilter> AllowedLocked(const SearchOptions& options,
                                                const FilterNode* filter, bool* none,
                                                const IdBitmap** bitmap, int64_t* count) const;
  // The records a parsed filter (of text `text`) selects, from filter_cache_
  // when it was used since the catalogue last changed. Requires mu_ (shared)
  // or write_mu_: the catalogue must not change meanwhile.
  std::shared_ptr<const IdBitmap> MatchingLocked(const std::string& text,
                                                 const FilterNode& filter) const;
  // Exact search among the `allowed` records (a filter that leaves few
  // records), their vectors copied from `index` when it keeps them
  // (VectorIndex::CopyVectors), else read from the store and mapped by
  // `map`. Under mu_ (shared).
  absl::Status ScanAllowedLocked(const IdBitmap& allowed, const VectorIndex& index,
                                 const LinearMap* map, const float* queries, int64_t n, int k,
                                 std::vector<float>* distances, std::vector<int64_t>* ids) const;
  // Builds an index of `spec` over the stored records under `map` beside the
  // current one and swaps both in (with `metric_version`); persists the
  // schema when it changes. `train`: train an IVF index now.
  absl::Status RebuildIndex(IndexSpec spec, int32_t metric_version,
                            std::shared_ptr<const LinearMap> map, bool train);
  // Builds an index of `spec` (resolved in place) over the stored records
  // under `map` (requires write_mu_); sets *seconds to the build's wall time.
  absl::StatusOr<std::unique_ptr<VectorIndex>> BuildBeside(IndexSpec* spec, const LinearMap* map,
                                                           bool train, double* seconds);
  // Adds the rows of `ids` not in `superseded` to the staged index (requires
  // write_mu_ and mu_).
  absl::Status AddToStaged(const std::vector<int64_t>& ids,
                           const std::unordered_set<int64_t>& superseded,
                           const std::vector<float>& rows);
  // The map of stored metric version `version` (null for 0), validated.
  absl::StatusOr<std::shared_ptr<const LinearMap>> LoadMap(int32_t version) const;
  absl::Status NotFound() const;
  // Requires write_mu_: deletes the records `ids` (store, indexes,
  // catalogue); returns how many.
  absl::StatusOr<int64_t> DeleteIdsLocked(std::vector<int64_t> ids);
  absl::Status DeleteExpired(int64_t now_ms);
  // OK, or NotFound() once dropped (takes mu_ shared).
  absl::Status CheckNotDropped() const;
  // Requires mu_: starts a background BuildIndex when the index asks for one
  // (on rebuild_thread_, joined by StopBackgroundWork).
  void MaybeScheduleRebuildLocked();

  const uint32_t id_;
  const CollectionSchema schema_;
  const std::shared_ptr<Store> store_;
  const CollectionLimits limits_;
  const std::string snapshot_path_;
  LoadReport load_report_;

  std::mutex write_mu_;   // serialises writers; held across commit + apply
  bool dropped_ = false;  // guarded by write_mu_ and mu_
  std::atomic<bool> rebuild_scheduled_{false};
  std::atomic<bool> closing_{false};    // StopBackgroundWork was called
  std::mutex rebuild_mu_;               // guards rebuild_thread_
  std::thread rebuild_thread_;          // the last tombstone rebuild
  std::atomic<bool> building_{false};   // BuildIndex in progress
  int64_t next_record_id_ = 0;          // guarded by write_mu_
  int64_t changes_since_snapshot_ = 0;  // guarded by write_mu_
  // At or before the earliest expiry of a record (lowered by writers,
  // recomputed by DeleteExpired, both under write_mu_); INT64_MAX: none.
  std::atomic<int64_t> next_expiry_ms_{INT64_MAX};
  std::atomic<int64_t> expired_records_{0};

  mutable WriterPriorityMutex mu_;        // guards everything below
  IndexSpec index_spec_;                  // replaces schema_.index once built
  int32_t metric_version_ = 0;            // replaces schema_.metric_version
  std::shared_ptr<const LinearMap> map_;  // of metric_version_; also under write_mu_
  double last_build_seconds_ = 0;         // under mu_
  std::unique_ptr<VectorIndex> index_;
  // A metric version staged by PrepareMetric (its map and index); also
  // under write_mu_.
  struct Staged {
    int32_t version = 0;
    std::shared_ptr<const LinearMap> map;
    std::unique_ptr<VectorIndex> index;
  };
  std::unique_ptr<Staged> staged_;
  RecordCatalogue catalogue_;                       // changed under write_mu_ and mu_
  mutable FilterCache filter_cache_;                // bitmaps of recent filters
  std::shared_ptr<const StoreReadView> read_view_;  // matches the index
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_COLLECTION_H_
