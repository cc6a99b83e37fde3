#include "proto/convert/proto_convert.h"

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::StatusOr<CollectionSchema> FromProto(const v1::CollectionSchema& proto) {
  CollectionSchema schema;
  schema.name = proto.name();
  schema.dim = proto.dim();
  schema.shards = proto.shards() == 0 ? 1 : proto.shards();
  switch (proto.metric()) {
    case v1::L2:
      schema.metric = Metric::kL2;
      break;
    case v1::COSINE:
      schema.metric = Metric::kCosine;
      break;
    case v1::INNER_PRODUCT:
      schema.metric = Metric::kInnerProduct;
      break;
    case v1::MAHALANOBIS:
      return absl::InvalidArgumentError(
          "schema.metric: MAHALANOBIS is learned, not given at creation; create the "
          "collection with L2, COSINE or INNER_PRODUCT, then use LearnMetric or SetMetric");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("schema.metric: must be L2, COSINE or INNER_PRODUCT, got ",
                       static_cast<int>(proto.metric())));
  }
  schema.index = FromProto(proto.index());
  for (int i = 0; i < proto.attributes_size(); ++i) {
    const v1::AttributeField& f = proto.attributes(i);
    if (f.type() < v1::ATTRIBUTE_STRING || f.type() > v1::ATTRIBUTE_TIMESTAMP) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema.attributes[", i,
                       "].type: must be STRING, INT64, DOUBLE, BOOL or "
                       "TIMESTAMP, got ",
                       static_cast<int>(f.type())));
    }
    schema.attributes.push_back({f.name(), static_cast<AttributeType>(f.type())});
  }
  schema.ttl_seconds = proto.ttl_seconds();
  return schema;
}

IndexSpec FromProto(const v1::IndexSpec& ix) {
  IndexSpec spec;
  switch (ix.kind_case()) {
    case v1::IndexSpec::KIND_NOT_SET:
    case v1::IndexSpec::kFlat:
      spec.kind = IndexSpec::Kind::kFlat;
      break;
    case v1::IndexSpec::kHnsw:
      spec.kind = IndexSpec::Kind::kHnsw;
      spec.m = ix.hnsw().m();
      spec.ef_construction = ix.hnsw().ef_construction();
      spec.ef_search = ix.hnsw().ef_search();
      spec.quantization = static_cast<IndexSpec::Quantization>(ix.hnsw().quantization());
      spec.rerank = ix.hnsw().rerank();
      spec.code_dims = ix.hnsw().code_dims();
      break;
    case v1::IndexSpec::kIvfFlat:
      spec.kind = IndexSpec::Kind::kIvfFlat;
      spec.nlist = ix.ivf_flat().nlist();
      spec.nprobe = ix.ivf_flat().nprobe();
      break;
    case v1::IndexSpec::kIvfPq:
      spec.kind = IndexSpec::Kind::kIvfPq;
      spec.nlist = ix.ivf_pq().nlist();
      spec.m = ix.ivf_pq().m();
      spec.nbits = ix.ivf_pq().nbits();
      spec.nprobe = ix.ivf_pq().nprobe();
      break;
  }
  return spec;
}

void ToProto(const IndexSpec& ix, v1::IndexSpec* out) {
  switch (ix.kind) {
    case IndexSpec::Kind::kFlat:
      out->mutable_flat();
      break;
    case IndexSpec::Kind::kHnsw:
      out->mutable_hnsw()->set_m(ix.m);
      out->mutable_hnsw()->set_ef_construction(ix.ef_construction);
      out->mutable_hnsw()->set_ef_search(ix.ef_search);
      out->mutable_hnsw()->set_quantization(static_cast<v1::Quantization>(ix.quantization));
      out->mutable_hnsw()->set_rerank(ix.rerank);
      out->mutable_hnsw()->set_code_dims(ix.code_dims);
      break;
    case IndexSpec::Kind::kIvfFlat:
      out->mutable_ivf_flat()->set_nlist(ix.nlist);
      out->mutable_ivf_flat()->set_nprobe(ix.nprobe);
      break;
    case IndexSpec::Kind::kIvfPq:
      out->mutable_ivf_pq()->set_nlist(ix.nlist);
      out->mutable_ivf_pq()->set_m(ix.m);
      out->mutable_ivf_pq()->set_nbits(ix.nbits);
      out->mutable_ivf_pq()->set_nprobe(ix.nprobe);
      break;
  }
}

