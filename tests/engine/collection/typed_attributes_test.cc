// Typed attributes on a real RocksDB: declared fields are checked on every
// write (INVALID_ARGUMENT naming the record and field, nothing of the batch
// stored), undeclared ones stay free strings; filters are checked against
// the declarations (unknown field, type mismatch, at their positions) for
// every call that takes one; the declarations survive a restart.
#include <gtest/gtest.h>

#include "engine/base/attribute_types.h"
#include "tests/testing/engine_fixture.h"
#include "tests/testing/oracle.h"

namespace metricdb {
namespace {

constexpr int kDim = 4;

CollectionSchema TypedSchema() {
  CollectionSchema schema{"t", kDim, Metric::kL2, {}};
  schema.attributes = {{"camera", AttributeType::kString},
                       {"ts", AttributeType::kTimestamp},
                       {"score", AttributeType::kDouble},
                       {"vip", AttributeType::kBool},
                       {"visits", AttributeType::kInt64}};
  return schema;
}

Record Rec(int i, std::map<std::string, std::string> attributes) {
  return Record{"k" + std::to_string(i), std::vector<float>(kDim, float(i)), std::nullopt,
                std::move(attributes)};
}

class TypedAttributesTest : public testing::EngineFixture {};

TEST_F(TypedAttributesTest, WritesAreCheckedAgainstTheDeclaredTypes) {
  ASSERT_OK_AND_ASSIGN(auto c, engine_->CreateCollection(TypedSchema()));
  std::vector<Record> good;
  for (int i = 0; i < 10; ++i) {
    good.push_back(Rec(i, {{"camera", "c" + std::to_string(i % 3)},
                           {"ts", std::to_string(1700000000 + i)},
                           {"score", std::to_string(0.5 * i)},
                           {"vip", i % 2 ? "true" : "false"},
                           {"visits", std::to_string(-i)},
                           {"note", "anything at all"}}));  // undeclared: free
  }
  ASSERT_OK(c->Upsert(good));

  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> bad = {
      {{{"ts", "yesterday"}}, "records[1].attributes.ts: \"yesterday\" is not a timestamp"},
      {{{"ts", "1.5"}}, "records[1].attributes.ts"},
      {{{"visits", "12abc"}}, "records[1].attributes.visits: \"12abc\" is not an int64"},
      {{{"visits", "99999999999999999999"}}, "records[1].attributes.visits"},
      {{{"score", "nan"}}, "records[1].attributes.score"},
      {{{"score", "1,5"}}, "records[1].attributes.score"},
      {{{"vip", "yes"}}, "records[1].attributes.vip: \"yes\" is not a bool"},
  };
  for (const auto& [attributes, message] : bad) {
    auto s = c->Upsert({Rec(100, {}), Rec(101, attributes)});
    EXPECT_EQ(STATUS_CODE(s), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_NE(s.status().message().find(message), std::string::npos) << s.status();
  }
  ASSERT_OK_AND_ASSIGN(int64_t n, c->Count(""));
  EXPECT_EQ(n, 10) << "a rejected batch stored something";

  // Filters read the typed values as their types.
  ASSERT_OK_AND_ASSIGN(int64_t recent, c->Count("ts >= 1700000005 AND vip = true"));
  EXPECT_EQ(recent, 3);  // 5, 7, 9
  ASSERT_OK_AND_ASSIGN(int64_t scored, c->Count("score > 2.25 AND visits > -8"));
  EXPECT_EQ(scored, 3);  // 5, 6, 7
  ASSERT_OK_AND_ASSIGN(int64_t labelled, c->Count(R"(label = "x" OR key IN ("k1", "k2"))"));
  EXPECT_EQ(labelled, 2);

  // Declarations survive a restart and keep being enforced.
  c.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto reopened, engine_->GetCollection("t"));
  EXPECT_EQ(reopened->schema().attributes, TypedSchema().attributes);
  EXPECT_EQ(STATUS_CODE(reopened->Upsert({Rec(102, {{"vip", "1"}})})),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TypedAttributesTest, BadFiltersAreRefusedWithTheirPositionByEveryCall) {
  ASSERT_OK_AND_ASSIGN(auto c, engine_->CreateCollection(TypedSchema()));
  ASSERT_OK(c->Upsert({Rec(1, {{"camera", "c1"}, {"ts", "5"}, {"note", "n"}})}));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"(camra = "c1")", "at character 1: unknown field \"camra\""},
      {R"(note = "n")", "at character 1: unknown field \"note\""},  // undeclared
      {R"(camera = "c1" AND ts = "five")", "at character 24: type mismatch: \"ts\" is timestamp"},
      {"camera IN (1, 2)", "at character 12: type mismatch: \"camera\" is string"},
      {"vip = 1", "at character 7: type mismatch: \"vip\" is bool"},
      {"score >= true", "at character 10: type mismatch"},
      {"ts >= ", "at character 7: expected a string, a number, true or false"},
      {"camera = \"" + std::string(kMaxFilterBytes, 'x') + "\"", "filter"},
  };
  const std::vector<float> q(kDim, 0.0f);
  for (const auto& [filter, message] : bad) {
    SCOPED_TRACE(filter.substr(0, 40));
    SearchOptions o;
    o.filter = filter;
    RecordSelection which;
    which.filter = filter;
    const std::vector<absl::Status> errors = {c->Search({absl::Span<const float>(q)}, o).status(),
                                              c->Count(filter).status(),
                                              c->Delete({}, {}, filter).status(),
                                              c->Delete({"k1"}, {}, filter).status(),
                                              c->Scan(which, "", 10, false).status(),
                                              c->ListLabels(filter, "", 10).status(),
                                              c->SampleRecords(which, 10, 1).status()};
    for (const absl::Status& s : errors) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
      EXPECT_NE(s.message().find(message), std::string::npos) << s;
    }
  }
  ASSERT_OK_AND_ASSIGN(int64_t n, c->Count(""));
  EXPECT_EQ(n, 1) << "a rejected delete deleted";
}

TEST_F(TypedAttributesTest, DeclarationsAreValidated) {
  auto with = [](std::vector<AttributeField> fields) {
    CollectionSchema s{"d", kDim, Metric::kL2, {}};
    s.attributes = std::move(fields);
    return s;
  };
  for (const auto& schema :
       {with({{"a", AttributeType::kString}, {"a", AttributeType::kInt64}}),
        with({{"label", AttributeType::kString}}), with({{"1st", AttributeType::kString}}),
        with({{"", AttributeType::kString}}), with({{"x y", AttributeType::kString}}),
        with({{"t", AttributeType(9)}})}) {
    auto c = engine_->CreateCollection(schema);
    EXPECT_EQ(STATUS_CODE(c), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find("schema.attributes["), std::string::npos) << c.status();
  }
}

}  // namespace
}  // namespace metricdb
