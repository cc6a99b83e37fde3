#include "engine/storage/record_codec.h"

#include <cstdint>
#include <cstring>

#include "engine/base/bytes.h"

namespace metricdb {
namespace {

// Record format 2 adds the expiry; records without one are written as 1,
// byte for byte as before.
constexpr uint8_t kRecordFormat = 1;
constexpr uint8_t kExpiringRecordFormat = 2;
// Format 2 added metric_version; format 1 (without it) is still read.
// 3 adds the HNSW quantization and rerank; schemas without them are still
// written as 2, byte for byte as before.
// 4: declared attribute fields; 5: ttl; 6: the quantised HNSW's code_dims.
constexpr uint8_t kSchemaFormat = 6;

using Reader = ByteReader;

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(std::string("corrupt stored ") + std::string(what));
}

}  // namespace

void EncodeRecordParts(const Record& record, std::string* head, std::string* tail) {
  head->clear();
  head->push_back(
      static_cast<char>(record.expires_unix_ms != 0 ? kExpiringRecordFormat : kRecordFormat));
  PutString(head, record.key);
  PutU32(head, static_cast<uint32_t>(record.vector.size()));
  tail->clear();
  tail->push_back(record.label.has_value() ? 1 : 0);
  if (record.label) PutString(tail, *record.label);
  PutU32(tail, static_cast<uint32_t>(record.attributes.size()));
  for (const auto& [k, v] : record.attributes) {
    PutString(tail, k);
    PutString(tail, v);
  }
  if (record.expires_unix_ms != 0) PutPod(tail, record.expires_unix_ms);
}

std::string EncodeRecord(const Record& record) {
  std::string head, tail;
  EncodeRecordParts(record, &head, &tail);
  head.append(reinterpret_cast<const char*>(record.vector.data()),
              record.vector.size() * sizeof(float));
  return head + tail;
}

absl::StatusOr<Record> DecodeRecord(std::string_view bytes) {
  Reader r(bytes);
  Record rec;
  uint8_t format, has_label;
  uint32_t n_attr;
  if (!r.U8(&format) || (format != kRecordFormat && format != kExpiringRecordFormat) ||
      !r.String(&rec.key) || !r.Floats(&rec.vector) || !r.U8(&has_label) || has_label > 1) {
    return Corrupt("record");
  }
  if (has_label) {
    std::string label;
    if (!r.String(&label)) return Corrupt("record label");
    rec.label = std::move(label);
  }
  if (!r.U32(&n_attr)) return Corrupt("record attributes");
  for (uint32_t i = 0; i < n_attr; ++i) {
    std::string k, v;
    if (!r.String(&k) || !r.String(&v)) return Corrupt("record attributes");
    rec.attributes.emplace(std::move(k), std::move(v));
  }
  if (format == kExpiringRecordFormat &&
      (!r.Pod(&rec.expires_unix_ms) || rec.expires_unix_ms <= 0)) {
    return Corrupt("record expiry");
  }
  if (!r.done()) return Corrupt("record (trailing bytes)");
  return rec;
}

std::string EncodeSchema(const CollectionSchema& schema) {
  std::string out;
  // The oldest format that holds the schema, so that older readers keep
  // reading what they can.
  const bool projected = schema.index.code_dims != 0;
  const bool retained = projected || schema.ttl_seconds != 0;
  const bool typed = retained || !schema.attributes.empty();
  const bool quantised = typed || schema.index.quantization != IndexSpec::Quantization::kNone ||
                         schema.index.rerank != 0;
  out.push_back(static_cast<char>(projected ? 6 : retained ? 5 : typed ? 4 : quantised ? 3 : 2));
  PutString(&out, schema.name);
  PutU32(&out, static_cast<uint32_t>(schema.dim));
  PutU32(&out, static_cast<uint32_t>(schema.metric));
  const IndexSpec& ix = schema.index;
  for (int32_t v : {static_cast<int32_t>(ix.kind), ix.m, ix.ef_construction, ix.ef_search, ix.nlist,
                    ix.nprobe, ix.nbits}) {
    PutU32(&out, static_cast<uint32_t>(v));
  }
  PutU32(&out, static_cast<uint32_t>(schema.metric_version));
  if (quantised) {
    PutU32(&out, static_cast<uint32_t>(schema.index.quantization));
    PutU32(&out, static_cast<uint32_t>(schema.index.rerank));
  }
  if (typed) {
    PutU32(&out, static_cast<uint32_t>(schema.attributes.size()));
    for (const AttributeField& f : schema.attributes) {
      PutString(&out, f.name);
      PutU32(&out, static_cast<uint32_t>(f.type));
    }
  }
  if (retained) PutPod(&out, schema.ttl_seconds);
  if (projected) PutU32(&out, static_cast<uint32_t>(schema.index.code_dims));
  return out;
}

absl::StatusOr<CollectionSchema> DecodeSchema(std::string_view bytes) {
  Reader r(bytes);
  CollectionSchema s;
  uint8_t format;
  uint32_t dim, metric, f[7];
  if (!r.U8(&format) || format < 1 || format > kSchemaFormat || !r.String(&s.name) ||
      !r.U32(&dim) || !r.U32(&metric)) {
    return Corrupt("schema");
  }
  for (uint32_t& v : f) {
    if (!r.U32(&v)) return Corrupt("schema index");
  }
  uint32_t version = 0;
  if (format >= 2 && !r.U32(&version)) return Corrupt("schema metric version");
  uint32_t quantization = 0, rerank = 0;
  if (format >= 3 && (!r.U32(&quantization) || !r.U32(&rerank))) {
    return Corrupt("schema quantization");
  }
  uint32_t n_fields = 0;
  if (format >= 4 && (!r.U32(&n_fields) || n_fields > kMaxAttributeFields)) {
    return Corrupt("schema attributes");
  }
  for (uint32_t i = 0; i < n_fields; ++i) {
    AttributeField f;
    uint32_t type;
    if (!r.String(&f.name) || !r.U32(&type) || type < 1 || type > 5) {
      return Corrupt("schema attributes");
    }
    f.type = static_cast<AttributeType>(type);
    s.attributes.push_back(std::move(f));
  }
  if (format >= 5 && (!r.Pod(&s.ttl_seconds) || s.ttl_seconds < 0)) {
    return Corrupt("schema ttl");
  }
  uint32_t code_dims = 0;
  if (format >= 6 && (!r.U32(&code_dims) || code_dims > INT32_MAX)) {
    return Corrupt("schema code_dims");
  }
  if (!r.done() || metric < 1 || metric > 3 || f[0] > 3 || version > INT32_MAX ||
      quantization > 2 || rerank > INT32_MAX) {
    return Corrupt("schema");
  }
  s.dim = static_cast<int32_t>(dim);
  s.metric = static_cast<Metric>(metric);
  s.index.kind = static_cast<IndexSpec::Kind>(f[0]);
  s.index.m = static_cast<int32_t>(f[1]);
  s.index.ef_construction = static_cast<int32_t>(f[2]);
  s.index.ef_search = static_cast<int32_t>(f[3]);
  s.index.nlist = static_cast<int32_t>(f[4]);
  s.index.nprobe = static_cast<int32_t>(f[5]);
  s.index.nbits = static_cast<int32_t>(f[6]);
  s.metric_version = static_cast<int32_t>(version);
  s.index.quantization = static_cast<IndexSpec::Quantization>(quantization);
  s.index.rerank = static_cast<int32_t>(rerank);
  s.index.code_dims = static_cast<int32_t>(code_dims);
  return s;
}

}  // namespace metricdb
