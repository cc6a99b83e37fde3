// FilterExpression: the one filter language of every RPC that selects
// records (Search, Count, Delete, ...), parsed by the server so that every
// client gets the same meaning.
//
//   expr       := or
//   or         := and (OR and)*
//   and        := not (AND not)*
//   not        := NOT not | '(' expr ')' | comparison
//   comparison := field op literal | field [NOT] IN '(' literal (',' literal)* ')'
//   op         := = | == | != | < | <= | > | >=
//   literal    := "string" | 'string' | number | true | false
//   field      := [A-Za-z_][A-Za-z0-9_.-]*   (label and key name the record's own)
//
// Keywords are case-insensitive; strings take \" \' \\ escapes. Meaning:
//   - a string literal compares with the field's value as bytes;
//   - a number literal compares with the value read as a number: a value
//     that is not a number never matches;
//   - true / false compare as the strings "true" / "false";
//   - a record without the field matches no comparison on it (not even
//     !=); NOT negates what it is given.
// e.g. camera IN ("c1", "c7") AND ts >= 1700000000 AND NOT label = "staff"
//
// Parse refuses with INVALID_ARGUMENT "filter: at character N: ..." (N counts
// from 1), and refuses texts over kMaxFilterBytes, nestings deeper than
// kMaxFilterDepth and IN lists longer than kMaxFilterValues.
#ifndef METRICDB_ENGINE_BASE_FILTER_EXPRESSION_H_
#define METRICDB_ENGINE_BASE_FILTER_EXPRESSION_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace metricdb {

inline constexpr size_t kMaxFilterBytes = 8192;
inline constexpr int kMaxFilterDepth = 32;
inline constexpr size_t kMaxFilterValues = 4096;

struct FilterValue {
  bool is_number = false;
  double number = 0;    // when is_number
  std::string text;     // when a string (true / false: "true" / "false")
  size_t position = 0;  // of the literal in the text, from 1
};

struct FilterNode {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn };
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  Kind kind = Kind::kCompare;
  Op op = Op::kEq;                   // kCompare
  std::string field;                 // kCompare, kIn
  std::vector<FilterValue> values;   // kCompare: one; kIn: the list
  std::vector<FilterNode> children;  // kAnd, kOr (two or more), kNot (one)
  size_t position = 0;               // kCompare, kIn: of the field name, from 1
};

// The parsed tree of a filter text; an empty (or blank) text is no filter.
absl::StatusOr<std::unique_ptr<const FilterNode>> ParseFilter(std::string_view text);

// Whether a value held as a string compares with `literal` as `op` says
// (the rules above; the record has the field).
bool FilterCompare(std::string_view value, FilterNode::Op op, const FilterValue& literal);

// The value read as a number, if all of it is one (finite).
bool FilterNumber(std::string_view value, double* out);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_FILTER_EXPRESSION_H_
