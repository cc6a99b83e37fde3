// Backup manifests: what makes a directory a complete backup of a data
// directory, and its restore.
//
// A backup directory has a data directory's layout (RocksDB's files, and
// snapshots/) plus two files of its own:
//   BACKUP-INCOMPLETE  written first, removed after the manifest: a backup cut
//                      short (kill -9, full disk) keeps it, and the server
//                      refuses to open such a directory as its data;
//   BACKUP-MANIFEST    written last (temporary file, fsync, rename, fsync of
//                      the directory): "metricdb-backup 1", "taken SECONDS",
//                      one "file SIZE SHA256HEX PATH" per file, "files N".
// Only a directory whose manifest is whole and whose every listed file has
// its size and SHA-256 is a backup; restore copies exactly those files.
#ifndef METRICDB_ENGINE_STORAGE_BACKUP_MANIFEST_H_
#define METRICDB_ENGINE_STORAGE_BACKUP_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace metricdb {

inline constexpr char kBackupManifestName[] = "BACKUP-MANIFEST";
inline constexpr char kBackupIncompleteName[] = "BACKUP-INCOMPLETE";

struct BackupFile {
  std::string path;  // relative to the backup directory, '/'-separated
  uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

struct BackupManifest {
  int64_t taken_unix_seconds = 0;
  std::vector<BackupFile> files;  // sorted by path

  uint64_t bytes() const;
};

// Lower-case hex SHA-256 of the file at `path`; UNAVAILABLE if unreadable.
absl::StatusOr<std::string> FileSha256(const std::string& path);

// Lists, fsyncs and hashes every regular file under `dir` (but its own two files)
// and writes the manifest durably, last.
absl::StatusOr<BackupManifest> WriteBackupManifest(const std::string& dir,
                                                   int64_t taken_unix_seconds);

// Reads the manifest of `dir` and checks every file it lists. NOT_FOUND
// when there is no manifest ("not a complete backup": an interrupted backup,
// or not a backup at all); DATA_LOSS naming the file when the manifest is
// malformed or a file is missing, of another size or checksum.
absl::StatusOr<BackupManifest> VerifyBackup(const std::string& dir);

// Verifies the backup in `backup_dir`, then copies the files it lists into
// `data_dir`, which must be absent or empty (FAILED_PRECONDITION: a restore
// never overwrites data). The copy is made in "<data_dir>.restoring",
// fsynced, and renamed into place, so a restore cut short leaves no
// half-filled data directory.
absl::StatusOr<BackupManifest> RestoreBackup(const std::string& backup_dir,
                                             const std::string& data_dir);

// What Engine::Open does with a data directory that came from a backup:
// with a manifest, verifies it (its error if that fails) and then removes
// the backup's two files, so the directory is an ordinary data directory from
// then on; with only BACKUP-INCOMPLETE, FAILED_PRECONDITION (an interrupted
// backup is not data); otherwise OK and nothing done.
absl::Status AdoptRestoredDataDir(const std::string& data_dir);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_STORAGE_BACKUP_MANIFEST_H_
