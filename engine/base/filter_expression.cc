#include "engine/base/filter_expression.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace metricdb {
namespace {

struct Token {
  enum class Type { kEnd, kIdent, kString, kNumber, kSymbol };
  Type type = Type::kEnd;
  std::string text;  // identifier, symbol, or the string's value
  double number = 0;
  size_t at = 0;  // character position, from 0
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::unique_ptr<const FilterNode>> Parse() {
    auto root = std::make_unique<FilterNode>();
    if (auto s = Next(); !s.ok()) return s;
    if (auto s = Or(root.get(), 0); !s.ok()) return s;
    if (token_.type != Token::Type::kEnd) return Error(token_.at, "expected AND, OR or the end");
    return std::unique_ptr<const FilterNode>(std::move(root));
  }

 private:
  absl::Status Error(size_t at, std::string_view what) const {
    const std::string got = token_.type == Token::Type::kEnd ? "the end" : Describe(token_);
    return absl::InvalidArgumentError(
        absl::StrCat("filter: at character ", at + 1, ": ", std::string(what), ", got ", got));
  }
  static std::string Describe(const Token& t) {
    switch (t.type) {
      case Token::Type::kString:
        return absl::StrCat("string \"", t.text, "\"");
      case Token::Type::kNumber:
        return absl::StrCat("number ", t.text);
      default:
        return absl::StrCat("\"", t.text, "\"");
    }
  }
  bool IsKeyword(std::string_view word) const {
    return token_.type == Token::Type::kIdent &&
           absl::EqualsIgnoreCase(token_.text, absl::string_view(word.data(), word.size()));
  }
  bool IsSymbol(std::string_view s) const {
    return token_.type == Token::Type::kSymbol && token_.text == s;
  }

