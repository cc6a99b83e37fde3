// One conformance suite run for every VectorIndex type (typed tests): what
// the rest of the engine relies on, whatever FAISS or hnswlib index is
// inside — add/remove/search against the brute-force oracle, id filters,
// a snapshot round trip, and damaged snapshot bytes refused without a crash.
// Exact indexes must equal the oracle; approximate ones must reach a recall.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "engine/base/metric.h"
#include "engine/index/vector_index.h"
#include "tests/testing/index_specs.h"
#include "tests/testing/oracle.h"
#include "tests/testing/status_matchers.h"

namespace metricdb {
namespace {

constexpr int kDim = 16;
constexpr int kRecords = 3000;
constexpr int kQueries = 40;
constexpr int kK = 10;

struct Flat {
  static IndexSpec Spec() { return {}; }
  static constexpr double kMinRecall = 1.0;  // exact
};
struct Hnsw {
  static IndexSpec Spec() { return testing::Hnsw(); }
  static constexpr double kMinRecall = 0.95;
};
struct HnswSq8 {
  static IndexSpec Spec() { return testing::QuantizedHnsw(IndexSpec::Quantization::kSq8); }
  static constexpr double kMinRecall = 0.95;
};
struct HnswSq4 {
  static IndexSpec Spec() { return testing::QuantizedHnsw(IndexSpec::Quantization::kSq4); }
  static constexpr double kMinRecall = 0.95;
};
// Codes of 14 of the 16 axes. Random data is the hardest case for a
// projection (every axis matters equally: the two dropped take an eighth of
// every distance; measured 0.95 here, 0.69 with 12 axes); embeddings of low
// intrinsic dimension keep far more (ProjectedQuantizedHnswTest).
struct HnswSq8Projected {
  static IndexSpec Spec() { return testing::ProjectedHnsw(IndexSpec::Quantization::kSq8, 14); }
  static constexpr double kMinRecall = 0.9;
};
struct IvfFlat {
  // Every list probed: exact once trained.
  static IndexSpec Spec() { return testing::IvfFlat(/*nlist=*/16, /*nprobe=*/16); }
  static constexpr double kMinRecall = 1.0;
};
struct IvfPq {
  static IndexSpec Spec() { return testing::IvfPq(/*nlist=*/16, /*nprobe=*/16, /*m=*/8); }
  static constexpr double kMinRecall = 0.4;  // lossy codes (8 bytes a vector)
};

template <typename Type>
class VectorIndexConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_.name = "c";
    schema_.dim = kDim;
    schema_.index = Type::Spec();
    ASSERT_OK(ResolveIndexSpec(kDim, &schema_.index));
    base_ = testing::RandomVectors(kRecords, kDim, 7);
    queries_ = testing::RandomVectors(kQueries, kDim, 8);
    index_ = Make();
    std::vector<int64_t> ids(kRecords);
    for (int i = 0; i < kRecords; ++i) ids[i] = i;
    ASSERT_OK(index_->Add(ids, base_.data()));
    ASSERT_OK(index_->Train());  // IVF trains on what it holds; others: no-op
  }

  std::unique_ptr<VectorIndex> Make() const {
    auto index = MakeVectorIndex(schema_);
    EXPECT_OK(index);
    return index.ok() ? std::move(*index) : nullptr;
  }

  // Ids per query (k slots each, -1 padded) from `index`.
  std::vector<int64_t> Search(const VectorIndex& index, const IdFilter* filter = nullptr) const {
    std::vector<float> distances;
    std::vector<int64_t> ids;
    EXPECT_OK(index.Search(queries_.data(), kQueries, kK, filter, {}, &distances, &ids));
    EXPECT_EQ(ids.size(), size_t(kQueries * kK));
    EXPECT_EQ(distances.size(), size_t(kQueries * kK));
    return ids;
  }

  // Fraction of the oracle's k nearest (among rows `allowed` admits) found.
  double Recall(const std::vector<int64_t>& got, const std::vector<bool>* allowed) const {
    int64_t found = 0, wanted = 0;
    for (int q = 0; q < kQueries; ++q) {
      std::set<int64_t> truth;
      for (const auto& [d, i] : testing::OracleKnn(testing::OracleMetric::kL2, base_, kDim,
                                                   queries_.data() + q * kDim, kK, allowed)) {
        truth.insert(i);
      }
      wanted += int64_t(truth.size());
      for (int j = 0; j < kK; ++j) found += truth.count(got[q * kK + j]);
    }
    return double(found) / double(wanted);
  }

  CollectionSchema schema_;
  std::vector<float> base_, queries_;
  std::unique_ptr<VectorIndex> index_;
};

using IndexTypes = ::testing::Types<Flat, Hnsw, HnswSq8, HnswSq4, HnswSq8Projected, IvfFlat, IvfPq>;
class TypeNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, Flat>) return "Flat";
    if (std::is_same_v<T, Hnsw>) return "Hnsw";
    if (std::is_same_v<T, HnswSq8>) return "HnswSq8";
    if (std::is_same_v<T, HnswSq4>) return "HnswSq4";
    if (std::is_same_v<T, HnswSq8Projected>) return "HnswSq8Projected";
    if (std::is_same_v<T, IvfFlat>) return "IvfFlat";
    return "IvfPq";
  }
};
TYPED_TEST_SUITE(VectorIndexConformance, IndexTypes, TypeNames);

