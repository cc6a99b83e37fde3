// The `metricdb` command-line client against a real server: every file
// format, --json output checked against the oracle, and bad files refused
// with nothing written.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "client/loaders/matrix_file.h"
#include "client/loaders/npy_file.h"
#include "client/loaders/row_reader.h"
#include "tests/testing/oracle.h"
#include "tests/testing/sanitizers.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using testing::OracleKnn;
using testing::OracleMetric;
using testing::RandomVectors;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kDim = 12;
constexpr int kRows = 300;

struct CliResult {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string NpyBytes(const std::vector<float>& v, int64_t rows, int cols, bool f64) {
  std::string header = "{'descr': '" + std::string(f64 ? "<f8" : "<f4") +
                       "', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  out.push_back(char(header.size() & 0xff));
  out.push_back(char(header.size() >> 8));
  out += header;
  for (float x : v) {
    if (f64) {
      double d = x;
      out.append(reinterpret_cast<const char*>(&d), 8);
    } else {
      out.append(reinterpret_cast<const char*>(&x), 4);
    }
  }
  return out;
}

std::string FvecsBytes(const std::vector<float>& v, int64_t rows, int cols) {
  std::string out;
  for (int64_t r = 0; r < rows; ++r) {
    int32_t d = cols;
    out.append(reinterpret_cast<const char*>(&d), 4);
    out.append(reinterpret_cast<const char*>(v.data() + r * cols), cols * 4);
  }
  return out;
}

std::string CsvText(const std::vector<float>& v, int64_t rows, int cols) {
  std::ostringstream out;
  out.precision(9);
  out << "name";
  for (int c = 0; c < cols; ++c) out << ",f" << c;
  out << "\n";
  for (int64_t r = 0; r < rows; ++r) {
    out << "person" << r % 4;
    for (int c = 0; c < cols; ++c) out << "," << v[r * cols + c];
    out << "\n";
  }
  return out.str();
}

void WriteHdf5(const std::string& path, const std::vector<float>& v, int64_t rows, int cols) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {hsize_t(rows), hsize_t(cols)};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t ds =
      H5Dcreate2(file, "train", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(ds);
  H5Sclose(space);
  H5Fclose(file);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.file("data"));
    ASSERT_OK(server_->Start());
    base_ = RandomVectors(kRows, kDim, 21);
  }

  CliResult Run(const std::string& args) {
    const std::string err_file = dir_.file("stderr");
    const std::string cmd = std::string(METRICDB_CLI_BIN) + " --addr " + server_->address() + " " +
                            args + " 2>" + err_file;
    CliResult r;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = Slurp(err_file);
    return r;
  }

  // Parses one JSON object per line.
  static std::vector<nlohmann::json> Lines(const std::string& out) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  int64_t Records(const std::string& collection) {
    auto r = Run("info " + collection + " --json");
    EXPECT_EQ(r.code, 0) << r.err;
    return Lines(r.out).at(0)["records"].get<int64_t>();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<float> base_;
};

