#include "engine/collection/attribute_postings.h"

namespace metricdb {

void IdBitmap::And(const IdBitmap& o) {
  if (words_.size() > o.words_.size()) words_.resize(o.words_.size());
  for (size_t w = 0; w < words_.size(); ++w) words_[w] &= o.words_[w];
}

void IdBitmap::Or(const IdBitmap& o) {
  if (words_.size() < o.words_.size()) words_.resize(o.words_.size(), 0);
  for (size_t w = 0; w < o.words_.size(); ++w) words_[w] |= o.words_[w];
}

void IdBitmap::AndNot(const IdBitmap& o) {
  const size_t n = std::min(words_.size(), o.words_.size());
  for (size_t w = 0; w < n; ++w) words_[w] &= ~o.words_[w];
}

int64_t IdBitmap::Count() const {
  int64_t n = 0;
  for (uint64_t w : words_) n += __builtin_popcountll(w);
  return n;
}

void AttributePostings::Add(int64_t id, const std::string& field, const std::string& value) {
  Field& f = fields_[field];
  f.by_text[value].insert(id);
  double number;
  if (FilterNumber(value, &number)) f.by_number[number].insert(id);
}

void AttributePostings::Remove(int64_t id, const std::string& field, const std::string& value) {
  auto fit = fields_.find(field);
  if (fit == fields_.end()) return;
  Field& f = fit->second;
  auto drop = [id](auto& by, const auto& key) {
    auto it = by.find(key);
    if (it == by.end()) return;
    it->second.erase(id);
    if (it->second.empty()) by.erase(it);
  };
  drop(f.by_text, value);
  double number;
  if (FilterNumber(value, &number)) drop(f.by_number, number);
  if (f.by_text.empty()) fields_.erase(fit);
}

namespace {

// Adds the ids of the values of `by` (ordered by key) that compare with
// `key` as `op` says.
template <typename Map, typename Key>
void CollectOrdered(const Map& by, FilterNode::Op op, const Key& key, IdBitmap* out) {
  auto add = [out](auto first, auto last) {
    for (auto it = first; it != last; ++it) {
      for (int64_t id : it->second) out->Set(id);
    }
  };
  switch (op) {
    case FilterNode::Op::kEq: {
      auto it = by.find(key);
      if (it != by.end()) add(it, std::next(it));
      return;
    }
    case FilterNode::Op::kNe: {
      auto it = by.find(key);
      add(by.begin(), it);
      if (it != by.end()) add(std::next(it), by.end());
      return;
    }
    case FilterNode::Op::kLt:
      add(by.begin(), by.lower_bound(key));
      return;
    case FilterNode::Op::kLe:
      add(by.begin(), by.upper_bound(key));
      return;
    case FilterNode::Op::kGt:
      add(by.upper_bound(key), by.end());
      return;
    case FilterNode::Op::kGe:
      add(by.lower_bound(key), by.end());
      return;
  }
}

}  // namespace

void AttributePostings::Collect(const std::string& field, FilterNode::Op op,
                                const FilterValue& literal, IdBitmap* out) const {
  auto fit = fields_.find(field);
  if (fit == fields_.end()) return;
  if (literal.is_number) {
    CollectOrdered(fit->second.by_number, op, literal.number, out);
  } else {
    CollectOrdered(fit->second.by_text, op, literal.text, out);
  }
}

}  // namespace metricdb
