// metricdb export, and the export directory as `metricdb load` reads it.
//
// An export directory holds:
//   schema.json    the collection's schema (metricdb.v1.CollectionSchema as JSON)
//   metrics.jsonl  every metric version with its map, oldest first, then a
//                  last line {"active_version": N}
//   vectors.npy    float32, rows x dim, in key order
//   records.jsonl  per row of vectors.npy: {"key", "label", "attributes",
//                  "expires_unix_ms"} (the last three absent when there are
//                  none); load keeps each record's expiry (retention is not
//                  extended by a round trip) and skips rows already expired
// vectors.npy's row count is written last, after every row: a cut-off export
// is refused by load (the header promises no rows, or fewer than the file's).
#ifndef METRICDB_CLIENT_CLI_EXPORT_COMMAND_H_
#define METRICDB_CLIENT_CLI_EXPORT_COMMAND_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/commands.h"

namespace metricdb {

// The per-row fields of an export directory.
struct ExportedRows {
  v1::CollectionSchema schema;
  std::vector<std::string> keys;
  std::vector<std::string> labels;  // "" when unlabelled
  std::vector<std::map<std::string, std::string>> attributes;
  std::vector<int64_t> expires_unix_ms;  // 0 when the record does not expire
};
absl::StatusOr<ExportedRows> ReadExportedRows(const std::string& dir);

// Creates `collection` from the directory's schema (its name replaced).
absl::Status CreateFromExport(CliContext& ctx, const std::string& collection,
                              const ExportedRows& rows);
// Uploads the directory's metric versions, in order, to `collection` and
// activates the one that was active.
absl::Status ImportMetrics(CliContext& ctx, const std::string& collection, const std::string& dir);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_CLI_EXPORT_COMMAND_H_
