#include "server/token_auth.h"

#include <fnmatch.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace metricdb {
namespace {

constexpr std::string_view kBearer = "Bearer ";

bool ParseRole(std::string_view s, Role* role) {
  if (s == "read")
    *role = Role::kRead;
  else if (s == "write")
    *role = Role::kWrite;
  else if (s == "admin")
    *role = Role::kAdmin;
  else
    return false;
  return true;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

bool IsHexDigest(std::string_view s) {
  if (s.size() != 2 * SHA256_DIGEST_LENGTH) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

constexpr absl::string_view kCollectionsPrefix = "collections=";

// A pattern is a collection name ([A-Za-z0-9_-]) that may hold '*' and '?'.
bool IsCollectionPattern(std::string_view p) {
  if (p.empty() || p.size() > 256) return false;
  for (char c : p) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '*' &&
        c != '?') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool TokenGrant::AllowsCollection(std::string_view collection) const {
  if (collections.empty()) return true;
  const std::string name(collection);
  for (const std::string& pattern : collections) {
    if (fnmatch(pattern.c_str(), name.c_str(), FNM_NOESCAPE) == 0) return true;
  }
  return false;
}

absl::Status TokenGrant::CheckCollection(std::string_view collection) const {
  if (AllowsCollection(collection)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("this token may not use collection \"", std::string(collection), "\""));
}

std::string TokenHash(std::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<TokenAuth> TokenAuth::FromText(std::string_view text) {
  TokenAuth auth;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_no;
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    TokenGrant grant;
    if (fields.size() < 2 || fields.size() > 4 ||
        !ParseRole(std::string_view(fields[0].data(), fields[0].size()), &grant.role) ||
        !IsHexDigest(std::string_view(fields[1].data(), fields[1].size()))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token file line ", line_no,
          ": expected \"read|write|admin SHA256HEX [NAME] [collections=PATTERN,...]\" (64 hex "
          "digits)"));
    }
    for (size_t f = 2; f < fields.size(); ++f) {
      if (!absl::StartsWith(fields[f], kCollectionsPrefix)) {
        if (f == 2) {
          grant.name = std::string(fields[f]);
          continue;
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "token file line ", line_no, ": expected \"collections=PATTERN,...\" after the name"));
      }
      for (absl::string_view p : absl::StrSplit(fields[f].substr(kCollectionsPrefix.size()), ',')) {
        if (!IsCollectionPattern(std::string_view(p.data(), p.size()))) {
          return absl::InvalidArgumentError(
              absl::StrCat("token file line ", line_no, ": collection pattern \"", p,
                           "\" is not a name of [A-Za-z0-9_-] with '*' or '?'"));
        }
        grant.collections.emplace_back(p);
      }
    }
    if (grant.name.empty()) grant.name = absl::StrCat("line", line_no);
    auth.tokens_[absl::AsciiStrToLower(fields[1])] = std::move(grant);
  }
  if (auth.tokens_.empty()) {
    return absl::FailedPreconditionError("token file holds no token");
  }
  return auth;
}

absl::StatusOr<TokenAuth> TokenAuth::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return FromText(text.str());
}

grpc::Status TokenAuth::Check(const grpc::ServerContextBase& context, Role needed,
                              const TokenGrant** grant) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing \"authorization: Bearer <token>\" metadata");
  }
  const std::string_view value(it->second.data(), it->second.size());
  if (value.substr(0, kBearer.size()) != kBearer) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "authorization metadata is not \"Bearer <token>\"");
  }
  auto entry = tokens_.find(TokenHash(value.substr(kBearer.size())));
  if (entry == tokens_.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown token");
  }
  if (entry->second.role < needed) {
    spdlog::debug("token {} (role {}) denied a call needing {}", entry->second.name,
                  RoleName(entry->second.role), RoleName(needed));
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("this call needs the ", RoleName(needed),
                                     " role; the token has ", RoleName(entry->second.role)));
  }
  if (grant != nullptr) *grant = &entry->second;
  return grpc::Status::OK;
}

}  // namespace metricdb
