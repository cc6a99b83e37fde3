// AttributePostings: for each attribute field, the record ids by value, in
// value order (so that a range is a walk over the values it covers), and by
// numeric value for the values that read as numbers (FilterNumber); what one
// comparison of a filter (filter_expression.h) selects, as an IdBitmap.
//
// Not thread-safe: RecordCatalogue, its owner, is guarded by its collection.
#ifndef METRICDB_ENGINE_COLLECTION_ATTRIBUTE_POSTINGS_H_
#define METRICDB_ENGINE_COLLECTION_ATTRIBUTE_POSTINGS_H_

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/base/filter_expression.h"
#include "engine/index/vector_index.h"

namespace metricdb {

// A set of record ids as bits; ids are small (a collection numbers its
// records from 0).
class IdBitmap final : public IdFilter {
 public:
  void Set(int64_t id) {
    const size_t w = size_t(id) >> 6;
    if (w >= words_.size()) words_.resize(w + 1, 0);
    words_[w] |= uint64_t(1) << (id & 63);
  }
  void Clear(int64_t id) {
    const size_t w = size_t(id) >> 6;
    if (w < words_.size()) words_[w] &= ~(uint64_t(1) << (id & 63));
  }
  bool Allows(int64_t id) const override {
    const size_t w = size_t(id) >> 6;
    return id >= 0 && w < words_.size() && (words_[w] >> (id & 63)) & 1;
  }
  void And(const IdBitmap& o);
  void Or(const IdBitmap& o);
  void AndNot(const IdBitmap& o);
  int64_t Count() const;
  // Calls f(id) for each id in the set, in increasing order.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      for (uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        f(int64_t(w * 64 + size_t(__builtin_ctzll(bits))));
      }
    }
  }

 private:
  std::vector<uint64_t> words_;
};

class AttributePostings {
 public:
  void Add(int64_t id, const std::string& field, const std::string& value);
  void Remove(int64_t id, const std::string& field, const std::string& value);
  // Adds to `out` the ids whose `field` compares with `literal` as `op` says.
  void Collect(const std::string& field, FilterNode::Op op, const FilterValue& literal,
               IdBitmap* out) const;

 private:
  using Ids = absl::flat_hash_set<int64_t>;
  struct Field {
    std::map<std::string, Ids> by_text;
    std::map<double, Ids> by_number;
  };
  std::unordered_map<std::string, Field> fields_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_ATTRIBUTE_POSTINGS_H_
