// TokenAuth: bearer-token authentication with roles for the MetricDB
// service. A call carries "authorization: Bearer <token>"; the token's
// SHA-256 is looked up in the token file, and its role must cover the RPC
// (read < write < admin; which RPC needs which: server/rpc_roles.cc).
// No or unknown token: UNAUTHENTICATED; a role below the RPC's:
// PERMISSION_DENIED. Health checking and reflection are other services and
// stay open.
//
// Token file: one token per line, "ROLE SHA256HEX [NAME]"; '#' starts a
// comment. Only hashes are stored ("printf %s TOKEN | sha256sum" makes one),
// so the file does not give the tokens away. Tokens are compared by hash;
// the name is for logs.
#ifndef METRICDB_SERVER_TOKEN_AUTH_H_
#define METRICDB_SERVER_TOKEN_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"

namespace metricdb {

enum class Role { kRead = 1, kWrite = 2, kAdmin = 3 };

class TokenAuth {
 public:
  // INVALID_ARGUMENT naming the line for a malformed file; NOT_FOUND if it
  // cannot be read; FAILED_PRECONDITION if it holds no token.
  static absl::StatusOr<TokenAuth> FromFile(const std::string& path);
  static absl::StatusOr<TokenAuth> FromText(std::string_view text);

  // OK when the call's token has at least `needed`.
  grpc::Status Check(const grpc::ServerContextBase& context, Role needed) const;

  size_t size() const { return tokens_.size(); }

 private:
  struct Entry {
    Role role;
    std::string name;
  };
  std::unordered_map<std::string, Entry> tokens_;  // by lower-case hex SHA-256
};

// Lower-case hex SHA-256 of `token`.
std::string TokenHash(std::string_view token);

}  // namespace metricdb

#endif  // METRICDB_SERVER_TOKEN_AUTH_H_
