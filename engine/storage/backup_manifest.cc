#include "engine/storage/backup_manifest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace metricdb {
namespace {

namespace fs = std::filesystem;

constexpr char kHeader[] = "metricdb-backup 1";

// fsync of a file or directory.
absl::Status SyncPath(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", path, " to sync it"));
  const bool ok = fsync(fd) == 0;
  close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("fsync of ", path, " failed"));
  return absl::OkStatus();
}

bool IsOwnFile(const std::string& relative) {
  return relative == kBackupManifestName || relative == kBackupIncompleteName ||
         relative == absl::StrCat(kBackupManifestName, ".tmp");
}

absl::StatusOr<BackupManifest> ParseManifest(const std::string& text) {
  auto bad = [](const std::string& why) {
    return absl::DataLossError(absl::StrCat(kBackupManifestName, " is damaged: ", why));
  };
  BackupManifest manifest;
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.size() < 3 || lines.front() != kHeader) return bad("no \"metricdb-backup 1\" header");
  std::vector<std::string> taken = absl::StrSplit(lines[1], ' ');
  if (taken.size() != 2 || taken[0] != "taken" ||
      !absl::SimpleAtoi(taken[1], &manifest.taken_unix_seconds)) {
    return bad("no \"taken\" line");
  }
  std::vector<std::string> end = absl::StrSplit(lines.back(), ' ');
  size_t count = 0;
  if (end.size() != 2 || end[0] != "files" || !absl::SimpleAtoi(end[1], &count) ||
      count != lines.size() - 3) {
    return bad("it does not end with the count of its files (cut short?)");
  }
  for (size_t i = 2; i + 1 < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], absl::MaxSplits(' ', 3));
    BackupFile file;
    if (f.size() != 4 || f[0] != "file" || !absl::SimpleAtoi(f[1], &file.size) ||
        f[2].size() != 64 || f[3].empty() || f[3].find("..") != std::string::npos ||
        f[3].front() == '/') {
      return bad(absl::StrCat("line ", i + 1, " is not \"file SIZE SHA256 PATH\""));
    }
    file.sha256 = f[2];
    file.path = f[3];
    manifest.files.push_back(std::move(file));
  }
  return manifest;
}

absl::Status CheckFile(const std::string& dir, const BackupFile& file) {
  const std::string path = absl::StrCat(dir, "/", file.path);
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return absl::DataLossError(absl::StrCat("backup file ", file.path, " is missing"));
  if (size != file.size) {
    return absl::DataLossError(absl::StrCat("backup file ", file.path, " has ", size,
                                            " bytes; the manifest says ", file.size));
  }
  auto sha = FileSha256(path);
  if (!sha.ok()) return sha.status();
  if (*sha != file.sha256) {
    return absl::DataLossError(
        absl::StrCat("backup file ", file.path, " does not match its checksum"));
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t BackupManifest::bytes() const {
  uint64_t total = 0;
  for (const BackupFile& f : files) total += f.size;
  return total;
}

absl::StatusOr<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::UnavailableError(absl::StrCat("error reading ", path));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<BackupManifest> WriteBackupManifest(const std::string& dir,
                                                   int64_t taken_unix_seconds) {
  BackupManifest manifest;
  manifest.taken_unix_seconds = taken_unix_seconds;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory()) {
      if (auto s = SyncPath(it->path().string()); !s.ok()) return s;
      continue;
    }
    if (!it->is_regular_file()) continue;
    const std::string relative = fs::relative(it->path(), dir).generic_string();
    if (IsOwnFile(relative)) continue;
    // Every file is durable before the manifest that vouches for it.
    if (auto s = SyncPath(it->path().string()); !s.ok()) return s;
    auto sha = FileSha256(it->path().string());
    if (!sha.ok()) return sha.status();
    manifest.files.push_back({relative, static_cast<uint64_t>(it->file_size()), *sha});
  }
  if (ec) return absl::UnavailableError(absl::StrCat("listing ", dir, ": ", ec.message()));
  std::sort(manifest.files.begin(), manifest.files.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
  std::string text = absl::StrCat(kHeader, "\ntaken ", taken_unix_seconds, "\n");
  for (const BackupFile& f : manifest.files) {
    absl::StrAppend(&text, "file ", f.size, " ", f.sha256, " ", f.path, "\n");
  }
  absl::StrAppend(&text, "files ", manifest.files.size(), "\n");
  const std::string tmp = absl::StrCat(dir, "/", kBackupManifestName, ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (auto s = SyncPath(tmp); !s.ok()) return s;
  fs::rename(tmp, absl::StrCat(dir, "/", kBackupManifestName), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("renaming the manifest: ", ec.message()));
  if (auto s = SyncPath(dir); !s.ok()) return s;
  return manifest;
}

absl::StatusOr<BackupManifest> VerifyBackup(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kBackupManifestName);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(dir, " holds no ", kBackupManifestName,
                     ": not a complete backup (an interrupted backup never gets one)"));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto manifest = ParseManifest(text.str());
  if (!manifest.ok()) return manifest.status();
  for (const BackupFile& file : manifest->files) {
    if (auto s = CheckFile(dir, file); !s.ok()) return s;
  }
  return manifest;
}

absl::StatusOr<BackupManifest> RestoreBackup(const std::string& backup_dir,
                                             const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", data_dir, " is not empty: a restore never overwrites data (move it)"));
  }
  auto manifest = VerifyBackup(backup_dir);
  if (!manifest.ok()) return manifest.status();
  const std::string staging = absl::StrCat(data_dir, ".restoring");
  fs::remove_all(staging, ec);
  for (const BackupFile& file : manifest->files) {
    const fs::path target = fs::path(staging) / file.path;
    fs::create_directories(target.parent_path(), ec);
    if (!ec) {
      fs::copy_file(fs::path(backup_dir) / file.path, target, fs::copy_options::overwrite_existing,
                    ec);
    }
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("copying ", file.path, " into ", staging, ": ", ec.message()));
    }
    if (auto s = SyncPath(target.string()); !s.ok()) return s;
  }
  fs::create_directories(fs::path(staging) / "snapshots", ec);
  if (auto s = SyncPath(staging); !s.ok()) return s;
  fs::remove(data_dir, ec);  // absent or empty, checked above
  fs::rename(staging, data_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("renaming ", staging, " to ", data_dir, ": ", ec.message()));
  }
  const fs::path parent = fs::absolute(data_dir).parent_path();
  if (auto s = SyncPath(parent.string()); !s.ok()) return s;
  return manifest;
}

absl::Status AdoptRestoredDataDir(const std::string& data_dir) {
  std::error_code ec;
  const std::string manifest = absl::StrCat(data_dir, "/", kBackupManifestName);
  const std::string incomplete = absl::StrCat(data_dir, "/", kBackupIncompleteName);
  if (fs::exists(manifest, ec)) {
    auto verified = VerifyBackup(data_dir);
    if (!verified.ok()) return verified.status();
    fs::remove(incomplete, ec);
    fs::remove(manifest, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("removing ", manifest, ": ", ec.message()));
    return SyncPath(data_dir);
  }
  if (fs::exists(incomplete, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(data_dir, " is an interrupted backup (",
                                                      kBackupIncompleteName,
                                                      " and no manifest): not data to serve"));
  }
  return absl::OkStatus();
}

}  // namespace metricdb
