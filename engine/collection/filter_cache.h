// FilterCache: the allowed-record bitmaps of the filters used most recently,
// so that a filter repeated call after call (a tenant, a watchlist, a
// camera) is answered from its postings once per change of the catalogue,
// not once per call. An entry is valid for the catalogue version it was made
// at (RecordCatalogue::version(), bumped by every write); at most `capacity`
// entries, the least recently used dropped first. Thread-safe.
#ifndef METRICDB_ENGINE_COLLECTION_FILTER_CACHE_H_
#define METRICDB_ENGINE_COLLECTION_FILTER_CACHE_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "engine/collection/attribute_postings.h"

namespace metricdb {

class FilterCache {
 public:
  explicit FilterCache(size_t capacity = 16) : capacity_(capacity) {}

  // The bitmap of filter `text` at catalogue `version`: the cached one, or
  // make()'s (then cached). The caller keeps the catalogue at `version` while
  // make() runs.
  std::shared_ptr<const IdBitmap> Get(const std::string& text, uint64_t version,
                                      const std::function<IdBitmap()>& make);

 private:
  struct Entry {
    std::string text;
    uint64_t version;
    std::shared_ptr<const IdBitmap> bitmap;
  };
  const size_t capacity_;
  std::mutex mu_;
  std::list<Entry> entries_;  // most recently used first
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_FILTER_CACHE_H_
