// Graph construction of QuantizedHnswIndex (see its header): insertion as in
// hnswlib's addPoint, with distances on codes.
#include <algorithm>
#include <queue>

#include "engine/index/quantized_hnsw_index.h"
#include "engine/index/visited_marks.h"

namespace metricdb {
namespace {

// The most links a node has above the base layer (the largest M).
constexpr size_t kMaxUpperLinks = 256;

}  // namespace

uint32_t QuantizedHnswIndex::GreedyClosest(const Query& q, uint32_t start, int from_level,
                                           int to_level, bool locked) const {
  uint32_t cur = start;
  float cur_d = CodeDistance(q, cur);
  uint32_t next[kMaxUpperLinks];
  for (int level = from_level; level > to_level; --level) {
    for (bool changed = true; changed;) {
      changed = false;
      uint32_t n;
      {
        std::unique_lock<std::mutex> lock(lock_of(cur), std::defer_lock);
        if (locked) lock.lock();
        const uint32_t* list = links(cur, level);
        n = list[0];
        std::copy(list + 1, list + 1 + n, next);
      }
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t node = next[i];
        const float d = CodeDistance(q, node);
        if (d < cur_d) {
          cur_d = d;
          cur = node;
          changed = true;
        }
      }
    }
  }
  return cur;
}

std::vector<QuantizedHnswIndex::Candidate> QuantizedHnswIndex::SearchLayer(const Query& q,
                                                                           uint32_t start,
                                                                           int level,
                                                                           size_t ef) const {
  VisitedMarks& marks = VisitedMarks::ForThisThread(capacity_);
  std::priority_queue<Candidate> top;  // farthest on top
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> frontier;
  const float d0 = CodeDistance(q, start);
  top.emplace(d0, start);
  frontier.emplace(d0, start);
  marks.Visit(start);
  std::vector<uint32_t> next;
  while (!frontier.empty()) {
    const Candidate nearest = frontier.top();
    if (nearest.first > top.top().first && top.size() >= ef) break;
    frontier.pop();
    {
      std::lock_guard<std::mutex> lock(lock_of(nearest.second));
      const uint32_t* list = links(nearest.second, level);
      next.assign(list + 1, list + 1 + list[0]);
    }
    for (uint32_t node : next) {
      if (!marks.Visit(node)) continue;
      const float d = CodeDistance(q, node);
      if (top.size() < ef || d < top.top().first) {
        frontier.emplace(d, node);
        top.emplace(d, node);
        if (top.size() > ef) top.pop();
      }
    }
  }
  std::vector<Candidate> out(top.size());
  for (size_t i = out.size(); i-- > 0; top.pop()) out[i] = top.top();
  return out;
}

std::vector<QuantizedHnswIndex::Candidate> QuantizedHnswIndex::SelectNeighbors(
    const std::vector<Candidate>& candidates, size_t m) const {
  if (candidates.size() <= m) return candidates;
  std::vector<Candidate> kept;
  Query q;
  for (const Candidate& c : candidates) {
    if (kept.size() >= m) break;
    // Keep c unless a kept neighbour is closer to it than the base is.
    PrepareFromNode(c.second, &q);
    bool good = true;
    for (const Candidate& r : kept) {
      if (CodeDistance(q, r.second) < c.first) {
        good = false;
        break;
      }
    }
    if (good) kept.push_back(c);
  }
  return kept;
}

void QuantizedHnswIndex::Link(uint32_t from, uint32_t to, float distance, int level) {
  const size_t max = level == 0 ? max_m0_ : max_m_;
  std::lock_guard<std::mutex> lock(lock_of(from));
  uint32_t* list = links(from, level);
  const uint32_t n = list[0];
  for (uint32_t i = 1; i <= n; ++i) {
    if (list[i] == to) return;
  }
  if (n < max) {
    list[n + 1] = to;
    list[0] = n + 1;
    return;
  }
  // Full: choose again among the old links and the new one, by distance to
  // `from`.
  Query q;
  PrepareFromNode(from, &q);
  std::vector<Candidate> candidates;
  candidates.reserve(n + 1);
  candidates.emplace_back(distance, to);
  for (uint32_t i = 1; i <= n; ++i) candidates.emplace_back(CodeDistance(q, list[i]), list[i]);
  std::sort(candidates.begin(), candidates.end());
  const std::vector<Candidate> kept = SelectNeighbors(candidates, max);
  list[0] = uint32_t(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) list[i + 1] = kept[i].second;
}

void QuantizedHnswIndex::Insert(uint32_t node, int level) {
  Query q;
  Prepare(vector(node), &q);
  std::unique_lock<std::mutex> top_lock(entry_mu_);
  const int max_level = max_level_;
  const uint32_t entry = entry_;
  if (entry == kNoNode) {
    entry_ = node;
    max_level_ = level;
    return;
  }
  if (level <= max_level) top_lock.unlock();  // only a new top level keeps it
  uint32_t cur = GreedyClosest(q, entry, max_level, level, /*locked=*/true);
  for (int l = std::min(level, max_level); l >= 0; --l) {
    const std::vector<Candidate> found = SearchLayer(q, cur, l, size_t(spec_.ef_construction));
    const std::vector<Candidate> chosen = SelectNeighbors(found, size_t(spec_.m));
    {
      std::lock_guard<std::mutex> lock(lock_of(node));
      uint32_t* list = links(node, l);
      list[0] = uint32_t(chosen.size());
      for (size_t i = 0; i < chosen.size(); ++i) list[i + 1] = chosen[i].second;
    }
    for (const Candidate& c : chosen) Link(c.second, node, c.first, l);
    cur = found.front().second;
  }
  if (level > max_level) {
    entry_ = node;
    max_level_ = level;
  }
}

}  // namespace metricdb
