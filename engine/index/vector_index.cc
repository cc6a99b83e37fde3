#include "engine/index/vector_index.h"

#include "absl/strings/str_cat.h"
#include "engine/index/flat_vector_index.h"
#include "engine/index/hnsw_vector_index.h"
#include "engine/index/ivf_vector_index.h"
#include "engine/index/quantized_hnsw_index.h"

namespace metricdb {

absl::StatusOr<std::unique_ptr<VectorIndex>> MakeVectorIndex(const CollectionSchema& schema,
                                                             const IndexPlace& place) {
  switch (schema.index.kind) {
    case IndexSpec::Kind::kFlat:
      return std::make_unique<FlatVectorIndex>(schema.dim, schema.metric);
    case IndexSpec::Kind::kHnsw:
      if (schema.index.quantization != IndexSpec::Quantization::kNone) {
        return std::make_unique<QuantizedHnswIndex>(schema.dim, schema.metric, schema.index,
                                                    place.scratch_dir);
      }
      return std::make_unique<HnswVectorIndex>(schema.dim, schema.metric, schema.index);
    case IndexSpec::Kind::kIvfFlat:
    case IndexSpec::Kind::kIvfPq:
      return std::make_unique<IvfVectorIndex>(schema.dim, schema.metric, schema.index);
  }
  return absl::InvalidArgumentError(absl::StrCat("index: unknown kind ", int(schema.index.kind)));
}

}  // namespace metricdb
