#include "engine/record_codec.h"

#include <cstdint>
#include <cstring>

namespace metricdb {
namespace {

constexpr uint8_t kRecordFormat = 1;
constexpr uint8_t kSchemaFormat = 1;

void PutU32(std::string* out, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);  // little-endian hosts only (x86-64, arm64)
  out->append(buf, 4);
}

void PutString(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool U8(uint8_t* v) {
    if (rest_.empty()) return false;
    *v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (rest_.size() < 4) return false;
    std::memcpy(v, rest_.data(), 4);
    rest_.remove_prefix(4);
    return true;
  }
  bool String(std::string* s) {
    uint32_t n;
    if (!U32(&n) || rest_.size() < n) return false;
    s->assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  bool Floats(std::vector<float>* v) {
    uint32_t n;
    if (!U32(&n) || rest_.size() / 4 < n) return false;
    v->resize(n);
    std::memcpy(v->data(), rest_.data(), size_t{n} * 4);
    rest_.remove_prefix(size_t{n} * 4);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(std::string("corrupt stored ") + std::string(what));
}

}  // namespace

void EncodeRecordParts(const Record& record, std::string* head, std::string* tail) {
  head->clear();
  head->push_back(static_cast<char>(kRecordFormat));
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
  if (!r.U8(&format) || format != kRecordFormat || !r.String(&rec.key) ||
      !r.Floats(&rec.vector) || !r.U8(&has_label) || has_label > 1) {
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
  if (!r.done()) return Corrupt("record (trailing bytes)");
  return rec;
}

std::string EncodeSchema(const CollectionSchema& schema) {
  std::string out;
  out.push_back(static_cast<char>(kSchemaFormat));
  PutString(&out, schema.name);
  PutU32(&out, static_cast<uint32_t>(schema.dim));
  PutU32(&out, static_cast<uint32_t>(schema.metric));
  const IndexSpec& ix = schema.index;
  for (int32_t v : {static_cast<int32_t>(ix.kind), ix.m, ix.ef_construction,
                    ix.ef_search, ix.nlist, ix.nprobe, ix.nbits}) {
    PutU32(&out, static_cast<uint32_t>(v));
  }
  return out;
}

absl::StatusOr<CollectionSchema> DecodeSchema(std::string_view bytes) {
  Reader r(bytes);
  CollectionSchema s;
  uint8_t format;
  uint32_t dim, metric, f[7];
  if (!r.U8(&format) || format != kSchemaFormat || !r.String(&s.name) ||
      !r.U32(&dim) || !r.U32(&metric)) {
    return Corrupt("schema");
  }
  for (uint32_t& v : f) {
    if (!r.U32(&v)) return Corrupt("schema index");
  }
  if (!r.done() || metric < 1 || metric > 3 || f[0] > 3) {
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
  return s;
}

}  // namespace metricdb
