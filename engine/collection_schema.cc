#include "engine/collection_schema.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

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

absl::Status ValidateCollectionName(std::string_view name,
                                    std::string_view field) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ": must be 1 to 64 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(field), ": \"", absl::CHexEscape(std::string(name)),
                       "\" may only use letters, digits, '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSchema(const CollectionSchema& schema) {
  if (auto s = ValidateCollectionName(schema.name, "schema.name"); !s.ok()) {
    return s;
  }
  if (schema.dim < 1 || schema.dim > kMaxDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schema.dim: must be in [1, ", kMaxDim, "], got ", schema.dim));
  }
  if (schema.index.kind != IndexSpec::Kind::kFlat) {
    return absl::UnimplementedError(
        absl::StrCat("schema.index: ", std::string(IndexKindName(schema.index.kind)),
                     " indexes are not served yet; use flat"));
  }
  return absl::OkStatus();
}

}  // namespace metricdb
