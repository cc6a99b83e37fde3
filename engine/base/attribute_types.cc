#include "engine/base/attribute_types.h"

#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace metricdb {

std::string_view AttributeTypeName(AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return "string";
    case AttributeType::kInt64:
      return "int64";
    case AttributeType::kDouble:
      return "double";
    case AttributeType::kBool:
      return "bool";
    case AttributeType::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

const AttributeField* FindAttributeField(absl::Span<const AttributeField> fields,
                                         std::string_view name) {
  for (const AttributeField& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status CheckAttributeValue(AttributeType type, const std::string& value,
                                 std::string_view field) {
  bool ok = true;
  switch (type) {
    case AttributeType::kString:
      break;
    case AttributeType::kInt64:
    case AttributeType::kTimestamp: {
      int64_t n;
      ok = absl::SimpleAtoi(absl::string_view(value), &n) &&
           value.find_first_of(" \t+") == std::string::npos;
      break;
    }
    case AttributeType::kDouble: {
      double d;
      ok = absl::SimpleAtod(absl::string_view(value), &d) && std::isfinite(d) &&
           value.find_first_of(" \t") == std::string::npos;
      break;
    }
    case AttributeType::kBool:
      ok = value == "true" || value == "false";
      break;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(field), ": \"", value, "\" is not ", type == AttributeType::kInt64 ? "an " : "a ",
      std::string(AttributeTypeName(type)),
      type == AttributeType::kTimestamp ? " (Unix seconds, an integer)" : ""));
}

absl::Status ValidateAttributeFields(absl::Span<const AttributeField> fields) {
  if (fields.size() > kMaxAttributeFields) {
    return absl::InvalidArgumentError(absl::StrCat("schema.attributes: ", fields.size(),
                                                   " fields, at most ", kMaxAttributeFields));
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& name = fields[i].name;
    const std::string at = absl::StrCat("schema.attributes[", i, "]");
    bool valid = !name.empty() && name.size() <= 256 &&
                 (absl::ascii_isalpha(uint8_t(name[0])) || name[0] == '_');
    for (char c : name) {
      valid = valid && (absl::ascii_isalnum(uint8_t(c)) || c == '_' || c == '.' || c == '-');
    }
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".name: \"", name, "\" must match [A-Za-z_][A-Za-z0-9_.-]* (at most 256 bytes)"));
    }
    if (name == "label" || name == "key") {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".name: \"", name, "\" names the record's own field"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".name: \"", name, "\" declared twice"));
    }
    const int type = static_cast<int>(fields[i].type);
    if (type < 1 || type > 5) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".type: unknown type ", type));
    }
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckNode(const FilterNode& node, absl::Span<const AttributeField> fields) {
  if (node.kind != FilterNode::Kind::kCompare && node.kind != FilterNode::Kind::kIn) {
    for (const FilterNode& child : node.children) {
      if (auto s = CheckNode(child, fields); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (node.field == "label" || node.field == "key") return absl::OkStatus();
  const AttributeField* field = FindAttributeField(fields, node.field);
  if (field == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: at character ", node.position, ": unknown field \"", node.field,
                     "\" (the collection declares its attributes; this is not one of them)"));
  }
  for (const FilterValue& v : node.values) {
    const bool boolean = !v.is_number && (v.text == "true" || v.text == "false");
    bool fits = true;
    const char* want = "";
    switch (field->type) {
      case AttributeType::kString:
        fits = !v.is_number;
        want = "a string";
        break;
      case AttributeType::kInt64:
      case AttributeType::kDouble:
      case AttributeType::kTimestamp:
        fits = v.is_number;
        want = "a number";
        break;
      case AttributeType::kBool:
        fits = boolean;
        want = "true or false";
        break;
    }
    if (!fits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter: at character ", v.position, ": type mismatch: \"", node.field, "\" is ",
          std::string(AttributeTypeName(field->type)), ", compare it with ", want));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<const FilterNode>> ParseTypedFilter(
    std::string_view text, absl::Span<const AttributeField> fields) {
  auto parsed = ParseFilter(text);
  if (!parsed.ok() || fields.empty() || *parsed == nullptr) return parsed;
  if (auto s = CheckNode(**parsed, fields); !s.ok()) return s;
  return parsed;
}

}  // namespace metricdb
