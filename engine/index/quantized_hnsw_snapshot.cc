// Snapshots of QuantizedHnswIndex: magic, the parameters, the quantiser's
// ranges (and, with code_dims, the projection: magic QHNSW002; without,
// QHNSW001, as before there was one), then per node its level, base links, upper links, code,
// record id, deleted flag and full vector (so a restart needs no re-encoding and no store scan for
// the vectors).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/base/bytes.h"
#include "engine/base/faiss_call.h"
#include "engine/index/quantized_hnsw_index.h"

namespace metricdb {
namespace {

constexpr char kMagic[] = "QHNSW001";
constexpr char kMagicProjected[] = "QHNSW002";

// Appends rows [0, n) of `rows`.
template <typename T>
void AppendRows(const ChunkedRows<T>& rows, size_t n, std::string* out) {
  rows.ForEachRun(n, [&](const T* data, size_t count) {
    out->append(reinterpret_cast<const char*>(data), count * rows.width() * sizeof(T));
  });
}

// Reads rows [0, n) of `rows` (false if short).
template <typename T>
bool ReadRows(ByteReader* r, size_t n, ChunkedRows<T>* rows) {
  bool ok = true;
  rows->ForEachRun(n, [&](const T* data, size_t count) {
    ok = ok && r->Raw(count * rows->width() * sizeof(T), const_cast<T*>(data));
  });
  return ok;
}

}  // namespace

absl::Status QuantizedHnswIndex::Serialize(std::string* out) const {
  out->append(projection_.on() ? kMagicProjected : kMagic, 8);
  PutPod<uint64_t>(out, uint64_t(dim_));
  PutPod<uint64_t>(out, uint64_t(spec_.m));
  PutPod<uint32_t>(out, uint32_t(quantizer_.bits()));
  PutPod<uint64_t>(out, count_);
  PutPod<int32_t>(out, int32_t(max_level_));
  PutPod<uint32_t>(out, entry_);
  PutPod<int64_t>(out, trained_on_);
  quantizer_.Serialize(out);
  if (projection_.on()) projection_.Serialize(out);
  AppendRows(levels_, count_, out);
  AppendRows(links0_, count_, out);
  for (size_t i = 0; i < count_; ++i) {
    if (const uint8_t level = *levels_.row(i); level > 0) {
      out->append(reinterpret_cast<const char*>(*upper_.row(i)),
                  size_t(level) * (1 + max_m_) * sizeof(uint32_t));
    }
  }
  // The packed codes only: a row's rest is made from them (FinishCode).
  for (size_t i = 0; i < count_; ++i) {
    out->append(reinterpret_cast<const char*>(codes_.row(i)), quantizer_.packed_size());
  }
  AppendRows(labels_, count_, out);
  AppendRows(deleted_, count_, out);
  if (count_ > 0) out->append(vectors_.row(0), count_ * size_t(dim_) * sizeof(float));
  return absl::OkStatus();
}

absl::Status QuantizedHnswIndex::Deserialize(std::string_view bytes) {
  auto corrupt = [](const char* why) {
    return absl::DataLossError(absl::StrCat("quantised HNSW snapshot: ", why));
  };
  if (count_ != 0) return absl::FailedPreconditionError("Deserialize needs an empty index");
  const std::string_view magic = bytes.substr(0, std::min<size_t>(bytes.size(), 8));
  const bool projected = magic == std::string_view(kMagicProjected, 8);
  if (!projected && magic != std::string_view(kMagic, 8)) {
    return corrupt("not a quantised HNSW graph");
  }
  ByteReader r(bytes.substr(8));
  uint64_t dim = 0, m = 0, count = 0;
  uint32_t bits = 0, entry = 0;
  int32_t max_level = 0;
  int64_t trained_on = 0;
  if (!r.Pod(&dim) || !r.Pod(&m) || !r.Pod(&bits) || !r.Pod(&count) || !r.Pod(&max_level) ||
      !r.Pod(&entry) || !r.Pod(&trained_on)) {
    return corrupt("short header");
  }
  if (dim != uint64_t(dim_) || m != uint64_t(spec_.m) || bits != uint32_t(quantizer_.bits()) ||
      projected != projection_.on()) {
    return corrupt("different schema");
  }
  const size_t per_node = 1 + (1 + max_m0_) * sizeof(uint32_t) + quantizer_.packed_size() +
                          sizeof(int64_t) + 1 + size_t(dim_) * sizeof(float);
  if (count >= kNoNode || max_level < -1 || max_level > 63 || trained_on < 0 ||
      (count > 0 && (entry >= count || max_level < 0)) || (count == 0 && max_level != -1)) {
    return corrupt("bad header values");
  }
  if (!quantizer_.Deserialize(&r)) return corrupt("bad code ranges");
  if (projected && (!projection_.Deserialize(&r) || (count > 0 && !projection_.trained()))) {
    return corrupt("bad projection");
  }
  // A damaged count must not size the index.
  if (count > r.rest().size() / per_node) return corrupt("more nodes than bytes");
  if (auto s = Reserve(count); !s.ok()) return s;
  if (!ReadRows(&r, count, &levels_)) return corrupt("short levels");
  for (size_t i = 0; i < count; ++i) {
    if (*levels_.row(i) > max_level) return corrupt("bad node level");
  }
  if (!ReadRows(&r, count, &links0_)) return corrupt("short base links");
  absl::Status made = FaissCall("reading quantised HNSW snapshot", [&] {
    for (size_t i = 0; i < count; ++i) {
      if (const uint8_t level = *levels_.row(i); level > 0) {
        delete[] * upper_.row(i);
        *upper_.row(i) = new uint32_t[size_t(level) * (1 + max_m_)];
        upper_levels_ += level;
      }
    }
  });
  if (!made.ok()) return made;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t level = *levels_.row(i);
    if (level > 0 && !r.Raw(size_t(level) * (1 + max_m_) * sizeof(uint32_t), *upper_.row(i))) {
      return corrupt("short upper links");
    }
  }
  for (size_t i = 0; i < count; ++i) {
    if (!r.Raw(quantizer_.packed_size(), codes_.row(i))) return corrupt("short codes");
    quantizer_.FinishCode(codes_.row(i));
  }
  if (!ReadRows(&r, count, &labels_) || !ReadRows(&r, count, &deleted_) ||
      (count > 0 && !r.Raw(count * size_t(dim_) * sizeof(float), vectors_.row(0)))) {
    return corrupt("short nodes");
  }
  if (!r.done()) return corrupt("trailing bytes");
  // A list at `level` may only hold nodes that reach that level.
  auto links_ok = [&](const uint32_t* list, size_t max, int level) {
    if (list[0] > max) return false;
    for (uint32_t j = 1; j <= list[0]; ++j) {
      if (list[j] >= count || *levels_.row(list[j]) < level) return false;
    }
    return true;
  };
  count_ = count;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t deleted = *deleted_.row(i);
    bool ok = links_ok(links(uint32_t(i), 0), max_m0_, 0) && deleted <= 1;
    for (int l = 1; ok && l <= *levels_.row(i); ++l) {
      ok = links_ok(links(uint32_t(i), l), max_m_, l);
    }
    if (ok && !deleted) ok = node_of_.insert(uint32_t(i)).second;
    if (!ok) {
      count_ = 0;
      node_of_.clear();
      return corrupt("bad links, flags or repeated ids");
    }
    deleted_count_ += deleted;
  }
  if (count > 0 && *levels_.row(entry) != max_level) {
    count_ = 0;
    node_of_.clear();
    deleted_count_ = 0;
    return corrupt("bad entry point");
  }
  entry_ = count > 0 ? entry : kNoNode;
  max_level_ = max_level;
  trained_on_ = trained_on;
  return absl::OkStatus();
}

}  // namespace metricdb
