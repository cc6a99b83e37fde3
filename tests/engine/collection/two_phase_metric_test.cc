// Two-phase metric activation (Collection::PrepareMetric): the staged index
// answers beside the one in force, writes reach both, and the swap is
// instant; a search asks for a version by number and never gets another.
#include <gtest/gtest.h>

#include "tests/testing/engine_fixture.h"

namespace metricdb {
namespace {

class TwoPhaseMetricTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    CollectionSchema schema;
    schema.name = "c";
    schema.dim = 2;
    ASSERT_OK_AND_ASSIGN(c_, engine_->CreateCollection(schema));
    // Points on the x axis and one on the y axis.
    ASSERT_OK(c_->Upsert({Rec("x1", 1, 0), Rec("x3", 3, 0), Rec("y2", 0, 2)}));
    StoredMetricVersion v;
    v.map = LinearMap{1, 2, {0.0f, 1.0f}};  // keeps only y: all x points coincide
    v.report_format = 2;                    // the report is opaque to the collection
    ASSERT_OK_AND_ASSIGN(version_, c_->AddMetricVersion(v));
  }
  static Record Rec(std::string key, float x, float y) {
    Record r;
    r.key = std::move(key);
    r.vector = {x, y};
    return r;
  }
  std::vector<SearchHit> Nearest(float x, float y, std::optional<int32_t> version, int k = 3) {
    const float q[2] = {x, y};
    SearchOptions options;
    options.k = k;
    options.metric_version = version;
    auto r = c_->Search({absl::Span<const float>(q, 2)}, options);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (*r)[0] : std::vector<SearchHit>{};
  }
  std::shared_ptr<Collection> c_;
  int32_t version_ = 0;
};

TEST_F(TwoPhaseMetricTest, StagedVersionAnswersBesideTheOneInForce) {
  ASSERT_OK(c_->PrepareMetric(version_));
  EXPECT_EQ(c_->staged_metric_version(), version_);
  EXPECT_EQ(c_->schema().metric_version, 0);  // not in force yet
  // Under L2, (3, 0) is nearest x3; under the map (y only) the x points tie at 0.
  EXPECT_EQ(Nearest(3, 0, std::nullopt)[0].key, "x3");
  EXPECT_EQ(Nearest(3, 0, 0)[0].key, "x3");
  auto staged = Nearest(3, 0, version_);
  EXPECT_FLOAT_EQ(staged[0].distance, 0);
  EXPECT_FLOAT_EQ(staged[1].distance, 0);
  EXPECT_FLOAT_EQ(staged[2].distance, 2);  // y2
  // A version neither in force nor staged is refused, never substituted.
  const float q[2] = {0, 0};
  SearchOptions options;
  options.metric_version = version_ + 1;
  EXPECT_EQ(c_->Search({absl::Span<const float>(q, 2)}, options).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TwoPhaseMetricTest, WritesDuringStagingReachBothIndexesAndTheSwapKeepsThem) {
  ASSERT_OK(c_->PrepareMetric(version_));
  ASSERT_OK(c_->Upsert({Rec("y5", 0, 5)}));
  ASSERT_OK(c_->Delete({"x1"}, {}, ""));
  EXPECT_EQ(Nearest(0, 5, 0, 1)[0].key, "y5");
  EXPECT_EQ(Nearest(0, 5, version_, 1)[0].key, "y5");
  EXPECT_EQ(Nearest(1, 0, version_).size(), 3u);  // x1 is gone from the staged index too
  ASSERT_OK(c_->ActivateMetric(version_));
  EXPECT_EQ(c_->schema().metric_version, version_);
  EXPECT_EQ(c_->staged_metric_version(), 0);
  EXPECT_EQ(Nearest(0, 5, std::nullopt, 1)[0].key, "y5");
  EXPECT_EQ(Nearest(3, 0, version_).size(), 3u);
  // The old version is gone once the new one is in force.
  const float q[2] = {0, 0};
  SearchOptions options;
  options.metric_version = 0;
  EXPECT_EQ(c_->Search({absl::Span<const float>(q, 2)}, options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // In force durably: a restart keeps it.
  c_.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(c_, engine_->GetCollection("c"));
  EXPECT_EQ(c_->schema().metric_version, version_);
}

TEST_F(TwoPhaseMetricTest, ADiscardedStagedVersionIsGone) {
  ASSERT_OK(c_->PrepareMetric(version_));
  c_->DiscardStagedMetric();
  EXPECT_EQ(c_->staged_metric_version(), 0);
  const float q[2] = {0, 0};
  SearchOptions options;
  options.metric_version = version_;
  EXPECT_EQ(c_->Search({absl::Span<const float>(q, 2)}, options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_OK(c_->Upsert({Rec("y7", 0, 7)}));  // writes go to one index again
  EXPECT_EQ(Nearest(0, 7, 0, 1)[0].key, "y7");
}

TEST_F(TwoPhaseMetricTest, ShardNamesAreLocalCollectionNamesOnly) {
  CollectionSchema schema;
  schema.name = ShardCollectionName("faces", 3);
  schema.dim = 2;
  EXPECT_EQ(schema.name, "faces.3");
  ASSERT_OK(engine_->CreateCollection(schema).status());
  EXPECT_OK(engine_->GetCollection("faces.3").status());
  schema.name = "faces.x";
  EXPECT_EQ(engine_->CreateCollection(schema).status().code(), absl::StatusCode::kInvalidArgument);
  schema.name = "faces";
  schema.shards = 2;
  auto refused = engine_->CreateCollection(schema);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("--cluster-etcd"), std::string::npos);
}

}  // namespace
}  // namespace metricdb
