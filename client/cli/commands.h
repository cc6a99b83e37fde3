// The subcommands of the `metricdb` CLI. Each returns the process exit code:
// 0 on success, 1 when the server or a file says no (the reason is printed
// on stderr as "error: CODE: message").
#ifndef METRICDB_CLIENT_CLI_COMMANDS_H_
#define METRICDB_CLIENT_CLI_COMMANDS_H_

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

struct CreateArgs {
  std::string name;
  int dim = 0;
  std::string metric = "l2";
  std::string index = "flat";
};
int RunCreate(CliContext& ctx, const CreateArgs& args);
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
};
int RunDelete(CliContext& ctx, const DeleteArgs& args);

struct LoadArgs {
  std::string collection;
  std::string file;
  MatrixFileOptions file_options;
  std::string labels_file;  // one label per line
  std::string keys_file;    // one key per line
  std::string key_prefix;   // keys = prefix + row number, when no keys file
  int batch_size = 0;       // records per batch; 0 = about 4 MiB per batch
  std::string progress = "auto";  // auto (if stdout is a terminal)|always|never
};
int RunLoad(CliContext& ctx, const LoadArgs& args);

struct SearchArgs {
  std::string collection;
  std::string file;    // queries from a file, or
  std::string vector;  // one query "0.1,0.2,..."
  MatrixFileOptions file_options;
  int k = 10;
  std::vector<std::string> labels;
  int batch_size = 256;  // queries per RPC
  bool include_vectors = false;
  bool include_attributes = false;
};
int RunSearch(CliContext& ctx, const SearchArgs& args);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_CLI_COMMANDS_H_
