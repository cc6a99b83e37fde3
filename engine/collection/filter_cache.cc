#include "engine/collection/filter_cache.h"

namespace metricdb {

std::shared_ptr<const IdBitmap> FilterCache::Get(const std::string& text, uint64_t version,
                                                 const std::function<IdBitmap()>& make) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->text != text || it->version != version) continue;
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().bitmap;
    }
  }
  // Made outside the lock: other filters need not wait for this one.
  auto bitmap = std::make_shared<const IdBitmap>(make());
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool stale = it->text == text || it->version < version;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  entries_.push_front({text, version, bitmap});
  if (entries_.size() > capacity_) entries_.pop_back();
  return bitmap;
}

}  // namespace metricdb
