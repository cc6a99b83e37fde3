// The subcommands of the `metricdb` CLI. Each returns the process exit code:
// 0 on success, 1 when the server or a file says no (the reason is printed
// on stderr as "error: CODE: message").
#ifndef METRICDB_CLIENT_CLI_COMMANDS_H_
#define METRICDB_CLIENT_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/loaders/matrix_file.h"
#include "client/metricdb_client.h"

namespace metricdb {

struct CliContext {
  Client* client = nullptr;
  bool json = false;  // one JSON object per line instead of text
};

// Prints `s` on stderr and returns 1.
int Fail(const absl::Status& s);

// "0.1,0.2,..." as a one-row matrix; INVALID_ARGUMENT naming `flag`.
absl::StatusOr<Matrix> ParseVectorFlag(const std::string& text, const std::string& flag);

// An index choice on the command line; 0 = the server's default.
struct IndexArgs {
  std::string type = "flat";  // flat|hnsw|ivf_flat|ivf_pq
  int m = 0;                  // HNSW links, or IVF_PQ sub-quantisers
  int ef_construction = 0;
  int ef_search = 0;
  std::string quantization = "none";  // hnsw: none|sq8|sq4
  int rerank = 0;                     // quantised hnsw: candidates re-ranked
  int code_dims = 0;                  // quantised hnsw: principal axes coded
  int nlist = 0;
  int nprobe = 0;
  int nbits = 0;
};

struct CreateArgs {
  std::string name;
  int dim = 0;
  std::string metric = "l2";
  IndexArgs index;
  int shards = 1;  // > 1 needs a cluster
  // Declared attribute fields, "name:type" (string|int64|double|bool|timestamp).
  std::vector<std::string> attributes;
  std::string ttl;  // retention: "90s", "30m", "12h", "30d" or seconds; "" none
};
int RunCreate(CliContext& ctx, const CreateArgs& args);

// Nodes with their leases and where each shard lives.
int RunClusterStatus(CliContext& ctx);

// `alias create|switch ALIAS COLLECTION`, `alias delete ALIAS`, `alias list`.
struct AliasArgs {
  std::string action;  // create|switch|delete|list
  std::string alias;
  std::string collection;
};
int RunAlias(CliContext& ctx, const AliasArgs& args);

// An online backup named `name` in the server's backup directory.
int RunBackup(CliContext& ctx, const std::string& name);
// Verifies the backup in `backup_dir` and copies it into `data_dir` (absent
// or empty; no server involved): exit 1 naming the reason otherwise.
int RunRestore(CliContext& ctx, const std::string& backup_dir, const std::string& data_dir);

// Rebuilds a collection's index, switching to `index` when its type is given.
struct BuildIndexArgs {
  std::string name;
  bool change = false;  // a new index was named
  IndexArgs index;
};
int RunBuildIndex(CliContext& ctx, const BuildIndexArgs& args);
int RunList(CliContext& ctx);
int RunInfo(CliContext& ctx, const std::string& name);
int RunDrop(CliContext& ctx, const std::string& name);

struct GetArgs {
  std::string collection;
  std::vector<std::string> keys;
  bool vectors = false;
};
int RunGet(CliContext& ctx, const GetArgs& args);

struct DeleteArgs {
  std::string collection;
  std::vector<std::string> keys;
  std::vector<std::string> labels;
  std::string filter;
};
int RunDelete(CliContext& ctx, const DeleteArgs& args);

struct CountArgs {
  std::string collection;
  std::string filter;
};
int RunCount(CliContext& ctx, const CountArgs& args);

// A record as `get` and `scan` print it: key, label=, attributes, [vector]
// (one JSON object with --json).
void PrintRecord(const CliContext& ctx, const v1::Record& record);

// Identities and records (gallery_commands.cc). `limit` 0: all of them,
// fetched a page at a time.
struct LabelsArgs {
  std::string collection;
  std::string filter;
  int64_t limit = 0;
};
int RunLabels(CliContext& ctx, const LabelsArgs& args);

struct ScanArgs {
  std::string collection;
  std::string filter;
  std::string scope = "all";  // all|labelled|unlabelled
  std::vector<std::string> labels;
  bool vectors = false;
  int64_t limit = 0;
  int page_size = 1000;
};
int RunScan(CliContext& ctx, const ScanArgs& args);

struct RelabelArgs {
  std::string collection;
  std::vector<std::string> from;
  std::string to;
};
int RunRelabel(CliContext& ctx, const RelabelArgs& args);

struct LoadArgs {
  std::string collection;
  std::string file;
  MatrixFileOptions file_options;
  std::string labels_file;        // one label per line
  std::string keys_file;          // one key per line
  std::string key_prefix;         // keys = prefix + row number, when no keys file
  std::string attributes_file;    // JSON lines, one object of attributes per row
  int batch_size = 0;             // records per batch; 0 = about 4 MiB per batch
  std::string progress = "auto";  // auto (if stdout is a terminal)|always|never
};
// FILE may be an export directory (export_command.h): the collection is
// created from its schema when it does not exist, its rows loaded with their
// keys, labels and attributes, and (into a new collection) its metric
// versions uploaded in order and the active one activated.
int RunLoad(CliContext& ctx, const LoadArgs& args);

// A collection to a directory that `load` reads back (export_command.h),
// streamed `page_size` records at a time.
struct ExportArgs {
  std::string collection;
  std::string dir;
  int page_size = 1000;
};
int RunExport(CliContext& ctx, const ExportArgs& args);

struct SearchArgs {
  std::string collection;
  std::string file;    // queries from a file, or
  std::string vector;  // one query "0.1,0.2,..."
  MatrixFileOptions file_options;
  int k = 10;
  std::vector<std::string> labels;
  std::string filter;
  int batch_size = 256;  // queries per RPC
  int ef_search = 0;     // per-query overrides, 0 = the index's own
  int nprobe = 0;
  int rerank = 0;
  bool include_vectors = false;
  bool include_attributes = false;
  std::optional<double> max_distance;  // radius search, or
  std::optional<double> far;           // within the calibrated threshold
};
int RunSearch(CliContext& ctx, const SearchArgs& args);

// Learns a metric version with a streamed progress line (on stderr).
struct LearnArgs {
  std::string collection;
  std::string method;  // whitening|within_class|kissme|triplet|contrastive
  v1::LearnOptions options;
  bool activate = false;
  std::string progress = "auto";  // auto (if stderr is a terminal)|always|never
};
int RunLearn(CliContext& ctx, const LearnArgs& args);
// Declares `learn` and its flags (into args->options as they are parsed).
CLI::App* AddLearnCommand(CLI::App& app, LearnArgs* args);
int RunMetrics(CliContext& ctx, const std::string& collection);
int RunActivateMetric(CliContext& ctx, const std::string& collection, int version);

// Uploads L (d_out x dim) from a matrix file.
struct SetMetricArgs {
  std::string collection;
  std::string file;
  bool activate = false;
};
int RunSetMetric(CliContext& ctx, const SetMetricArgs& args);

// Identity queries. Thresholds: --threshold, or --far (a calibrated FAR).
struct ThresholdArgs {
  std::optional<double> threshold;
  std::optional<double> far;
};

struct IdentifyArgs {
  std::string collection;
  std::string file;               // queries from a file, and/or
  std::string vector;             // one query "0.1,0.2,...", and/or
  std::vector<std::string> keys;  // stored records as queries
  MatrixFileOptions file_options;
  int top = 5;
  int depth = 0;
  std::string aggregation = "min";  // min|mean|votes
  int top_n = 3;
  ThresholdArgs threshold;
  std::string filter;
};
int RunIdentify(CliContext& ctx, const IdentifyArgs& args);

// Pairs as SIDE SIDE ..., each side "key:K", "label:L" or "vec:0.1,0.2,...".
struct VerifyArgs {
  std::string collection;
  std::vector<std::string> sides;
  std::string aggregation = "min";
  int top_n = 3;
  ThresholdArgs threshold;
  std::string filter;
};
int RunVerify(CliContext& ctx, const VerifyArgs& args);

struct CalibrateArgs {
  std::string collection;
  std::vector<double> fars;
  double holdout = 0;
  std::optional<uint64_t> seed;
  int64_t max_records = 0;
  bool show = false;  // print the stored calibration instead of making one
  std::string filter;
};
int RunCalibrate(CliContext& ctx, const CalibrateArgs& args);

struct ClusterArgs {
  std::string collection;
  std::string method = "kmeans";  // kmeans|threshold
  std::string scope = "all";      // all|labelled|unlabelled
  std::vector<std::string> labels;
  int k = 0;
  int iterations = 0;
  std::optional<uint64_t> seed;
  ThresholdArgs threshold;
  int neighbors = 0;
  std::string linkage = "single";  // single|average
  bool write_labels = false;
  std::string label_prefix;
  std::string progress = "auto";
  std::string filter;
};
int RunCluster(CliContext& ctx, const ClusterArgs& args);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_CLI_COMMANDS_H_
