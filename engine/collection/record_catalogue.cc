#include "engine/collection/record_catalogue.h"

#include <algorithm>
#include <cstdint>

namespace metricdb {

// Label restriction: a filter over record ids, checked by the index. An
// empty `allowed` admits every label.
class RecordCatalogue::Filter final : public IdFilter {
 public:
  Filter(const std::unordered_map<int64_t, Entry>& entries, std::vector<bool> allowed,
         LabelScope scope)
      : entries_(entries), allowed_(std::move(allowed)), scope_(scope) {}
  bool Allows(int64_t id) const override {
    auto it = entries_.find(id);
    if (it == entries_.end()) return false;
    const int32_t label = it->second.label;
    if (scope_ == LabelScope::kUnlabelled) return label < 0;
    if (label < 0) return scope_ == LabelScope::kAll && allowed_.empty();
    return allowed_.empty() || allowed_[label];
  }

 private:
  const std::unordered_map<int64_t, Entry>& entries_;
  std::vector<bool> allowed_;
  LabelScope scope_;
};

namespace {
// Labels' postings field: not a name the filter language can write.
const std::string kLabelField = "\x01label";
}  // namespace

void RecordCatalogue::Add(int64_t id, std::string key, const std::optional<std::string>& label,
                          std::map<std::string, std::string> attributes, int64_t expires_unix_ms) {
  ++version_;
  Entry entry{std::move(key), -1, std::move(attributes), expires_unix_ms};
  if (expires_unix_ms != 0) expiring_.emplace(expires_unix_ms, id);
  for (const auto& [field, value] : entry.attributes) postings_.Add(id, field, value);
  if (label) postings_.Add(id, kLabelField, *label);
  live_.Set(id);
  if (label) {
    auto [it, added] = label_ids_.emplace(*label, int32_t(label_names_.size()));
    if (added) {
      label_names_.push_back(*label);
      label_sizes_.push_back(0);
    }
    entry.label = it->second;
  }
  if (entry.label >= 0 && label_sizes_[entry.label]++ == 0) ++label_count_;
  if (entry.label < 0) ++unlabelled_count_;
  key_ids_[entry.key] = id;
  entries_.emplace(id, std::move(entry));
}

void RecordCatalogue::Remove(int64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  ++version_;
  const int32_t label = it->second.label;
  if (label >= 0 && --label_sizes_[label] == 0) --label_count_;
  if (label < 0) --unlabelled_count_;
  for (const auto& [field, value] : it->second.attributes) postings_.Remove(id, field, value);
  if (label >= 0) postings_.Remove(id, kLabelField, label_names_[label]);
  live_.Clear(id);
  key_ids_.erase(it->second.key);
  if (const int64_t expiry = it->second.expires_unix_ms; expiry != 0) {
    for (auto e = expiring_.find(expiry); e != expiring_.end() && e->first == expiry; ++e) {
      if (e->second == id) {
        expiring_.erase(e);
        break;
      }
    }
  }
  entries_.erase(it);
}

std::vector<int64_t> RecordCatalogue::ExpiredBy(int64_t now_ms) const {
  std::vector<int64_t> out;
  for (auto it = expiring_.begin(); it != expiring_.end() && it->first <= now_ms; ++it) {
    out.push_back(it->second);
  }
  return out;
}

int64_t RecordCatalogue::NextExpiry() const {
  return expiring_.empty() ? INT64_MAX : expiring_.begin()->first;
}

int64_t RecordCatalogue::IdOf(const std::string& key) const {
  auto it = key_ids_.find(key);
  return it == key_ids_.end() ? -1 : it->second;
}

bool RecordCatalogue::LabelMask(absl::Span<const std::string> labels,
                                std::vector<bool>* mask) const {
  mask->assign(label_names_.size(), false);
  bool any = false;
  for (const std::string& label : labels) {
    auto it = label_ids_.find(label);
    if (it != label_ids_.end()) (*mask)[it->second] = any = true;
  }
  return any;
}

void RecordCatalogue::CollectLabelled(absl::Span<const std::string> labels,
                                      std::unordered_set<int64_t>* out) const {
  std::vector<bool> wanted;
  if (labels.empty() || !LabelMask(labels, &wanted)) return;
  for (const auto& [id, entry] : entries_) {
    if (entry.label >= 0 && wanted[entry.label]) out->insert(id);
  }
}

std::vector<int64_t> RecordCatalogue::Select(LabelScope scope,
                                             absl::Span<const std::string> labels) const {
  std::vector<bool> wanted;
  if (!labels.empty()) LabelMask(labels, &wanted);
  std::vector<int64_t> ids;
  for (const auto& [id, entry] : entries_) {
    const bool labelled = entry.label >= 0;
    if (scope == LabelScope::kLabelled && !labelled) continue;
    if (scope == LabelScope::kUnlabelled && labelled) continue;
    if (!wanted.empty() && !(labelled && wanted[entry.label])) continue;
    ids.push_back(id);
  }
  return ids;
}

std::unique_ptr<IdFilter> RecordCatalogue::SearchFilter(LabelScope scope,
                                                        absl::Span<const std::string> labels,
                                                        bool* empty) const {
  *empty = false;
  if (!labels.empty()) {
    std::vector<bool> allowed;
    if (!LabelMask(labels, &allowed) || scope == LabelScope::kUnlabelled) {
      *empty = true;  // no record carries any of these labels
      return nullptr;
    }
    return std::make_unique<Filter>(entries_, std::move(allowed), scope);
  }
  if (scope == LabelScope::kAll) return nullptr;
  // A filter slows the index down: skip it when the scope is everything.
  const int64_t in_scope =
      scope == LabelScope::kLabelled ? size() - unlabelled_count_ : unlabelled_count_;
  if (in_scope == 0) {
    *empty = true;
    return nullptr;
  }
  if (in_scope == size()) return nullptr;
  return std::make_unique<Filter>(entries_, std::vector<bool>(), scope);
}

void RecordCatalogue::CollectLeaf(const FilterNode& leaf, IdBitmap* out) const {
  FilterNode::Op op = leaf.kind == FilterNode::Kind::kIn ? FilterNode::Op::kEq : leaf.op;
  if (leaf.field == "key") {
    for (const FilterValue& v : leaf.values) {
      if (op == FilterNode::Op::kEq && !v.is_number) {
        if (int64_t id = IdOf(v.text); id >= 0) out->Set(id);
        continue;
      }
      for (const auto& [id, entry] : entries_) {
        if (FilterCompare(entry.key, op, v)) out->Set(id);
      }
    }
    return;
  }
  const std::string& field = leaf.field == "label" ? kLabelField : leaf.field;
  for (const FilterValue& v : leaf.values) postings_.Collect(field, op, v, out);
}

IdBitmap RecordCatalogue::Matching(const FilterNode& filter) const {
  IdBitmap out;
  switch (filter.kind) {
    case FilterNode::Kind::kAnd:
    case FilterNode::Kind::kOr:
      out = Matching(filter.children[0]);
      for (size_t i = 1; i < filter.children.size(); ++i) {
        const IdBitmap other = Matching(filter.children[i]);
        if (filter.kind == FilterNode::Kind::kAnd) {
          out.And(other);
        } else {
          out.Or(other);
        }
      }
      return out;
    case FilterNode::Kind::kNot:
      out = live_;
      out.AndNot(Matching(filter.children[0]));
      return out;
    case FilterNode::Kind::kCompare:
    case FilterNode::Kind::kIn:
      CollectLeaf(filter, &out);
      return out;
  }
  return out;
}

RecordCatalogue::Selector RecordCatalogue::Selecting(LabelScope scope,
                                                     absl::Span<const std::string> labels,
                                                     const IdBitmap* matching) const {
  // The scope and labels as a search restricts them (SearchFilter).
  bool none = false;
  std::shared_ptr<const IdFilter> in_scope = SearchFilter(scope, labels, &none);
  if (none) return [](int64_t) { return false; };
  return [in_scope = std::move(in_scope), matching](int64_t id) {
    return (matching == nullptr || matching->Allows(id)) &&
           (in_scope == nullptr || in_scope->Allows(id));
  };
}

std::vector<int64_t> RecordCatalogue::PageByKey(const std::string& after, int64_t limit,
                                                const Selector& selected, bool* more) const {
  std::vector<int64_t> ids;
  *more = false;
  auto it = after.empty() ? key_ids_.begin() : key_ids_.upper_bound(after);
  for (; it != key_ids_.end(); ++it) {
    if (!selected(it->second)) continue;
    if (int64_t(ids.size()) == limit) {
      *more = true;
      break;
    }
    ids.push_back(it->second);
  }
  return ids;
}

std::vector<std::pair<std::string, int64_t>> RecordCatalogue::LabelCounts(const std::string& after,
                                                                          int64_t limit,
                                                                          const Selector* selected,
                                                                          bool* more) const {
  std::vector<int64_t> counts = label_sizes_;
  if (selected) {
    std::fill(counts.begin(), counts.end(), 0);
    for (const auto& [id, entry] : entries_) {
      if (entry.label >= 0 && (*selected)(id)) ++counts[entry.label];
    }
  }
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t l = 0; l < counts.size(); ++l) {
    if (counts[l] > 0 && label_names_[l] > after) out.emplace_back(label_names_[l], counts[l]);
  }
  *more = int64_t(out.size()) > limit;
  if (*more) {
    std::nth_element(out.begin(), out.begin() + limit, out.end());
    out.resize(limit);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void RecordCatalogue::Relabel(int64_t id, const std::string& label) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry entry = it->second;  // Remove reads the entry's key and attributes
  Remove(id);
  Add(id, std::move(entry.key), label, std::move(entry.attributes), entry.expires_unix_ms);
}

}  // namespace metricdb
