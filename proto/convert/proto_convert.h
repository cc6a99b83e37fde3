// Conversions between metricdb.v1 messages and engine types (used by the
// server's adapters and by the cluster's node-to-node calls). Shape checks
// that only the wire format can get wrong (an unknown enum value) happen
// here; everything else is validated once, by the engine.
#ifndef METRICDB_PROTO_CONVERT_PROTO_CONVERT_H_
#define METRICDB_PROTO_CONVERT_PROTO_CONVERT_H_

#include "absl/status/statusor.h"
#include "engine/base/collection_schema.h"
#include "engine/base/record.h"
#include "engine/base/search_types.h"
#include "engine/collection/collection_handle.h"
#include "metricdb/v1/metricdb.pb.h"

namespace metricdb {

// INVALID_ARGUMENT for METRIC_UNSPECIFIED or an unknown metric value.
absl::StatusOr<CollectionSchema> FromProto(const v1::CollectionSchema& proto);
IndexSpec FromProto(const v1::IndexSpec& proto);
void ToProto(const IndexSpec& spec, v1::IndexSpec* proto);
void ToProto(const CollectionSchema& schema, v1::CollectionSchema* proto);
// A collection as clients see it: its schema in force and its stats.
void ToProto(const CollectionSchema& schema, const CollectionStats& stats,
             v1::CollectionInfo* proto);
// The same for `collection` now (its stats can fail in a cluster).
absl::Status ToProto(const CollectionHandle& collection, v1::CollectionInfo* proto);

Record FromProto(const v1::Record& proto);
void ToProto(const Record& record, v1::Record* proto);
void ToProto(SearchHit&& hit, v1::Hit* proto);
SearchHit FromProto(v1::Hit&& proto);

// A search request's queries (views into `proto`) and its options: k,
// labels, what to include, per-query index parameters.
std::vector<absl::Span<const float>> QueriesOf(const v1::SearchRequest& proto);
SearchOptions SearchOptionsFromProto(const v1::SearchRequest& proto);
void ToProto(SearchResults&& results, v1::SearchResponse* proto);
void ToProto(GetResult&& result, v1::GetResponse* proto);
CollectionStats FromProto(const v1::CollectionStats& proto);

// INVALID_ARGUMENT naming `field` for an unknown scope value.
absl::StatusOr<LabelScope> ScopeFromProto(v1::ClusterScope scope, const char* field);
v1::ClusterScope ToProto(LabelScope scope);
// Scan: the selection of a request (scope checked) and its page size
// (default 100); pages both ways.
absl::StatusOr<RecordSelection> SelectionFromProto(const v1::ScanRequest& proto);
int64_t ScanLimit(const v1::ScanRequest& proto);
void ToProto(const RecordSelection& which, v1::ScanRequest* proto);
void ToProto(RecordPage&& page, v1::ScanResponse* proto);
RecordPage FromProto(const v1::ScanResponse& proto);
// ListLabels: the page size (default 1000); pages both ways.
int64_t ListLabelsLimit(const v1::ListLabelsRequest& proto);
void ToProto(LabelPage&& page, v1::ListLabelsResponse* proto);
LabelPage FromProto(const v1::ListLabelsResponse& proto);

}  // namespace metricdb

#endif  // METRICDB_PROTO_CONVERT_PROTO_CONVERT_H_
