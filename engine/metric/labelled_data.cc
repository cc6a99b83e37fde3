#include "engine/metric/labelled_data.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <unordered_map>

namespace metricdb {

void LabelledData::Append(const LabelledData& from, int64_t i) {
  x.insert(x.end(), from.row(i), from.row(i) + dim);
  label.push_back(from.label[i]);
}

int64_t LabelledData::CountIdentities() const {
  std::vector<int32_t> l = label;
  std::sort(l.begin(), l.end());
  return std::unique(l.begin(), l.end()) - l.begin();
}

int64_t LabelledData::CountRepeatedIdentities() const {
  std::unordered_map<int32_t, int64_t> counts;
  for (int32_t l : label) ++counts[l];
  int64_t repeated = 0;
  for (const auto& [l, n] : counts) repeated += n >= 2;
  return repeated;
}

void SplitHoldout(const LabelledData& all, HoldoutSplit split, double fraction, uint64_t seed,
                  LabelledData* train, LabelledData* eval) {
  *train = LabelledData{all.dim, {}, {}};
  *eval = LabelledData{all.dim, {}, {}};
  if (fraction <= 0) {
    *train = all;
    *eval = all;
    return;
  }
  std::mt19937_64 rng(seed);
  std::unordered_map<int32_t, std::vector<int64_t>> members;
  std::vector<int32_t> identities;
  for (int64_t i = 0; i < all.size(); ++i) {
    auto& m = members[all.label[i]];
    if (m.empty()) identities.push_back(all.label[i]);
    m.push_back(i);
  }
  std::sort(identities.begin(), identities.end());  // independent of hash order
  std::vector<bool> to_eval(all.size(), false);
  if (split == HoldoutSplit::kByIdentity) {
    std::shuffle(identities.begin(), identities.end(), rng);
    const size_t held = size_t(std::llround(fraction * double(identities.size())));
    for (size_t j = 0; j < held; ++j) {
      for (int64_t i : members[identities[j]]) to_eval[i] = true;
    }
  } else {
    for (int32_t id : identities) {
      auto& m = members[id];
      std::shuffle(m.begin(), m.end(), rng);
      size_t held = size_t(std::llround(fraction * double(m.size())));
      if (held == 0 && m.size() >= 2) held = 1;
      for (size_t j = 0; j < held; ++j) to_eval[m[j]] = true;
    }
  }
  for (int64_t i = 0; i < all.size(); ++i) (to_eval[i] ? eval : train)->Append(all, i);
}

LabelledData Subsample(const LabelledData& data, int64_t max, uint64_t seed) {
  if (data.size() <= max) return data;
  std::vector<int64_t> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(max);
  std::sort(order.begin(), order.end());
  LabelledData out{data.dim, {}, {}};
  out.x.reserve(max * data.dim);
  for (int64_t i : order) out.Append(data, i);
  return out;
}

absl::StatusOr<LabelledData> SampleLabelled(const RecordSource& source, int64_t max, uint64_t seed,
                                            const std::string& filter) {
  auto sample = source.SampleRecords({LabelScope::kLabelled, {}, filter}, max, seed);
  if (!sample.ok()) return sample.status();
  LabelledData data;
  data.dim = sample->dim;
  data.x = std::move(sample->x);
  std::unordered_map<std::string, int32_t> numbers;
  for (const auto& label : sample->labels) {
    data.label.push_back(numbers.emplace(*label, int32_t(numbers.size())).first->second);
  }
  return data;
}

}  // namespace metricdb
