#include "engine/storage/record_codec.h"

#include <gtest/gtest.h>

namespace metricdb {
namespace {

TEST(RecordCodecTest, RoundTripsEveryField) {
  Record r;
  r.key = std::string("k\0ey", 4);
  r.vector = {1.5f, -2.25f, 0.0f};
  r.label = "alice";
  r.attributes = {{"camera", "3"}, {"", "empty name"}};
  auto back = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->key, r.key);
  EXPECT_EQ(back->vector, r.vector);
  EXPECT_EQ(back->label, r.label);
  EXPECT_EQ(back->attributes, r.attributes);

  r.label.reset();
  back = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->label.has_value());
}

TEST(RecordCodecTest, EveryTruncationAndExtensionIsDataLoss) {
  Record r{"key", {1, 2, 3, 4}, "label", {{"a", "b"}}};
  const std::string bytes = EncodeRecord(r);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeRecord(bytes.substr(0, n)).status().code(), absl::StatusCode::kDataLoss) << n;
  }
  EXPECT_EQ(DecodeRecord(bytes + "x").status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, SchemaRoundTripsAndRejectsGarbage) {
  CollectionSchema s{"faces", 128, Metric::kCosine, {}};
  s.index.kind = IndexSpec::Kind::kIvfPq;
  s.index.nlist = 1024;
  s.index.m = 16;
  s.index.nbits = 8;
  s.index.nprobe = 32;
  auto back = DecodeSchema(EncodeSchema(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "faces");
  EXPECT_EQ(back->dim, 128);
  EXPECT_EQ(back->metric, Metric::kCosine);
  EXPECT_EQ(back->index.kind, IndexSpec::Kind::kIvfPq);
  EXPECT_EQ(back->index.nprobe, 32);
  std::string bad = EncodeSchema(s);
  bad[1 + 4 + 5 + 4] = 9;  // metric 9 does not exist
  EXPECT_EQ(DecodeSchema(bad).status().code(), absl::StatusCode::kDataLoss);
}

// A quantised graph's code_dims needs schema format 6; a schema without it
// is written as before (format 3 for a quantised one), so older readers
// still read it. Every truncation of a format-6 schema is data loss.
TEST(RecordCodecTest, CodeDimsNeedFormatSixAndOlderSchemasStayAsTheyWere) {
  CollectionSchema s{"faces", 784, Metric::kL2, {}};
  s.index.kind = IndexSpec::Kind::kHnsw;
  s.index.m = 32;
  s.index.quantization = IndexSpec::Quantization::kSq8;
  s.index.rerank = 24;
  const std::string plain = EncodeSchema(s);
  EXPECT_EQ(plain[0], 3);
  s.index.code_dims = 128;
  const std::string projected = EncodeSchema(s);
  EXPECT_EQ(projected[0], 6);
  auto back = DecodeSchema(projected);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->index.code_dims, 128);
  EXPECT_EQ(back->index.rerank, 24);
  EXPECT_EQ(back->ttl_seconds, 0);
  auto old = DecodeSchema(plain);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->index.code_dims, 0);
  for (size_t n = 0; n < projected.size(); ++n) {
    EXPECT_EQ(DecodeSchema(projected.substr(0, n)).status().code(), absl::StatusCode::kDataLoss)
        << n;
  }
}

}  // namespace
}  // namespace metricdb
