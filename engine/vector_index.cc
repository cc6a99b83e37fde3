#include "engine/vector_index.h"

#include "absl/strings/str_cat.h"
#include "engine/flat_vector_index.h"

namespace metricdb {

absl::StatusOr<std::unique_ptr<VectorIndex>> MakeVectorIndex(
    const CollectionSchema& schema) {
  if (schema.index.kind != IndexSpec::Kind::kFlat) {
    return absl::UnimplementedError(absl::StrCat(
        std::string(IndexKindName(schema.index.kind)), " indexes are not served yet"));
  }
  return std::make_unique<FlatVectorIndex>(schema.dim, schema.metric);
}

}  // namespace metricdb
