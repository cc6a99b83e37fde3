// TokenAuth: bearer-token authentication with roles for the MetricDB
// service. A call carries "authorization: Bearer <token>"; the token's
// SHA-256 is looked up in the token file, and its role must cover the RPC
// (read < write < admin; which RPC needs which: server/rpc_roles.cc).
// No or unknown token: UNAUTHENTICATED; a role below the RPC's:
// PERMISSION_DENIED. Health checking and reflection are other services and
// stay open.
//
// Token file: one token per line, "ROLE SHA256HEX [NAME] [collections=P,...]";
// '#' starts a comment. Only hashes are stored ("printf %s TOKEN | sha256sum"
// makes one), so the file does not give the tokens away. Tokens are compared
// by hash; the name is for logs. A token with "collections=" may use only the
// collections (and aliases) whose names match one of its patterns (a name, or
// a glob with '*' and '?': "tenant-a-*"), whatever its role: any other gets
// PERMISSION_DENIED before the server looks the name up, so a token learns
// nothing of collections outside its scope; listings show only its own.
#ifndef METRICDB_SERVER_TOKEN_AUTH_H_
#define METRICDB_SERVER_TOKEN_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace metricdb {

enum class Role { kRead = 1, kWrite = 2, kAdmin = 3 };

// What one token may do.
struct TokenGrant {
  Role role = Role::kRead;
  std::string name;                      // for logs
  std::vector<std::string> collections;  // patterns; empty: every collection

  bool AllowsCollection(std::string_view collection) const;
  // OK, or PERMISSION_DENIED naming `collection`.
  absl::Status CheckCollection(std::string_view collection) const;
};

class TokenAuth {
 public:
  // INVALID_ARGUMENT naming the line for a malformed file; NOT_FOUND if it
  // cannot be read; FAILED_PRECONDITION if it holds no token.
  static absl::StatusOr<TokenAuth> FromFile(const std::string& path);
  static absl::StatusOr<TokenAuth> FromText(std::string_view text);

  // OK when the call's token has at least `needed`; `*grant` (if not null)
  // is then the token's grant, valid as long as this TokenAuth.
  grpc::Status Check(const grpc::ServerContextBase& context, Role needed,
                     const TokenGrant** grant = nullptr) const;

  size_t size() const { return tokens_.size(); }

 private:
  std::unordered_map<std::string, TokenGrant> tokens_;  // by lower-case hex SHA-256
};

// Lower-case hex SHA-256 of `token`.
std::string TokenHash(std::string_view token);

}  // namespace metricdb

#endif  // METRICDB_SERVER_TOKEN_AUTH_H_
