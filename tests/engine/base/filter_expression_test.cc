// The filter language's parser: what it accepts, and the character position
// and reason of what it refuses.
#include "engine/base/filter_expression.h"

#include <gtest/gtest.h>

#include <string>

namespace metricdb {
namespace {

std::string ErrorOf(const std::string& text) {
  auto parsed = ParseFilter(text);
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(parsed.status().message());
}

TEST(FilterExpressionTest, ParsesPrecedenceAndEveryForm) {
  auto parsed = ParseFilter(
      R"(camera IN ("c1", 'c7') AND ts >= 1700000000 OR NOT label = "staff" AND x != -2.5e3)");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const FilterNode& root = **parsed;
  // OR of two ANDs: AND binds tighter.
  ASSERT_EQ(root.kind, FilterNode::Kind::kOr);
  ASSERT_EQ(root.children.size(), 2u);
  const FilterNode& left = root.children[0];
  ASSERT_EQ(left.kind, FilterNode::Kind::kAnd);
  EXPECT_EQ(left.children[0].kind, FilterNode::Kind::kIn);
  EXPECT_EQ(left.children[0].field, "camera");
  ASSERT_EQ(left.children[0].values.size(), 2u);
  EXPECT_EQ(left.children[0].values[1].text, "c7");
  EXPECT_EQ(left.children[1].op, FilterNode::Op::kGe);
  EXPECT_TRUE(left.children[1].values[0].is_number);
  EXPECT_EQ(left.children[1].values[0].number, 1700000000.0);
  const FilterNode& right = root.children[1];
  ASSERT_EQ(right.kind, FilterNode::Kind::kAnd);
  EXPECT_EQ(right.children[0].kind, FilterNode::Kind::kNot);
  EXPECT_EQ(right.children[0].children[0].field, "label");
  EXPECT_EQ(right.children[1].values[0].number, -2500.0);

  // Parentheses, NOT IN, case-insensitive keywords, booleans, escapes.
  parsed = ParseFilter(R"((a = true or b not in (1, 2)) and c == "say \"hi\"")");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ((*parsed)->kind, FilterNode::Kind::kAnd);
  const FilterNode& group = (*parsed)->children[0];
  ASSERT_EQ(group.kind, FilterNode::Kind::kOr);
  EXPECT_EQ(group.children[0].values[0].text, "true");
  EXPECT_FALSE(group.children[0].values[0].is_number);
  EXPECT_EQ(group.children[1].kind, FilterNode::Kind::kNot);
  EXPECT_EQ(group.children[1].children[0].kind, FilterNode::Kind::kIn);
  EXPECT_EQ((*parsed)->children[1].values[0].text, "say \"hi\"");

  // Blank: no filter.
  parsed = ParseFilter("   ");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, nullptr);
}

TEST(FilterExpressionTest, RefusesWithThePosition) {
  EXPECT_EQ(ErrorOf("camera = "),
            "filter: at character 10: expected a string, a number, true or false, got the end");
  EXPECT_EQ(ErrorOf(R"(camera IN ("a" "b"))"),
            "filter: at character 16: expected \",\" or \")\", got string \"b\"");
  EXPECT_EQ(ErrorOf("(a = 1"), "filter: at character 7: expected \")\", got the end");
  EXPECT_EQ(ErrorOf("a = 1 & b = 2"), "filter: at character 7: unexpected character, got \"&\"");
  EXPECT_EQ(ErrorOf("a = 1 b = 2"),
            "filter: at character 7: expected AND, OR or the end, got \"b\"");
  EXPECT_EQ(ErrorOf("a ~ 1"), "filter: at character 3: unexpected character, got \"~\"");
  EXPECT_EQ(ErrorOf("a 1"),
            "filter: at character 3: expected a comparison (= != < <= > >=) or IN, got number 1");
  EXPECT_EQ(ErrorOf("= 1"),
            "filter: at character 1: expected a field name, NOT or \"(\", got \"=\"");
  EXPECT_EQ(ErrorOf("a = \"open"), "filter: at character 5: unterminated string, got the end");
  EXPECT_EQ(ErrorOf("a = 12ab"), "filter: at character 5: malformed number, got number 12");
  EXPECT_EQ(ErrorOf("a = 1e999"), "filter: at character 5: malformed number, got number 1e999");
  EXPECT_EQ(ErrorOf("a NOT = 1"), "filter: at character 7: expected IN after NOT, got \"=\"");
  EXPECT_EQ(ErrorOf("a IN 1"), "filter: at character 6: expected \"(\" after IN, got number 1");

  std::string deep;
  for (int i = 0; i < kMaxFilterDepth + 1; ++i) deep += "(";
  deep += "a = 1";
  for (int i = 0; i < kMaxFilterDepth + 1; ++i) deep += ")";
  EXPECT_NE(ErrorOf(deep).find("nested deeper than 32 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < kMaxFilterDepth + 1; ++i) nots += "NOT ";
  EXPECT_NE(ErrorOf(nots + "a = 1").find("nested deeper"), std::string::npos);

  const std::string long_text = "a = \"" + std::string(kMaxFilterBytes, 'x') + "\"";
  EXPECT_NE(ErrorOf(long_text).find("bytes, at most 8192 allowed"), std::string::npos);
}

TEST(FilterExpressionTest, ComparesStringsAsBytesAndNumbersAsNumbers) {
  FilterValue text;
  text.text = "c10";
  EXPECT_TRUE(FilterCompare("c10", FilterNode::Op::kEq, text));
  EXPECT_TRUE(FilterCompare("c9", FilterNode::Op::kGt, text));  // byte order
  FilterValue number;
  number.is_number = true;
  number.number = 10;
  EXPECT_TRUE(FilterCompare("9", FilterNode::Op::kLt, number));  // numeric order
  EXPECT_TRUE(FilterCompare("10.0", FilterNode::Op::kEq, number));
  EXPECT_FALSE(FilterCompare("ten", FilterNode::Op::kNe, number));  // not a number: no match
  EXPECT_FALSE(FilterCompare("", FilterNode::Op::kLt, number));
  EXPECT_FALSE(FilterCompare(" 9", FilterNode::Op::kLt, number));
}

}  // namespace
}  // namespace metricdb
