#include "engine/base/collection_schema.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"

namespace metricdb {

std::string_view IndexKindName(IndexSpec::Kind kind) {
  switch (kind) {
    case IndexSpec::Kind::kFlat:
      return "flat";
    case IndexSpec::Kind::kHnsw:
      return "hnsw";
    case IndexSpec::Kind::kIvfFlat:
      return "ivf_flat";
    case IndexSpec::Kind::kIvfPq:
      return "ivf_pq";
  }
  return "unknown";
}

std::string_view QuantizationName(IndexSpec::Quantization q) {
  switch (q) {
    case IndexSpec::Quantization::kNone:
      return "none";
    case IndexSpec::Quantization::kSq8:
      return "sq8";
    case IndexSpec::Quantization::kSq4:
      return "sq4";
  }
  return "unknown";
}

absl::Status ValidateCollectionName(std::string_view name, std::string_view field) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": must be 1 to 64 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(field), ": \"", absl::CHexEscape(std::string(name)),
                       "\" may only use letters, digits, '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

std::string ShardCollectionName(std::string_view name, int32_t shard) {
  return absl::StrCat(std::string(name), ".", shard);
}

absl::Status ValidateLocalCollectionName(std::string_view name, std::string_view field) {
  const size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot + 1 < name.size() && name.size() - dot <= 5 &&
      std::all_of(name.begin() + dot + 1, name.end(), absl::ascii_isdigit)) {
    return ValidateCollectionName(name.substr(0, dot), field);
  }
  return ValidateCollectionName(name, field);
}

absl::Status ValidateSchema(CollectionSchema* schema, bool shard_names) {
  if (auto s = shard_names ? ValidateLocalCollectionName(schema->name, "schema.name")
                           : ValidateCollectionName(schema->name, "schema.name");
      !s.ok()) {
    return s;
  }
  if (schema->shards < 1 || schema->shards > kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema.shards: must be in [1, ", kMaxShards, "], got ", schema->shards));
  }
  if (schema->dim < 1 || schema->dim > kMaxDim) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema.dim: must be in [1, ", kMaxDim, "], got ", schema->dim));
  }
  if (auto s = ValidateAttributeFields(schema->attributes); !s.ok()) return s;
  if (schema->ttl_seconds < 0 || schema->ttl_seconds > kMaxTtlSeconds) {
    return absl::InvalidArgumentError(absl::StrCat("schema.ttl_seconds: must be in [0, ",
                                                   kMaxTtlSeconds, "], got ", schema->ttl_seconds));
  }
  return ResolveIndexSpec(schema->dim, &schema->index);
}

namespace {

// Sets `*value` to `fallback` when it is 0, then checks lo <= value <= hi.
absl::Status Param(const char* name, int32_t* value, int32_t fallback, int32_t lo, int32_t hi) {
  if (*value == 0) *value = fallback;
  if (*value < lo || *value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("index.", name, ": must be in [", lo, ", ", hi, "], got ", *value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ResolveIndexSpec(int32_t dim, IndexSpec* spec) {
  absl::Status s;
  if (spec->kind != IndexSpec::Kind::kHnsw &&
      (spec->quantization != IndexSpec::Quantization::kNone || spec->rerank != 0 ||
       spec->code_dims != 0)) {
    return absl::InvalidArgumentError(
        "index: quantization, rerank and code_dims are HNSW parameters");
  }
  switch (spec->kind) {
    case IndexSpec::Kind::kFlat:
      return absl::OkStatus();
    case IndexSpec::Kind::kHnsw:
      if (!(s = Param("hnsw.m", &spec->m, 32, 2, 256)).ok()) return s;
      if (!(s = Param("hnsw.ef_construction", &spec->ef_construction, 200, 1, 4096)).ok()) {
        return s;
      }
      if (!(s = Param("hnsw.ef_search", &spec->ef_search, 64, 1, 32768)).ok()) return s;
      if (spec->quantization == IndexSpec::Quantization::kNone) {
        if (spec->rerank != 0 || spec->code_dims != 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("index.hnsw.", spec->rerank != 0 ? "rerank" : "code_dims",
                           ": only for a quantised graph (index.hnsw.quantization sq8 or sq4)"));
        }
        return absl::OkStatus();
      }
      if (spec->quantization != IndexSpec::Quantization::kSq8 &&
          spec->quantization != IndexSpec::Quantization::kSq4) {
        return absl::InvalidArgumentError(
            absl::StrCat("index.hnsw.quantization: unknown value ", int(spec->quantization)));
      }
      if (spec->code_dims < 0 || spec->code_dims >= dim) {
        return absl::InvalidArgumentError(absl::StrCat("index.hnsw.code_dims: must be 0 (all ", dim,
                                                       " dimensions) or in [1, ", dim - 1,
                                                       "], got ", spec->code_dims));
      }
      return Param("hnsw.rerank", &spec->rerank, 32, 1, 32768);
    case IndexSpec::Kind::kIvfFlat:
    case IndexSpec::Kind::kIvfPq: {
      const bool pq = spec->kind == IndexSpec::Kind::kIvfPq;
      const std::string prefix = pq ? "ivf_pq." : "ivf_flat.";
      if (!(s = Param((prefix + "nlist").c_str(), &spec->nlist, 256, 1, 65536)).ok()) {
        return s;
      }
      if (!(s = Param((prefix + "nprobe").c_str(), &spec->nprobe, std::min(16, spec->nlist), 1,
                      spec->nlist))
               .ok()) {
        return s;
      }
      if (!pq) return absl::OkStatus();
      if (!(s = Param("ivf_pq.m", &spec->m, dim % 4 == 0 ? dim / 4 : dim, 1, dim)).ok()) {
        return s;
      }
      if (dim % spec->m != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("index.ivf_pq.m: ", spec->m, " does not divide dim ", dim));
      }
      return Param("ivf_pq.nbits", &spec->nbits, 8, 4, 12);
    }
  }
  return absl::InvalidArgumentError("index: unknown kind");
}

int64_t IvfTrainingThreshold(const IndexSpec& spec) {
  int64_t points = spec.nlist;
  if (spec.kind == IndexSpec::Kind::kIvfPq) {
    points = std::max<int64_t>(points, int64_t(1) << spec.nbits);
  }
  return 39 * points;
}

}  // namespace metricdb
