// VisitedMarks: which graph nodes a search has visited, per thread: a tag
// per node, valid when equal to the current search's tag, so starting a
// search costs nothing (hnswlib's VisitedList, without a shared pool). A
// byte per node, so that a million nodes' marks stay in a core's L2 cache;
// every 255 searches the marks are cleared.
#ifndef METRICDB_ENGINE_INDEX_VISITED_MARKS_H_
#define METRICDB_ENGINE_INDEX_VISITED_MARKS_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace metricdb {

class VisitedMarks {
 public:
  // This thread's marks, cleared for a new search over up to `nodes` nodes.
  static VisitedMarks& ForThisThread(size_t nodes) {
    thread_local VisitedMarks marks;
    marks.Start(nodes);
    return marks;
  }
  // True the first time `node` is visited in this search.
  bool Visit(uint32_t node) {
    if (tags_[node] == tag_) return false;
    tags_[node] = tag_;
    return true;
  }

 private:
  void Start(size_t nodes) {
    if (tags_.size() < nodes) tags_.resize(nodes, 0);
    if (++tag_ == 0) {  // wrapped: old tags could collide
      std::fill(tags_.begin(), tags_.end(), 0);
      tag_ = 1;
    }
  }
  std::vector<uint8_t> tags_;
  uint8_t tag_ = 0;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_VISITED_MARKS_H_
