// Typed attributes: how a record's attribute value is checked against its
// declared field (CollectionSchema::attributes), and how a filter is checked
// against the declarations before it runs.
//
//   string     any value
//   int64      a decimal integer in int64 range ("-12")
//   double     a finite decimal number ("3.5", "1e-3")
//   bool       "true" or "false"
//   timestamp  Unix seconds as an integer ("1700000000")
#ifndef METRICDB_ENGINE_BASE_ATTRIBUTE_TYPES_H_
#define METRICDB_ENGINE_BASE_ATTRIBUTE_TYPES_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/base/collection_schema.h"
#include "engine/base/filter_expression.h"

namespace metricdb {

// The declared field named `name`, or null.
const AttributeField* FindAttributeField(absl::Span<const AttributeField> fields,
                                         std::string_view name);

// OK if `value` reads as `type`; else INVALID_ARGUMENT
// "<field>: \"abc\" is not an int64".
absl::Status CheckAttributeValue(AttributeType type, const std::string& value,
                                 std::string_view field);

// Checks a schema's declarations: valid, unique names (not label or key),
// at most kMaxAttributeFields; errors name "schema.attributes[i]".
absl::Status ValidateAttributeFields(absl::Span<const AttributeField> fields);

// ParseFilter, then, when `fields` declares any, a check of every comparison
// against them: a field that is not declared (nor label or key) is unknown,
// and a literal of the wrong kind (a string against a number field, a number
// against a string field, anything but true/false against a bool) is a type
// mismatch; INVALID_ARGUMENT "filter: at character N: ...".
absl::StatusOr<std::unique_ptr<const FilterNode>> ParseTypedFilter(
    std::string_view text, absl::Span<const AttributeField> fields);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_ATTRIBUTE_TYPES_H_
