// Collection: mapping stored vectors into the metric space in force (the
// checks of input vectors and batches are in vector_form.h).
#include "engine/collection/collection.h"
#include "engine/collection/vector_form.h"

namespace metricdb {

std::vector<float> Collection::RowsToMetricSpace(const std::vector<float>& rows,
                                                 MetricSpace* space) const {
  std::shared_ptr<const LinearMap> map;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    map = map_;
  }
  std::vector<float> out = rows;
  ToIndexForm(schema_, map.get(), &out);
  *space = SpaceOf(schema_, map.get());
  return out;
}

}  // namespace metricdb