TYPED_TEST(VectorIndexConformance, SearchMatchesTheOracle) {
  EXPECT_EQ(this->index_->size(), kRecords);
  const std::vector<int64_t> ids = this->Search(*this->index_);
  EXPECT_GE(this->Recall(ids, nullptr), TypeParam::kMinRecall);
  // Distances come closest first.
  std::vector<float> distances;
  std::vector<int64_t> got;
  ASSERT_OK(this->index_->Search(this->queries_.data(), 1, kK, nullptr, {}, &distances, &got));
  EXPECT_TRUE(std::is_sorted(distances.begin(), distances.end()));
}

TYPED_TEST(VectorIndexConformance, RemovedIdsAreNeverFound) {
  std::vector<int64_t> gone;
  std::vector<bool> alive(kRecords, true);
  for (int i = 0; i < kRecords; i += 3) {
    gone.push_back(i);
    alive[i] = false;
  }
  ASSERT_OK(this->index_->Remove(gone));
  ASSERT_OK(this->index_->Remove(gone));  // ids not present are ignored
  EXPECT_EQ(this->index_->size(), kRecords - int64_t(gone.size()));
  const std::vector<int64_t> ids = this->Search(*this->index_);
  for (int64_t id : ids) EXPECT_TRUE(id < 0 || alive[id]) << id;
  EXPECT_GE(this->Recall(ids, &alive), TypeParam::kMinRecall);
  const std::vector<int64_t> held = this->index_->Ids();
  EXPECT_EQ(int64_t(held.size()), this->index_->size());
  for (int64_t id : held) EXPECT_TRUE(alive[id]) << id;
}

TYPED_TEST(VectorIndexConformance, FilteredSearchOnlyReturnsAllowedIds) {
  class EvenIds final : public IdFilter {
   public:
    bool Allows(int64_t id) const override { return id % 2 == 0; }
  } even;
  std::vector<bool> allowed(kRecords);
  for (int i = 0; i < kRecords; ++i) allowed[i] = i % 2 == 0;
  const std::vector<int64_t> ids = this->Search(*this->index_, &even);
  for (int64_t id : ids) EXPECT_TRUE(id >= 0 && id % 2 == 0) << id;
  EXPECT_GE(this->Recall(ids, &allowed), TypeParam::kMinRecall);
}

TYPED_TEST(VectorIndexConformance, CopyVectorsGivesWhatWasAddedOrDeclines) {
  // HNSW (float and quantised) keeps full vectors by id; the others decline.
  const bool keeps = std::is_same_v<TypeParam, Hnsw> || std::is_same_v<TypeParam, HnswSq8> ||
                     std::is_same_v<TypeParam, HnswSq4> ||
                     std::is_same_v<TypeParam, HnswSq8Projected>;
  const std::vector<int64_t> ids = {5, 0, kRecords - 1};
  std::vector<float> out(ids.size() * kDim);
  ASSERT_EQ(this->index_->CopyVectors(ids, out.data()), keeps);
  if (!keeps) return;
  for (size_t i = 0; i < ids.size(); ++i) {
    for (int d = 0; d < kDim; ++d) EXPECT_EQ(out[i * kDim + d], this->base_[ids[i] * kDim + d]);
  }
  ASSERT_OK(this->index_->Remove(std::vector<int64_t>{5}));
  EXPECT_FALSE(this->index_->CopyVectors(ids, out.data())) << "a removed id was copied";
}

TYPED_TEST(VectorIndexConformance, SnapshotRoundTripAnswersTheSame) {
  std::string bytes;
  ASSERT_OK(this->index_->Serialize(&bytes));
  std::unique_ptr<VectorIndex> restored = this->Make();
  ASSERT_OK(restored->Deserialize(bytes));
  EXPECT_EQ(restored->size(), this->index_->size());
  std::vector<int64_t> a = this->index_->Ids(), b = restored->Ids();
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  EXPECT_EQ(this->Search(*restored), this->Search(*this->index_));
  // The restored index keeps working: adds and removes.
  const std::vector<int64_t> more = {kRecords};
  ASSERT_OK(restored->Add(more, this->queries_.data()));
  std::vector<float> distances;
  std::vector<int64_t> got;
  ASSERT_OK(restored->Search(this->queries_.data(), 1, 1, nullptr, {}, &distances, &got));
  EXPECT_EQ(got[0], kRecords);
}

TYPED_TEST(VectorIndexConformance, DamagedSnapshotIsRefused) {
  std::string bytes;
  ASSERT_OK(this->index_->Serialize(&bytes));
  for (size_t size : {size_t(0), size_t(1), bytes.size() / 2, bytes.size() - 1}) {
    std::unique_ptr<VectorIndex> restored = this->Make();
    EXPECT_FALSE(restored->Deserialize(std::string_view(bytes).substr(0, size)).ok())
        << "truncated to " << size << " of " << bytes.size() << " bytes";
  }
}

}  // namespace
}  // namespace metricdb