  absl::Status Next() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    token_ = Token();
    token_.at = pos_;
    if (pos_ >= text_.size()) return absl::OkStatus();
    const char c = text_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = pos_ + 1;
      while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                                    text_[end] == '_' || text_[end] == '.' || text_[end] == '-')) {
        ++end;
      }
      token_.type = Token::Type::kIdent;
      token_.text = std::string(text_.substr(pos_, end - pos_));
      pos_ = end;
      return absl::OkStatus();
    }
    if (c == '"' || c == '\'') return String(c);
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      return Number();
    }
    for (std::string_view sym : {"==", "!=", "<=", ">=", "=", "<", ">", "(", ")", ","}) {
      if (text_.substr(pos_, sym.size()) == sym) {
        token_.type = Token::Type::kSymbol;
        token_.text = std::string(sym);
        pos_ += sym.size();
        return absl::OkStatus();
      }
    }
    token_.type = Token::Type::kSymbol;
    token_.text = std::string(1, c);
    return Error(pos_, "unexpected character");
  }

  absl::Status String(char quote) {
    const size_t start = pos_++;
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      value += text_[pos_++];
    }
    if (pos_ >= text_.size()) {
      token_.type = Token::Type::kEnd;
      return Error(start, "unterminated string");
    }
    ++pos_;
    token_.type = Token::Type::kString;
    token_.text = std::move(value);
    return absl::OkStatus();
  }

  absl::Status Number() {
    const std::string rest(text_.substr(pos_));
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(rest.c_str(), &end);
    const size_t used = size_t(end - rest.c_str());
    token_.type = Token::Type::kNumber;
    token_.text = rest.substr(0, std::max<size_t>(used, 1));
    if (used == 0 || errno == ERANGE || !std::isfinite(v) ||
        (used < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[used])) ||
                                rest[used] == '_' || rest[used] == '.'))) {
      return Error(pos_, "malformed number");
    }
    token_.number = v;
    pos_ += used;
    return absl::OkStatus();
  }

  absl::Status Deeper(int depth) const {
    if (depth >= kMaxFilterDepth) {
      return Error(token_.at, absl::StrCat("nested deeper than ", kMaxFilterDepth, " levels"));
    }
    return absl::OkStatus();
  }

  // One of `kind` (AND / OR) over operands parsed by `operand`.
  template <typename F>
  absl::Status Chain(FilterNode* out, int depth, FilterNode::Kind kind, std::string_view word,
                     F operand) {
    if (auto s = (this->*operand)(out, depth); !s.ok()) return s;
    if (!IsKeyword(word)) return absl::OkStatus();
    FilterNode first = std::move(*out);
    *out = FilterNode();
    out->kind = kind;
    out->children.push_back(std::move(first));
    while (IsKeyword(word)) {
      if (auto s = Next(); !s.ok()) return s;
      out->children.emplace_back();
      if (auto s = (this->*operand)(&out->children.back(), depth); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  absl::Status Or(FilterNode* out, int depth) {
    return Chain(out, depth, FilterNode::Kind::kOr, "OR", &Parser::And);
  }
  absl::Status And(FilterNode* out, int depth) {
    return Chain(out, depth, FilterNode::Kind::kAnd, "AND", &Parser::Not);
  }

  absl::Status Not(FilterNode* out, int depth) {
    if (auto s = Deeper(depth); !s.ok()) return s;
    if (IsKeyword("NOT")) {
      if (auto s = Next(); !s.ok()) return s;
      out->kind = FilterNode::Kind::kNot;
      out->children.emplace_back();
      return Not(&out->children.back(), depth + 1);
    }
    if (IsSymbol("(")) {
      if (auto s = Next(); !s.ok()) return s;
      if (auto s = Or(out, depth + 1); !s.ok()) return s;
      if (!IsSymbol(")")) return Error(token_.at, "expected \")\"");
      return Next();
    }
    return Comparison(out);
  }

  absl::Status Literal(FilterValue* out) {
    out->position = token_.at + 1;
    if (token_.type == Token::Type::kString) {
      out->text = token_.text;
    } else if (token_.type == Token::Type::kNumber) {
      out->is_number = true;
      out->number = token_.number;
    } else if (IsKeyword("true") || IsKeyword("false")) {
      out->text = absl::AsciiStrToLower(token_.text);
    } else {
      return Error(token_.at, "expected a string, a number, true or false");
    }
    return Next();
  }

  absl::Status Comparison(FilterNode* out) {
    if (token_.type != Token::Type::kIdent || IsKeyword("AND") || IsKeyword("OR") ||
        IsKeyword("IN")) {
      return Error(token_.at, "expected a field name, NOT or \"(\"");
    }
    out->field = token_.text;
    out->position = token_.at + 1;
    if (auto s = Next(); !s.ok()) return s;
    bool negated = false;
    if (IsKeyword("NOT")) {
      negated = true;
      if (auto s = Next(); !s.ok()) return s;
      if (!IsKeyword("IN")) return Error(token_.at, "expected IN after NOT");
    }
    if (IsKeyword("IN")) {
      out->kind = FilterNode::Kind::kIn;
      if (auto s = Next(); !s.ok()) return s;
      if (!IsSymbol("(")) return Error(token_.at, "expected \"(\" after IN");
      do {
        if (auto s = Next(); !s.ok()) return s;
        if (out->values.size() == kMaxFilterValues) {
          return Error(token_.at, absl::StrCat("more than ", kMaxFilterValues, " IN values"));
        }
        out->values.emplace_back();
        if (auto s = Literal(&out->values.back()); !s.ok()) return s;
      } while (IsSymbol(","));
      if (!IsSymbol(")")) return Error(token_.at, "expected \",\" or \")\"");
      if (auto s = Next(); !s.ok()) return s;
      if (negated) {
        FilterNode in = std::move(*out);
        *out = FilterNode();
        out->kind = FilterNode::Kind::kNot;
        out->children.push_back(std::move(in));
      }
      return absl::OkStatus();
    }
    static const std::pair<std::string_view, FilterNode::Op> kOps[] = {
        {"=", FilterNode::Op::kEq}, {"==", FilterNode::Op::kEq}, {"!=", FilterNode::Op::kNe},
        {"<", FilterNode::Op::kLt}, {"<=", FilterNode::Op::kLe}, {">", FilterNode::Op::kGt},
        {">=", FilterNode::Op::kGe}};
    for (const auto& [sym, op] : kOps) {
      if (IsSymbol(sym)) {
        out->kind = FilterNode::Kind::kCompare;
        out->op = op;
        if (auto s = Next(); !s.ok()) return s;
        out->values.emplace_back();
        return Literal(&out->values.back());
      }
    }
    return Error(token_.at, "expected a comparison (= != < <= > >=) or IN");
  }

  std::string_view text_;
  size_t pos_ = 0;
  Token token_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<const FilterNode>> ParseFilter(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: ", text.size(), " bytes, at most ", kMaxFilterBytes, " allowed"));
  }
  if (absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())).empty())
    return std::unique_ptr<const FilterNode>();
  return Parser(text).Parse();
}

bool FilterNumber(std::string_view value, double* out) {
  if (value.empty() || std::isspace(static_cast<unsigned char>(value[0]))) return false;
  const std::string s(value);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool FilterCompare(std::string_view value, FilterNode::Op op, const FilterValue& literal) {
  int order;  // <0, 0, >0: value against the literal
  if (literal.is_number) {
    double v;
    if (!FilterNumber(value, &v)) return false;
    order = v < literal.number ? -1 : (v > literal.number ? 1 : 0);
  } else {
    const int c = value.compare(literal.text);
    order = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  switch (op) {
    case FilterNode::Op::kEq:
      return order == 0;
    case FilterNode::Op::kNe:
      return order != 0;
    case FilterNode::Op::kLt:
      return order < 0;
    case FilterNode::Op::kLe:
      return order <= 0;
    case FilterNode::Op::kGt:
      return order > 0;
    case FilterNode::Op::kGe:
      return order >= 0;
  }
  return false;
}

}  // namespace metricdb