void ToProto(const CollectionSchema& schema, v1::CollectionSchema* proto) {
  proto->set_name(schema.name);
  proto->set_dim(schema.dim);
  proto->set_metric(static_cast<v1::Metric>(schema.metric));
  proto->set_active_metric(schema.metric_version > 0 ? v1::MAHALANOBIS
                                                     : static_cast<v1::Metric>(schema.metric));
  proto->set_metric_version(schema.metric_version);
  proto->set_shards(schema.shards);
  ToProto(schema.index, proto->mutable_index());
  for (const AttributeField& f : schema.attributes) {
    v1::AttributeField* out = proto->add_attributes();
    out->set_name(f.name);
    out->set_type(static_cast<v1::AttributeType>(f.type));
  }
  proto->set_ttl_seconds(schema.ttl_seconds);
}

void ToProto(const CollectionSchema& schema, const CollectionStats& stats,
             v1::CollectionInfo* proto) {
  ToProto(schema, proto->mutable_schema());
  proto->mutable_stats()->set_record_count(stats.record_count);
  proto->mutable_stats()->set_label_count(stats.label_count);
  proto->mutable_stats()->set_index_memory_bytes(stats.index_memory_bytes);
  proto->mutable_stats()->set_index_trained(stats.index.trained);
  proto->mutable_stats()->set_index_trained_on(stats.index.trained_on);
  proto->mutable_stats()->set_index_tombstones(stats.index.tombstones);
  proto->mutable_stats()->set_index_building(stats.index_building);
  proto->mutable_stats()->set_last_index_build_seconds(stats.last_index_build_seconds);
  proto->mutable_stats()->set_index_graph_bytes(stats.index_graph_bytes);
  proto->mutable_stats()->set_index_code_bytes(stats.index_code_bytes);
  proto->mutable_stats()->set_index_vector_bytes(stats.index_vector_bytes);
  proto->mutable_stats()->set_index_vectors_mapped(stats.index_vectors_mapped);
  proto->mutable_stats()->set_expired_records(stats.expired_records);
}

Record FromProto(const v1::Record& proto) {
  Record record;
  record.key = proto.key();
  record.vector.assign(proto.vector().begin(), proto.vector().end());
  if (proto.has_label()) record.label = proto.label();
  record.attributes.insert(proto.attributes().begin(), proto.attributes().end());
  record.expires_unix_ms = proto.expires_unix_ms();
  return record;
}

void ToProto(const Record& record, v1::Record* proto) {
  proto->set_key(record.key);
  proto->mutable_vector()->Add(record.vector.begin(), record.vector.end());
  if (record.label) proto->set_label(*record.label);
  proto->mutable_attributes()->insert(record.attributes.begin(), record.attributes.end());
  proto->set_expires_unix_ms(record.expires_unix_ms);
}

void ToProto(SearchHit&& hit, v1::Hit* proto) {
  proto->set_key(std::move(hit.key));
  if (hit.label) proto->set_label(std::move(*hit.label));
  proto->set_distance(hit.distance);
  proto->mutable_vector()->Add(hit.vector.begin(), hit.vector.end());
  proto->mutable_attributes()->insert(hit.attributes.begin(), hit.attributes.end());
}

absl::Status ToProto(const CollectionHandle& collection, v1::CollectionInfo* proto) {
  auto stats = collection.ReadStats();
  if (!stats.ok()) return stats.status();
  ToProto(collection.schema(), *stats, proto);
  return absl::OkStatus();
}

CollectionStats FromProto(const v1::CollectionStats& proto) {
  CollectionStats stats;
  stats.record_count = proto.record_count();
  stats.label_count = proto.label_count();
  stats.expired_records = proto.expired_records();
  stats.index_memory_bytes = proto.index_memory_bytes();
  stats.index.trained = proto.index_trained();
  stats.index.trained_on = proto.index_trained_on();
  stats.index.tombstones = proto.index_tombstones();
  stats.index_building = proto.index_building();
  stats.index_graph_bytes = proto.index_graph_bytes();
  stats.index_code_bytes = proto.index_code_bytes();
  stats.index_vector_bytes = proto.index_vector_bytes();
  stats.index_vectors_mapped = proto.index_vectors_mapped();
  stats.last_index_build_seconds = proto.last_index_build_seconds();
  return stats;
}

