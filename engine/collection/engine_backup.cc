// Engine::Backup: an online, consistent copy of the data directory.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "engine/collection/engine.h"

namespace metricdb {
namespace {

namespace fs = std::filesystem;

absl::Status IoError(const std::string& what, const std::error_code& ec) {
  return absl::UnavailableError(absl::StrCat("backup: ", what, ": ", ec.message()));
}

}  // namespace

absl::StatusOr<BackupManifest> Engine::Backup(const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("backup: ", dir, " already exists"));
  }
  fs::create_directories(dir, ec);
  if (ec) return IoError(absl::StrCat("cannot create ", dir), ec);
  {
    std::ofstream marker(absl::StrCat(dir, "/", kBackupIncompleteName));
    marker << "a backup is being written here; until BACKUP-MANIFEST exists it is not one\n";
    if (!marker.flush()) return absl::UnavailableError("backup: cannot write its marker");
  }
  auto fail = [&](absl::Status s) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return s;
  };
  // Index snapshots of what changed first, so that a restored copy loads its
  // indexes instead of rebuilding them (a failure here only costs that).
  if (!store_->read_only()) {
    if (auto s = SnapshotAll(); !s.ok()) spdlog::warn("backup: snapshots: {}", s.ToString());
  }
  // The checkpoint goes to a directory of its own (RocksDB creates it), and
  // its files then move up into the data directory's layout.
  const std::string checkpoint = absl::StrCat(dir, "/.checkpoint");
  if (auto s = store_->Checkpoint(checkpoint); !s.ok()) return fail(s);
  for (const auto& entry : fs::directory_iterator(checkpoint, ec)) {
    fs::rename(entry.path(), fs::path(dir) / entry.path().filename(), ec);
    if (ec) return fail(IoError("moving the checkpoint's files", ec));
  }
  fs::remove(checkpoint, ec);
  if (ec) return fail(IoError("removing the checkpoint directory", ec));
  // Index snapshots, as they are now: older or newer than the checkpoint,
  // each is reconciled with the store by record id when it is opened (what
  // the snapshot lacks is added, what the store lacks is removed), or
  // rebuilt from the store if its schema differs.
  fs::create_directories(absl::StrCat(dir, "/snapshots"), ec);
  if (ec) return fail(IoError("creating snapshots/", ec));
  for (const auto& entry : fs::directory_iterator(options_.data_dir + "/snapshots", ec)) {
    if (entry.path().extension() != ".snap") continue;
    fs::copy_file(entry.path(), fs::path(dir) / "snapshots" / entry.path().filename(), ec);
    if (ec && fs::exists(entry.path())) return fail(IoError("copying an index snapshot", ec));
    ec.clear();  // one replaced or dropped meanwhile is skipped
  }
  const int64_t taken = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto manifest = WriteBackupManifest(dir, taken);
  if (!manifest.ok()) return fail(manifest.status());
  fs::remove(absl::StrCat(dir, "/", kBackupIncompleteName), ec);
  spdlog::info("backup into {}: {} files, {} bytes in {:.2f}s", dir, manifest->files.size(),
               manifest->bytes(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return manifest;
}

}  // namespace metricdb