TEST_F(CliTest, LoadsEveryFormatAndSearchJsonEqualsBruteForce) {
  WriteBytes(dir_.file("v32.npy"), NpyBytes(base_, kRows, kDim, false));
  WriteBytes(dir_.file("v64.npy"), NpyBytes(base_, kRows, kDim, true));
  WriteBytes(dir_.file("v.fvecs"), FvecsBytes(base_, kRows, kDim));
  WriteBytes(dir_.file("v.csv"), CsvText(base_, kRows, kDim));
  WriteHdf5(dir_.file("v.hdf5"), base_, kRows, kDim);
  std::string labels;
  for (int i = 0; i < kRows; ++i) labels += "person" + std::to_string(i % 4) + "\n";
  WriteBytes(dir_.file("labels.txt"), labels);

  const std::vector<std::pair<std::string, std::string>> loads = {
      {"npy32", "v32.npy --labels " + dir_.file("labels.txt")},
      {"npy64", "v64.npy --labels " + dir_.file("labels.txt")},
      {"fvecs", "v.fvecs --labels " + dir_.file("labels.txt")},
      {"csv", "v.csv --label-column name"},
      {"hdf5", "v.hdf5 --labels " + dir_.file("labels.txt")}};
  const auto queries = RandomVectors(4, kDim, 22);
  WriteBytes(dir_.file("q.npy"), NpyBytes(queries, 4, kDim, false));
  for (const auto& [name, args] : loads) {
    SCOPED_TRACE(name);
    auto r = Run("create " + name + " --dim " + std::to_string(kDim) + " --metric l2");
    ASSERT_EQ(r.code, 0) << r.err;
    r = Run("load " + name + " " + dir_.file("") + args +
            " --key-prefix row --batch-size 64 --json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto summary = Lines(r.out).at(0);
    EXPECT_EQ(summary["records"], kRows);
    EXPECT_EQ(summary["batches"], (kRows + 63) / 64);

    r = Run("info " + name + " --json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto info = Lines(r.out).at(0);
    EXPECT_EQ(info["records"], kRows);
    EXPECT_EQ(info["labels"], 4);
    EXPECT_EQ(info["dim"], kDim);
    EXPECT_EQ(info["metric"], "l2");

    r = Run("search " + name + " " + dir_.file("q.npy") + " -k 5 --json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto results = Lines(r.out);
    ASSERT_EQ(results.size(), 4u);
    for (int q = 0; q < 4; ++q) {
      EXPECT_EQ(results[q]["query"], q);
      auto expected = OracleKnn(OracleMetric::kL2, base_, kDim, queries.data() + q * kDim, 5);
      ASSERT_EQ(results[q]["hits"].size(), 5u);
      for (int j = 0; j < 5; ++j) {
        const auto& hit = results[q]["hits"][j];
        EXPECT_EQ(hit["key"], "row" + std::to_string(expected[j].second));
        EXPECT_EQ(hit["label"], "person" + std::to_string(expected[j].second % 4));
        // CSV stores decimal text: allow for its rounding.
        EXPECT_NEAR(hit["distance"].get<double>(), expected[j].first, 1e-4);
      }
    }
  }

  // --vector, get --json, delete and list.
  std::ostringstream vec;
  vec.precision(9);
  for (int d = 0; d < kDim; ++d) vec << (d ? "," : "") << base_[7 * kDim + d];
  auto r = Run("search npy32 --vector " + vec.str() + " -k 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out)[0]["hits"][0]["key"], "row7");
  // Switch to HNSW and search with a per-query ef_search.
  r = Run("build-index npy32 --index hnsw --m 8 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto built = Lines(r.out).at(0);
  EXPECT_EQ(built["index"]["type"], "hnsw");
  EXPECT_EQ(built["index"]["m"], 8);
  EXPECT_EQ(built["records"], kRows);
  r = Run("search npy32 --vector " + vec.str() + " -k 1 --ef-search 100 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out)[0]["hits"][0]["key"], "row7");
  r = Run("search npy32 --vector " + vec.str() + " --nprobe 3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("params.nprobe"), std::string::npos) << r.err;
  r = Run("search npy32 --vector " + vec.str() + " --rerank 3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("params.rerank: only for quantised hnsw"), std::string::npos) << r.err;
  // A quantised graph: walked on codes, re-ranked, its memory shown by part
  // with the full vectors in a file of the server's data directory.
  r = Run("build-index npy32 --index hnsw --m 8 --quantization sq8 --rerank 16 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  built = Lines(r.out).at(0);
  EXPECT_EQ(built["index"]["quantization"], "sq8");
  EXPECT_EQ(built["index"]["rerank"], 16);
  EXPECT_EQ(built["index_code_bytes"].get<int64_t>() >= kRows * kDim, true) << built.dump();
  EXPECT_EQ(built["index_vector_bytes"].get<int64_t>(), int64_t(kRows) * kDim * 4);
  EXPECT_EQ(built["index_vectors_mapped"], true);
  EXPECT_EQ(built["index_memory_bytes"].get<int64_t>(),
            built["index_graph_bytes"].get<int64_t>() + built["index_code_bytes"].get<int64_t>());
  r = Run("search npy32 --vector " + vec.str() + " -k 1 --rerank 4 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out)[0]["hits"][0]["key"], "row7");
  EXPECT_NEAR(Lines(r.out)[0]["hits"][0]["distance"].get<double>(), 0.0, 1e-6);
  r = Run("info npy32");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("in a mapped file, not counted"), std::string::npos) << r.out;
  // Codes of 6 principal axes of the 12 dimensions: smaller codes, and the
  // re-ranked answer is still exact.
  const int64_t full_codes = built["index_code_bytes"].get<int64_t>();
  r = Run("build-index npy32 --index hnsw --m 8 --quantization sq8 --code-dims 6 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  built = Lines(r.out).at(0);
  EXPECT_EQ(built["index"]["code_dims"], 6);
  EXPECT_LT(built["index_code_bytes"].get<int64_t>(), full_codes) << built.dump();
  r = Run("search npy32 --vector " + vec.str() + " -k 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out)[0]["hits"][0]["key"], "row7");
  EXPECT_NEAR(Lines(r.out)[0]["hits"][0]["distance"].get<double>(), 0.0, 1e-6);
  r = Run("build-index npy32 --index hnsw --quantization sq8 --code-dims 12");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("index.hnsw.code_dims: must be 0"), std::string::npos) << r.err;
  r = Run("create q --dim " + std::to_string(kDim) + " --index flat --quantization sq4");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--quantization"), std::string::npos) << r.err;
  r = Run("create ivf --dim " + std::to_string(kDim) + " --index ivf_pq --m 5");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("index.ivf_pq.m: 5 does not divide dim 12"), std::string::npos) << r.err;

  r = Run("get npy32 row7 --vectors --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto rec = Lines(r.out).at(0);
  EXPECT_EQ(rec["label"], "person3");
  EXPECT_NEAR(rec["vector"][3].get<double>(), base_[7 * kDim + 3], 1e-6);
  r = Run("delete npy32 --key row7 --label person0 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out)[0]["deleted"], 1 + kRows / 4);
  r = Run("get npy32 row7");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  r = Run("list --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), loads.size());
}

TEST_F(CliTest, BadFilesAreRefusedAndWriteNothing) {
  ASSERT_EQ(Run("create c --dim " + std::to_string(kDim)).code, 0);
  const std::string npy = NpyBytes(base_, kRows, kDim, false);
  WriteBytes(dir_.file("truncated.npy"), npy.substr(0, npy.size() - 10));
  WriteBytes(dir_.file("int.npy"), [&] {
    std::string s = npy;
    s.replace(s.find("<f4"), 3, "<i4");
    return s;
  }());
  const std::string fvecs = FvecsBytes(base_, kRows, kDim);
  WriteBytes(dir_.file("truncated.fvecs"), fvecs.substr(0, fvecs.size() - 3));
  std::string bad_row = fvecs;
  const int32_t wrong = kDim + 1;
  std::memcpy(bad_row.data() + 250 * (4 + kDim * 4), &wrong, 4);
  WriteBytes(dir_.file("bad_row.fvecs"), bad_row);
  WriteBytes(dir_.file("text.csv"), "1,2,3\n4,five,6\n");
  WriteBytes(dir_.file("ragged.csv"), "1,2,3\n4,5\n");
  WriteBytes(dir_.file("garbage.hdf5"), "not hdf5 at all");
  WriteHdf5(dir_.file("v.hdf5"), base_, kRows, kDim);
  WriteBytes(dir_.file("v.npy"), npy);
  WriteBytes(dir_.file("short_labels.txt"), "a\nb\n");
  std::vector<float> with_nan = base_;
  with_nan[5 * kDim + 2] = std::nanf("");
  WriteBytes(dir_.file("nan.npy"), NpyBytes(with_nan, kRows, kDim, false));
  const auto wide = RandomVectors(10, kDim + 1, 23);
  WriteBytes(dir_.file("wide.npy"), NpyBytes(wide, 10, kDim + 1, false));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"truncated.npy", "truncated"},
      {"int.npy", "float32 or float64"},
      {"truncated.fvecs", "truncated"},
      {"bad_row.fvecs", "row 250 declares dimension 13"},
      {"text.csv", "not a number"},
      {"ragged.csv", "fields"},
      {"garbage.hdf5", "not an HDF5 file"},
      {"v.hdf5 --dataset nope", "no dataset"},
      {"v.npy --labels " + dir_.file("short_labels.txt"), "2 labels"},
      {"nan.npy", "row 5 column 2"},
      {"wide.npy", "dim 13"},
      {"missing.npy", "cannot open"}};
  for (const auto& [args, reason] : bad) {
    SCOPED_TRACE(args);
    // Batches of 4: a bad value or row after the first batch still writes nothing.
    auto r = Run("load c --batch-size 4 " + dir_.file(args));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one-line message: " << r.err;
  }
  EXPECT_EQ(Records("c"), 0);

  auto r = Run("load missing_collection " + dir_.file("v.npy"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  r = Run("search c --vector 1,2,3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
  r = Run("create c --dim 4");
  EXPECT_NE(r.err.find("ALREADY_EXISTS"), std::string::npos) << r.err;
}

// RowReader (what `load` streams from) against ReadMatrixFile (the whole
// file at once): the same values in every format, read in blocks of 7 rows
// in scrambled order, and the same errors for damaged files.
TEST(RowReaderTest, BlocksEqualTheWholeFileInEveryFormat) {
  TempDir dir;
  const std::vector<float> v = RandomVectors(kRows, kDim, 31);
  WriteBytes(dir.file("v32.npy"), NpyBytes(v, kRows, kDim, false));
  WriteBytes(dir.file("v64.npy"), NpyBytes(v, kRows, kDim, true));
  WriteBytes(dir.file("v.fvecs"), FvecsBytes(v, kRows, kDim));
  WriteBytes(dir.file("v.csv"), CsvText(v, kRows, kDim));
  WriteHdf5(dir.file("v.hdf5"), v, kRows, kDim);
  MatrixFileOptions options;
  options.csv.label_column = "name";
  for (const char* name : {"v32.npy", "v64.npy", "v.fvecs", "v.csv", "v.hdf5"}) {
    SCOPED_TRACE(name);
    auto whole = ReadMatrixFile(dir.file(name), options);
    ASSERT_OK(whole.status());
    auto reader = OpenRowReader(dir.file(name), options);
    ASSERT_OK(reader.status());
    ASSERT_EQ((*reader)->rows(), whole->rows);
    ASSERT_EQ((*reader)->cols(), whole->cols);
    std::vector<int64_t> starts;
    for (int64_t first = 0; first < kRows; first += 7) starts.push_back(first);
    std::reverse(starts.begin(), starts.end());
    std::rotate(starts.begin(), starts.begin() + starts.size() / 3, starts.end());
    std::vector<float> block(7 * kDim);
    for (int64_t first : starts) {
      const int64_t n = std::min<int64_t>(7, kRows - first);
      ASSERT_OK((*reader)->Read(first, n, block.data()));
      for (int64_t i = 0; i < n * kDim; ++i) {
        ASSERT_EQ(block[i], whole->values[first * kDim + i]) << "row " << first + i / kDim;
      }
    }
    EXPECT_EQ((*reader)->TakeLabels(), whole->labels);
  }

  const std::string npy = NpyBytes(v, kRows, kDim, false);
  const std::string fvecs = FvecsBytes(v, kRows, kDim);
  WriteBytes(dir.file("truncated.npy"), npy.substr(0, npy.size() - 10));
  WriteBytes(dir.file("header.npy"), npy.substr(0, 40));
  WriteBytes(dir.file("truncated.fvecs"), fvecs.substr(0, fvecs.size() - 3));
  WriteBytes(dir.file("empty.fvecs"), "");
  for (const char* name :
       {"truncated.npy", "header.npy", "truncated.fvecs", "empty.fvecs", "missing.npy"}) {
    SCOPED_TRACE(name);
    auto whole = ReadMatrixFile(dir.file(name), options);
    auto reader = OpenRowReader(dir.file(name), options);
    ASSERT_FALSE(whole.ok());
    EXPECT_EQ(reader.status(), whole.status());
  }
  // A row declaring another dimension is found when that row is read.
  std::string bad_row = fvecs;
  const int32_t wrong = kDim + 1;
  std::memcpy(bad_row.data() + 9 * (4 + kDim * 4), &wrong, 4);
  WriteBytes(dir.file("bad_row.fvecs"), bad_row);
  auto reader = OpenRowReader(dir.file("bad_row.fvecs"), options);
  ASSERT_OK(reader.status());
  std::vector<float> block(7 * kDim);
  EXPECT_OK((*reader)->Read(0, 7, block.data()));
  const absl::Status s = (*reader)->Read(7, 7, block.data());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(".fvecs row 9 declares dimension 13"), std::string::npos) << s;
}

// `load` holds one batch of the file at a time, not the file: the CLI's peak
// memory while loading a 128 MiB .npy stays far below the file's size (reading
// the whole file took at least twice the file).
TEST_F(CliTest, LoadHoldsABatchOfTheFileNotAllOfIt) {
  if (testing::kSanitizedBuild) GTEST_SKIP() << "a sanitizer's allocator keeps freed memory";
  const int rows = 32768, dim = 1024;
  ASSERT_EQ(Run("create big --dim " + std::to_string(dim)).code, 0);
  WriteBytes(dir_.file("big.npy"), NpyBytes(RandomVectors(rows, dim, 41), rows, dim, false));
  const std::string cmd = std::string(METRICDB_CLI_BIN) + " --addr " + server_->address() +
                          " load big " + dir_.file("big.npy") + " --json > " + dir_.file("out") +
                          " 2>&1";
  // The CLI runs in a child of a child, so RUSAGE_CHILDREN counts it alone.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    const int status = std::system(cmd.c_str());
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    const long out[2] = {long(status), usage.ru_maxrss};
    (void)!write(pipe_fds[1], out, sizeof out);
    _exit(0);
  }
  long result[2] = {-1, -1};
  ASSERT_EQ(read(pipe_fds[0], result, sizeof result), ssize_t(sizeof result));
  waitpid(helper, nullptr, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  ASSERT_TRUE(WIFEXITED(result[0]) && WEXITSTATUS(result[0]) == 0) << Slurp(dir_.file("out"));
  EXPECT_EQ(Lines(Slurp(dir_.file("out"))).at(0)["records"], rows);
  EXPECT_EQ(Records("big"), rows);
  const long file_kib = long(rows) * dim * 4 / 1024;  // 131,072
  EXPECT_LT(result[1], file_kib / 2)
      << "the CLI peaked at " << result[1] << " KiB for a " << file_kib << " KiB file";
}

// learn / metrics / set-metric / activate-metric through the CLI and a real
// server: an uploaded map is checked against brute force ||L (x - y)||.
TEST_F(CliTest, LearnsUploadsAndActivatesMetrics) {
  const std::string data = dir_.file("sk");
  const std::string export_cmd = "/usr/bin/python3 " + std::string(METRICDB_SOURCE_DIR) +
                                 "/tests/data/export_sklearn.py " + data + " wine";
  ASSERT_EQ(std::system(export_cmd.c_str()), 0) << export_cmd;
  auto r = Run("create wine --dim 13");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run("load wine " + data + "/wine.npy --labels " + data + "/wine_labels.txt");
  ASSERT_EQ(r.code, 0) << r.err;

  r = Run("learn wine --method kissme --split record --holdout 0.3 --activate --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto learned = Lines(r.out).at(0);
  EXPECT_EQ(learned["version"], 1);
  EXPECT_EQ(learned["method"], "kissme");
  EXPECT_TRUE(learned["active"].get<bool>());
  EXPECT_GT(learned["after"]["precision_at_1"].get<double>(),
            learned["before"]["precision_at_1"].get<double>());
  auto info = Lines(Run("info wine --json").out).at(0);
  EXPECT_EQ(info["active_metric"], "mahalanobis");
  EXPECT_EQ(info["metric_version"], 1);

  // Upload L = diag(1..13) / 10 and search under it.
  std::vector<float> l(13 * 13, 0);
  for (int i = 0; i < 13; ++i) l[i * 13 + i] = float(i + 1) / 10;
  WriteBytes(dir_.file("L.npy"), NpyBytes(l, 13, 13, false));
  r = Run("set-metric wine " + dir_.file("L.npy") + " --activate --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["version"], 2);
  EXPECT_EQ(Lines(r.out).at(0)["method"], "uploaded");
  auto wine = ReadNpy(data + "/wine.npy");
  ASSERT_OK(wine);
  std::vector<float> mapped(wine->values.size());
  for (int64_t i = 0; i < wine->rows; ++i) {
    for (int j = 0; j < 13; ++j) mapped[i * 13 + j] = wine->values[i * 13 + j] * l[j * 13 + j];
  }
  const std::vector<float> queries(wine->values.begin(), wine->values.begin() + 3 * 13);
  WriteBytes(dir_.file("wq.npy"), NpyBytes(queries, 3, 13, false));
  r = Run("search wine " + dir_.file("wq.npy") + " -k 5 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto results = Lines(r.out);
  ASSERT_EQ(results.size(), 3u);
  for (int q = 0; q < 3; ++q) {
    const auto truth = OracleKnn(testing::OracleMetric::kL2, mapped, 13, mapped.data() + q * 13, 5);
    const auto& hits = results[q]["hits"];
    ASSERT_EQ(hits.size(), 5u);
    for (int j = 0; j < 5; ++j) {
      const double d = hits[j]["distance"].get<double>();
      EXPECT_NEAR(d * d, truth[j].first * truth[j].first,
                  1e-4 * std::max(1.0, truth[j].first * truth[j].first));
    }
  }

  // LMNN with its own option, stored beside the others, not activated.
  r = Run("learn wine --method lmnn --target-neighbors 2 --split record --holdout 0.3 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["version"], 3);
  EXPECT_EQ(Lines(r.out).at(0)["method"], "lmnn");
  EXPECT_FALSE(Lines(r.out).at(0)["active"].get<bool>());

  r = Run("metrics wine --json");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 3u);
  EXPECT_FALSE(Lines(r.out)[0]["active"].get<bool>());
  EXPECT_TRUE(Lines(r.out)[1]["active"].get<bool>());
  r = Run("activate-metric wine 0 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["active_metric"], "l2");

  // Refusals: each with its status, nothing changed.
  r = Run("learn wine --method nca");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
  r = Run("learn wine --method kissme");  // 3 identities: a 20% identity hold-out has 1
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("FAILED_PRECONDITION"), std::string::npos) << r.err;
  r = Run("learn wine --method kissme --d-out 14 --split record");
  EXPECT_NE(r.err.find("options.d_out"), std::string::npos) << r.err;
  r = Run("learn wine --method lmnn --target-neighbors 65 --split record");
  EXPECT_NE(r.err.find("options.target_neighbors: must be in [1, 64]"), std::string::npos) << r.err;
  r = Run("activate-metric wine 9");
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  r = Run("learn nosuch --method kissme");
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(Run("info wine --json").out).at(0)["metric_version"], 0);
}

// identify / verify / calibrate / cluster through the CLI and a real server,
// on 20 well-separated identities of 5 records (plus 6 unlabelled ones).
TEST_F(CliTest, IdentityCommandsAnswerWithJson) {
  const int dim = 8, ids = 20, per = 5;
  const auto centres = RandomVectors(ids + 2, dim, 31);
  const auto noise = RandomVectors((ids + 2) * per, dim, 32);
  std::vector<float> x;
  std::string labels;
  for (int c = 0; c < ids; ++c) {
    for (int r = 0; r < per; ++r) {
      for (int d = 0; d < dim; ++d)
        x.push_back(10 * centres[c * dim + d] + 0.3f * noise[(c * per + r) * dim + d]);
      labels += "person" + std::to_string(c) + "\n";
    }
  }
  WriteBytes(dir_.file("ids.npy"), NpyBytes(x, ids * per, dim, false));
  WriteBytes(dir_.file("ids.txt"), labels);
  std::vector<float> strangers;  // two unseen identities, 3 records each
  for (int c = ids; c < ids + 2; ++c) {
    for (int r = 0; r < 3; ++r) {
      for (int d = 0; d < dim; ++d)
        strangers.push_back(10 * centres[c * dim + d] + 0.3f * noise[(c * per + r) * dim + d]);
    }
  }
  WriteBytes(dir_.file("new.npy"), NpyBytes(strangers, 6, dim, false));
  ASSERT_EQ(Run("create people --dim 8").code, 0);
  auto r = Run("load people " + dir_.file("ids.npy") + " --labels " + dir_.file("ids.txt") +
               " --key-prefix k");
  ASSERT_EQ(r.code, 0) << r.err;

  r = Run("verify people key:k0 key:k1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("FAILED_PRECONDITION"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("calibrate"), std::string::npos) << r.err;

  r = Run("calibrate people --far 0.001 --far 0.01 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto cal = Lines(r.out).at(0);
  ASSERT_EQ(cal["points"].size(), 2u);
  EXPECT_EQ(cal["genuine_pairs"], std::to_string(ids * 10));  // int64 is a JSON string
  EXPECT_FALSE(cal["stale"].get<bool>());
  r = Run("calibrate people --show --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["points"], cal["points"]);

  // Strangers are unknown, gallery records are themselves. (The calibrated
  // threshold sits just under the closest impostor pairs of only 20
  // identities, so strangers get an explicit one with a margin.)
  r = Run("identify people " + dir_.file("new.npy") + " --threshold 5 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& line : Lines(r.out)) EXPECT_TRUE(line["unknown"].get<bool>()) << line.dump();
  r = Run("identify people --key k7 --key k12 --far 0.001 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto found = Lines(r.out);
  EXPECT_EQ(found.at(0)["identities"][0]["label"], "person1");
  EXPECT_EQ(found.at(1)["identities"][0]["label"], "person2");
  EXPECT_FALSE(found.at(0)["unknown"].get<bool>());

  r = Run("verify people key:k0 key:k1 key:k0 key:k5 key:k6 label:person1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto v = Lines(r.out);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(v[0]["same"].get<bool>());
  EXPECT_FALSE(v[1]["same"].get<bool>());
  EXPECT_TRUE(v[2]["same"].get<bool>());
  EXPECT_DOUBLE_EQ(v[0]["threshold"].get<double>(), cal["points"][0]["threshold"].get<double>());

  r = Run("cluster people --method kmeans -k 20 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto km = Lines(r.out).at(0);
  EXPECT_EQ(km["clusters"], 20);
  EXPECT_EQ(km["assignments"].size(), size_t(ids * per));
  EXPECT_GT(km["quality"]["nmi"].get<double>(), 0.8);

  // The strangers, unlabelled, clustered by threshold and labelled.
  r = Run("load people " + dir_.file("new.npy") + " --key-prefix new");
  ASSERT_EQ(r.code, 0) << r.err;
  r =
      Run("cluster people --method threshold --far 0.001 --scope unlabelled --write-labels "
          "--label-prefix guest --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto th = Lines(r.out).at(0);
  EXPECT_EQ(th["clusters"], 2);
  EXPECT_EQ(th["labels_written"], "6");
  r = Run("get people new0 new5 --json");
  auto got = Lines(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["label"].get<std::string>().rfind("guest", 0), 0u);
  EXPECT_NE(got[0]["label"], got[1]["label"]);

  // Refusals.
  r = Run("verify people key:k0");
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
  r = Run("verify people key:k0 key:nosuch --threshold 1");
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  r = Run("identify people --key nosuch");
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  r = Run("cluster people --method kmeans -k 1000");
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
  r = Run("identify people --key k0 --far 0.5");
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
}

// A server with tokens: the CLI authenticates with --token-file,
// METRICDB_TOKEN_FILE or --token, and says why when it cannot.
TEST_F(CliTest, AuthenticatesWithATokenFileOrToken) {
  server_->Stop();
  const std::string token = dir_.file("admin.token"), tokens = dir_.file("tokens");
  std::ofstream(token) << "s3cret-admin\n";
  // sha256("s3cret-admin"), made the way README says: printf %s TOKEN | sha256sum
  const std::string hash_cmd = "printf %s s3cret-admin | sha256sum | cut -c1-64";
  FILE* p = popen(hash_cmd.c_str(), "r");
  char hex[65] = {0};
  ASSERT_EQ(fread(hex, 1, 64, p), 64u);
  pclose(p);
  std::ofstream(tokens) << "admin " << hex << " cli\n";
  server_ = std::make_unique<ServerProcess>(dir_.file("data-auth"),
                                            std::vector<std::string>{"--auth-tokens", tokens});
  ASSERT_OK(server_->Start());

  auto r = Run("list");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("UNAUTHENTICATED"), std::string::npos) << r.err;
  r = Run("--token-file " + token + " create a --dim 4");
  EXPECT_EQ(r.code, 0) << r.err;
  r = Run("--token s3cret-admin list --json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["name"], "a");
  r = Run("--token wrong list");
  EXPECT_NE(r.err.find("unknown token"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace metricdb

namespace metricdb {
namespace {

// Gallery commands: attributes loaded from CSV columns and a JSON-lines file
// (typed, checked before anything is sent), then count, labels, scan,
// relabel, radius search and a filtered identify, each against the test's
// own tally of the file.
TEST_F(CliTest, GalleryCommandsLoadAttributesAndAnswerFromThem) {
  // A CSV with a label column, a "cam" attribute column and the vector.
  std::ostringstream csv, jsonl, bad_jsonl;
  csv.precision(9);
  csv << "name,cam";
  for (int c = 0; c < kDim; ++c) csv << ",f" << c;
  csv << "\n";
  for (int r = 0; r < kRows; ++r) {
    csv << "person" << r % 4 << ",c" << r % 3;
    for (int c = 0; c < kDim; ++c) csv << "," << base_[r * kDim + c];
    csv << "\n";
    jsonl << R"({"ts": )" << 1000 + r << R"(, "vip": )" << (r % 5 == 0 ? "true" : "false") << "}\n";
    bad_jsonl << (r == 250 ? R"({"ts": "noon"})" : R"({"ts": 1})") << "\n";
  }
  WriteBytes(dir_.file("g.csv"), csv.str());
  WriteBytes(dir_.file("g.jsonl"), jsonl.str());
  WriteBytes(dir_.file("bad.jsonl"), bad_jsonl.str());
  auto r = Run("create g --dim " + std::to_string(kDim) +
               " --attribute cam:string --attribute ts:timestamp --attribute vip:bool");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run("load g " + dir_.file("g.csv") + " --label-column name --attribute-column cam" +
          " --attributes " + dir_.file("bad.jsonl") + " --key-prefix k --batch-size 64");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("row 250 attribute ts: \"noon\" is not a timestamp"), std::string::npos)
      << r.err;
  EXPECT_EQ(Records("g"), 0) << "a bad attributes file wrote something";
  r = Run("load g " + dir_.file("g.csv") + " --label-column name --attribute-column cam" +
          " --attributes " + dir_.file("g.jsonl") + " --key-prefix k --batch-size 64");
  ASSERT_EQ(r.code, 0) << r.err;

  // count: cam c1, ts >= 1100, vip.
  int want = 0;
  for (int i = 0; i < kRows; ++i) want += i % 3 == 1 && 1000 + i >= 1100 && i % 5 == 0;
  r = Run(R"(count g --filter 'cam = "c1" AND ts >= 1100 AND vip = true' --json)");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["count"], want);
  r = Run(R"(count g --filter 'ts = "noon"')");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("at character 6: type mismatch"), std::string::npos) << r.err;

  // labels, relabel, labels again.
  r = Run("labels g --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto labels = Lines(r.out);
  ASSERT_EQ(labels.size(), 4u);
  EXPECT_EQ(labels[0]["label"], "person0");
  EXPECT_EQ(labels[0]["records"], kRows / 4);
  r = Run("relabel g --from person1 --from person2 --to pair --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["relabelled"], kRows / 2);
  r = Run(R"(labels g --filter 'cam = "c0"')");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "pair\t50\nperson0\t25\nperson3\t25\n");

  // scan: every c2 record once, in key order, with attributes.
  r = Run(R"(scan g --filter 'cam = "c2"' --page-size 7 --json)");
  ASSERT_EQ(r.code, 0) << r.err;
  std::set<std::string> keys;
  for (const auto& rec : Lines(r.out)) {
    EXPECT_EQ(rec["attributes"]["cam"], "c2");
    EXPECT_TRUE(keys.insert(rec["key"].get<std::string>()).second);
  }
  EXPECT_EQ(keys.size(), size_t(kRows / 3));

  // search with a radius: exactly the records within it (FLAT).
  std::ostringstream vec;
  for (int d = 0; d < kDim; ++d) vec << (d ? "," : "") << base_[d];
  const double radius = 4.5;
  r = Run("search g --vector " + vec.str() + " --max-distance 4.5 --limit 300 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto all = OracleKnn(OracleMetric::kL2, base_, kDim, base_.data(), kRows);
  size_t within = 0;
  while (within < all.size() && all[within].first <= radius) ++within;
  EXPECT_GT(within, 1u);
  EXPECT_EQ(Lines(r.out).at(0)["hits"].size(), within);

  // identify under a filter names only records that match it.
  r = Run("identify g --vector " + vec.str() + R"( --filter 'cam = "c1"' --json)");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto identified = Lines(r.out);  // kept: the loop walks into it
  for (const auto& identity : identified.at(0)["identities"]) {
    for (const auto& key : identity["keys"]) {
      EXPECT_EQ(std::stoi(key.get<std::string>().substr(1)) % 3, 1) << key;
    }
  }
}

}  // namespace
}  // namespace metricdb

namespace metricdb {
namespace {

// Export → load: an equal collection (records in key order with vectors,
// labels — some records unlabelled — and attributes; declared attribute
// types; metric versions with their maps and the active one); an export cut
// short is refused with nothing created.
TEST_F(CliTest, ExportThenLoadGivesAnEqualCollection) {
  std::string labels;
  for (int i = 0; i < kRows; ++i) labels += "person" + std::to_string(i % 4) + "\n";
  WriteBytes(dir_.file("v.npy"), NpyBytes(base_, kRows, kDim, false));
  WriteBytes(dir_.file("labels.txt"), labels);
  std::string attrs;
  for (int i = 0; i < kRows; ++i) attrs += R"({"cam": "c)" + std::to_string(i % 3) + "\"}\n";
  WriteBytes(dir_.file("attrs.jsonl"), attrs);
  const auto extra = RandomVectors(20, kDim, 23);
  WriteBytes(dir_.file("extra.npy"), NpyBytes(extra, 20, kDim, false));
  const auto l_map = RandomVectors(6, kDim, 24);  // 6 x kDim
  WriteBytes(dir_.file("map.npy"), NpyBytes(l_map, 6, kDim, false));

  ASSERT_EQ(Run("create src --dim " + std::to_string(kDim) + " --attribute cam:string").code, 0);
  auto r = Run("load src " + dir_.file("v.npy") + " --labels " + dir_.file("labels.txt") +
               " --attributes " + dir_.file("attrs.jsonl") + " --key-prefix k");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run("load src " + dir_.file("extra.npy") + " --key-prefix u");  // unlabelled
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run("set-metric src " + dir_.file("map.npy") + " --activate");
  ASSERT_EQ(r.code, 0) << r.err;

  r = Run("export src " + dir_.file("out") + " --page-size 7 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0)["records"], kRows + 20);
  r = Run("load dst " + dir_.file("out"));
  ASSERT_EQ(r.code, 0) << r.err;

  auto scan = [&](const std::string& c) {
    auto s = Run("scan " + c + " --vectors --json --page-size 50");
    EXPECT_EQ(s.code, 0) << s.err;
    return s.out;
  };
  const std::string want = scan("src");
  EXPECT_EQ(Lines(want).size(), size_t(kRows + 20));
  EXPECT_EQ(scan("dst"), want);
  // Schema, metric versions and maps: export the copy and compare the files.
  r = Run("export dst " + dir_.file("again"));
  ASSERT_EQ(r.code, 0) << r.err;
  auto field = [&](const std::string& dir, const char* file, const char* key) {
    std::vector<nlohmann::json> out;
    for (const auto& line : Lines(Slurp(dir_.file(dir + "/" + file)))) {
      if (line.contains(key)) out.push_back(line[key]);
    }
    return out;
  };
  ASSERT_EQ(field("out", "metrics.jsonl", "map").size(), 1u);
  EXPECT_EQ(field("out", "metrics.jsonl", "map")[0].size(), size_t(6 * kDim));
  EXPECT_EQ(field("again", "metrics.jsonl", "map"), field("out", "metrics.jsonl", "map"));
  EXPECT_EQ(field("again", "metrics.jsonl", "active_version"),
            std::vector<nlohmann::json>{nlohmann::json(1)});
  EXPECT_EQ(field("again", "schema.json", "attributes"), field("out", "schema.json", "attributes"));
  EXPECT_EQ(Slurp(dir_.file("again/vectors.npy")), Slurp(dir_.file("out/vectors.npy")));
  // The copy answers under the same active metric.
  std::ostringstream vec;
  for (int d = 0; d < kDim; ++d) vec << (d ? "," : "") << base_[d];
  r = Run("search src --vector " + vec.str() + " -k 5 --json");
  auto s2 = Run("search dst --vector " + vec.str() + " -k 5 --json");
  EXPECT_EQ(s2.out, r.out);

  // An export cut short (a row missing from records.jsonl): refused, nothing created.
  std::string rows = Slurp(dir_.file("out/records.jsonl"));
  rows.erase(rows.rfind('\n', rows.size() - 2) + 1);
  WriteBytes(dir_.file("out/records.jsonl"), rows);
  r = Run("load cut " + dir_.file("out"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("an incomplete export"), std::string::npos) << r.err;
  EXPECT_NE(Run("info cut").code, 0);
}

}  // namespace
}  // namespace metricdb
