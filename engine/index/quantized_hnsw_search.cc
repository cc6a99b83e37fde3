// Search of QuantizedHnswIndex (see its header): greedy descent through the
// upper layers, a beam of width ef on the base layer with distances on
// codes, then the best `rerank` candidates re-ranked on the full vectors.
//
// Memory, not arithmetic, bounds a graph walk: each expansion first gathers
// the unvisited neighbours and requests their codes' first lines together
// (their cache misses overlap), and requests the links of the node likely
// expanded next before computing.
#include <xmmintrin.h>  // _mm_prefetch

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>

#include "engine/index/distance_kernels.h"
#include "engine/index/quantized_hnsw_index.h"
#include "engine/index/query_loop.h"
#include "engine/index/visited_marks.h"

namespace metricdb {
namespace {

// Bytes of a neighbour's code, or of a link list, requested ahead.
constexpr size_t kPrefetchBytes = 256;
// The most links a node has (2 * the largest M).
constexpr size_t kMaxLinks = 512;

// Requests the cache lines of [p, p + bytes).
void Prefetch(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(c + off, _MM_HINT_T0);
}

}  // namespace

void QuantizedHnswIndex::PrefetchLinks(uint32_t node) const {
  Prefetch(links(node, 0), std::min((1 + max_m0_) * sizeof(uint32_t), kPrefetchBytes));
}

size_t QuantizedHnswIndex::GatherFresh(uint32_t node, VisitedMarks* marks, uint32_t* fresh) const {
  const uint32_t* list = links(node, 0);
  const uint32_t count = list[0];
  size_t n = 0;
  for (uint32_t i = 1; i <= count; ++i) {
    if (!marks->Visit(list[i])) continue;
    fresh[n++] = list[i];
    Prefetch(code(list[i]), std::min(quantizer_.code_size(), kPrefetchBytes));
  }
  return n;
}

std::vector<QuantizedHnswIndex::Candidate> QuantizedHnswIndex::Beam(const Query& q, uint32_t start,
                                                                    size_t ef) const {
  // The ef best seen so far, closest first; `next` is the closest not yet
  // expanded. A node pushed out of the pool is farther than ef others, so it
  // would never have been expanded.
  struct Entry {
    float distance;
    uint32_t node;
    bool expanded;
  };
  std::vector<Entry> pool;
  pool.reserve(ef + 1);
  VisitedMarks& marks = VisitedMarks::ForThisThread(capacity_);
  marks.Visit(start);
  pool.push_back({CodeDistance(q, start), start, false});
  uint32_t fresh[kMaxLinks];
  for (size_t next = 0; next < pool.size();) {
    const uint32_t node = pool[next].node;
    pool[next].expanded = true;
    const size_t n_fresh = GatherFresh(node, &marks, fresh);
    size_t after = next + 1;
    while (after < pool.size() && pool[after].expanded) ++after;
    if (after < pool.size()) PrefetchLinks(pool[after].node);
    size_t first_new = pool.size();
    for (size_t i = 0; i < n_fresh; ++i) {
      const float d = CodeDistance(q, fresh[i]);
      if (pool.size() == ef && d >= pool.back().distance) continue;
      auto at = std::upper_bound(pool.begin(), pool.end(), d,
                                 [](float v, const Entry& e) { return v < e.distance; });
      const size_t pos = size_t(at - pool.begin());
      pool.insert(at, {d, fresh[i], false});
      if (pool.size() > ef) pool.pop_back();
      if (pos < std::min(first_new, after)) PrefetchLinks(fresh[i]);  // now expanded next
      first_new = std::min(first_new, pos);
    }
    next = std::min(after, first_new);
    while (next < pool.size() && pool[next].expanded) ++next;
  }
  std::vector<Candidate> out(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) out[i] = {pool[i].distance, pool[i].node};
  return out;
}

std::vector<QuantizedHnswIndex::Candidate> QuantizedHnswIndex::BeamRestricted(
    const Query& q, uint32_t start, size_t ef, const IdFilter* filter) const {
  auto allowed = [&](uint32_t node) {
    return !*deleted_.row(node) && (filter == nullptr || filter->Allows(*labels_.row(node)));
  };
  VisitedMarks& marks = VisitedMarks::ForThisThread(capacity_);
  std::priority_queue<Candidate> top;  // allowed nodes, farthest on top
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> frontier;
  float bound = std::numeric_limits<float>::max();
  const float d0 = CodeDistance(q, start);
  if (allowed(start)) {
    top.emplace(d0, start);
    bound = d0;
  }
  frontier.emplace(d0, start);
  marks.Visit(start);
  uint32_t fresh[kMaxLinks];
  while (!frontier.empty()) {
    const Candidate nearest = frontier.top();
    if (nearest.first > bound && top.size() == ef) break;
    frontier.pop();
    const size_t n_fresh = GatherFresh(nearest.second, &marks, fresh);
    if (!frontier.empty()) PrefetchLinks(frontier.top().second);
    for (size_t i = 0; i < n_fresh; ++i) {
      const uint32_t node = fresh[i];
      const float d = CodeDistance(q, node);
      if (top.size() < ef || d < bound) {
        frontier.emplace(d, node);
        if (allowed(node)) {
          top.emplace(d, node);
          if (top.size() > ef) top.pop();
        }
        if (!top.empty()) bound = top.top().first;
      }
    }
  }
  std::vector<Candidate> out(top.size());
  for (size_t i = out.size(); i-- > 0; top.pop()) out[i] = top.top();
  return out;
}

void QuantizedHnswIndex::SearchOne(const float* query, int k, size_t ef, size_t rerank,
                                   const IdFilter* filter, float* distances, int64_t* ids) const {
  Query q;
  Prepare(query, &q);
  const uint32_t start = GreedyClosest(q, entry_, max_level_, 0, /*locked=*/false);
  const bool restricted = filter != nullptr || deleted_count_ > 0;
  std::vector<Candidate> found =
      restricted ? BeamRestricted(q, start, ef, filter) : Beam(q, start, ef);

  // Re-rank the best `rerank` by exact distance on the full vectors (cold:
  // the next one's lines are requested while computing on this one).
  if (found.size() > rerank) found.resize(rerank);
  const size_t row_bytes = size_t(dim_) * sizeof(float);
  if (!found.empty()) Prefetch(vector(found[0].second), row_bytes);
  for (size_t i = 0; i < found.size(); ++i) {
    if (i + 1 < found.size()) Prefetch(vector(found[i + 1].second), row_bytes);
    found[i].first = ExactDistance(query, found[i].second);
  }
  std::sort(found.begin(), found.end());
  const size_t out = std::min(found.size(), size_t(k));
  for (size_t i = 0; i < out; ++i) {
    distances[i] = inner_product_ ? 1.0f - found[i].first : found[i].first;
    ids[i] = *labels_.row(found[i].second);
  }
}

absl::Status QuantizedHnswIndex::Search(const float* queries, int64_t n, int k,
                                        const IdFilter* filter, const SearchTuning& tuning,
                                        std::vector<float>* distances,
                                        std::vector<int64_t>* ids) const {
  distances->assign(n * k, 0.0f);
  ids->assign(n * k, -1);
  if (size() == 0) return absl::OkStatus();
  const size_t rerank = size_t(std::max(k, tuning.rerank > 0 ? tuning.rerank : spec_.rerank));
  const size_t ef = std::max(
      rerank, size_t(std::max(k, tuning.ef_search > 0 ? tuning.ef_search : spec_.ef_search)));
  return RunQueries(n, "searching quantised HNSW index", [&](int64_t q) {
    SearchOne(queries + q * dim_, k, ef, rerank, filter, distances->data() + q * k,
              ids->data() + q * k);
  });
}

}  // namespace metricdb
