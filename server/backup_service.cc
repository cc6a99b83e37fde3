// MetricDbService::Backup: the online backup of this node's data directory.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/metricdb_service.h"
#include "server/status_util.h"

namespace metricdb {
namespace {

// A backup is named, not a path: the server writes only under its root.
absl::Status CheckBackupName(const std::string& name) {
  const bool ok_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (name.empty() || name.size() > 128 || name.front() == '.' || !ok_chars) {
    return absl::InvalidArgumentError(
        "backup: must be a name of 1 to 128 characters [A-Za-z0-9_.-], not starting with '.'");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status MetricDbService::Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                                     v1::BackupResponse* response) {
  const TokenGrant* grant = nullptr;
  if (auto s = Authorize(context, __func__, &grant); !s.ok()) return s;
  if (grant != nullptr && !grant->collections.empty()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "a backup holds every collection: a token limited to collections may "
                        "not take one");
  }
  if (backup_engine_ == nullptr) {
    return Reply(__func__, absl::UnimplementedError("this server takes no backups"));
  }
  if (auto s = CheckBackupName(request->backup()); !s.ok()) return Reply(__func__, s);
  LongOperationLimit::Slot slot(&long_ops_);
  if (auto s = slot.status(__func__); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(backup_root_, ec);
  if (ec) {
    return Reply(__func__, absl::UnavailableError(
                               absl::StrCat("cannot create the backup directory ", backup_root_)));
  }
  const std::string dir =
      std::filesystem::absolute(std::filesystem::path(backup_root_) / request->backup()).string();
  const auto start = std::chrono::steady_clock::now();
  auto manifest = backup_engine_->Backup(dir);
  if (!manifest.ok()) return Reply(__func__, manifest.status());
  response->set_directory(dir);
  response->set_files(static_cast<int64_t>(manifest->files.size()));
  response->set_bytes(static_cast<int64_t>(manifest->bytes()));
  response->set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return grpc::Status::OK;
}

}  // namespace metricdb