SearchHit FromProto(v1::Hit&& proto) {
  SearchHit hit;
  hit.key = std::move(*proto.mutable_key());
  if (proto.has_label()) hit.label = std::move(*proto.mutable_label());
  hit.distance = proto.distance();
  hit.vector.assign(proto.vector().begin(), proto.vector().end());
  hit.attributes.insert(proto.attributes().begin(), proto.attributes().end());
  return hit;
}

std::vector<absl::Span<const float>> QueriesOf(const v1::SearchRequest& proto) {
  std::vector<absl::Span<const float>> queries;
  queries.reserve(proto.queries_size());
  for (const v1::Vector& q : proto.queries())
    queries.emplace_back(q.values().data(), q.values_size());
  return queries;
}

SearchOptions SearchOptionsFromProto(const v1::SearchRequest& proto) {
  SearchOptions options;
  options.k = proto.k();
  options.labels.assign(proto.labels().begin(), proto.labels().end());
  options.include_vectors = proto.include_vectors();
  options.include_attributes = proto.include_attributes();
  options.filter = proto.filter();
  options.tuning.ef_search = proto.params().ef_search();
  options.tuning.nprobe = proto.params().nprobe();
  options.tuning.rerank = proto.params().rerank();
  return options;
}

void ToProto(SearchResults&& results, v1::SearchResponse* proto) {
  for (auto& hits : results) {
    v1::QueryResult* out = proto->add_results();
    out->mutable_hits()->Reserve(hits.size());
    for (auto& hit : hits) ToProto(std::move(hit), out->add_hits());
  }
}

void ToProto(GetResult&& result, v1::GetResponse* proto) {
  for (const Record& r : result.records) ToProto(r, proto->add_records());
  for (auto& k : result.missing_keys) proto->add_missing_keys(std::move(k));
}

absl::StatusOr<LabelScope> ScopeFromProto(v1::ClusterScope scope, const char* field) {
  switch (scope) {
    case v1::ALL_RECORDS:
      return LabelScope::kAll;
    case v1::LABELLED_RECORDS:
      return LabelScope::kLabelled;
    case v1::UNLABELLED_RECORDS:
      return LabelScope::kUnlabelled;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": unknown value ", static_cast<int>(scope)));
  }
}

v1::ClusterScope ToProto(LabelScope scope) {
  switch (scope) {
    case LabelScope::kLabelled:
      return v1::LABELLED_RECORDS;
    case LabelScope::kUnlabelled:
      return v1::UNLABELLED_RECORDS;
    case LabelScope::kAll:
      break;
  }
  return v1::ALL_RECORDS;
}

absl::StatusOr<RecordSelection> SelectionFromProto(const v1::ScanRequest& proto) {
  auto scope = ScopeFromProto(proto.scope(), "scope");
  if (!scope.ok()) return scope.status();
  RecordSelection which;
  which.scope = *scope;
  which.labels.assign(proto.labels().begin(), proto.labels().end());
  which.filter = proto.filter();
  return which;
}

int64_t ScanLimit(const v1::ScanRequest& proto) { return proto.limit() == 0 ? 100 : proto.limit(); }

void ToProto(const RecordSelection& which, v1::ScanRequest* proto) {
  proto->set_scope(ToProto(which.scope));
  for (const auto& l : which.labels) proto->add_labels(l);
  proto->set_filter(which.filter);
}

void ToProto(RecordPage&& page, v1::ScanResponse* proto) {
  for (const Record& r : page.records) ToProto(r, proto->add_records());
  proto->set_next(std::move(page.next));
  proto->set_more(page.more);
}

RecordPage FromProto(const v1::ScanResponse& proto) {
  RecordPage page;
  for (const auto& r : proto.records()) page.records.push_back(FromProto(r));
  page.next = proto.next();
  page.more = proto.more();
  return page;
}

int64_t ListLabelsLimit(const v1::ListLabelsRequest& proto) {
  return proto.limit() == 0 ? 1000 : proto.limit();
}

void ToProto(LabelPage&& page, v1::ListLabelsResponse* proto) {
  for (LabelCount& l : page.labels) {
    v1::LabelCount* out = proto->add_labels();
    out->set_label(std::move(l.label));
    out->set_records(l.records);
  }
  proto->set_next(std::move(page.next));
  proto->set_more(page.more);
}

LabelPage FromProto(const v1::ListLabelsResponse& proto) {
  LabelPage page;
  for (const auto& l : proto.labels()) page.labels.push_back({l.label(), l.records()});
  page.next = proto.next();
  page.more = proto.more();
  return page;
}

}  // namespace metricdb
