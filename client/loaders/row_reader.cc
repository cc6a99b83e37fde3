#include "client/loaders/row_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/loaders/byte_file.h"
#include "client/loaders/fvecs_file.h"
#include "client/loaders/npy_file.h"

namespace metricdb {
namespace {

// A .npy header longer than this is refused (numpy writes ~128 bytes).
constexpr uint64_t kMaxNpyHeaderBytes = 1 << 20;

absl::Status WithPath(const std::string& path, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

class NpyRowReader final : public RowReader {
 public:
  NpyRowReader(ByteFile file, NpyLayout layout)
      : RowReader(layout.rows, layout.cols), file_(std::move(file)), layout_(layout) {}
  absl::Status Read(int64_t first, int64_t count, float* out) override {
    const size_t values = size_t(count) * size_t(cols_);
    const uint64_t offset = layout_.data_offset + uint64_t(first) * cols_ * layout_.item;
    // float32 goes straight into `out`; float64 through a buffer.
    if (layout_.item == 4) return file_.ReadAt(offset, values * 4, reinterpret_cast<char*>(out));
    buffer_.resize(values * layout_.item);
    if (auto s = file_.ReadAt(offset, buffer_.size(), buffer_.data()); !s.ok()) return s;
    CopyNpyValues(layout_, buffer_.data(), values, out);
    return absl::OkStatus();
  }

 private:
  ByteFile file_;
  const NpyLayout layout_;
  std::string buffer_;
};

class FvecsRowReader final : public RowReader {
 public:
  FvecsRowReader(ByteFile file, FvecsLayout layout)
      : RowReader(layout.rows, layout.dim), file_(std::move(file)), layout_(layout) {}
  absl::Status Read(int64_t first, int64_t count, float* out) override {
    buffer_.resize(size_t(count) * layout_.row_bytes());
    if (auto s =
            file_.ReadAt(uint64_t(first) * layout_.row_bytes(), buffer_.size(), buffer_.data());
        !s.ok()) {
      return s;
    }
    if (auto s = CopyFvecsRows(layout_, buffer_, first, count, out); !s.ok()) {
      return WithPath(file_.path(), s);
    }
    return absl::OkStatus();
  }

 private:
  ByteFile file_;
  const FvecsLayout layout_;
  std::string buffer_;
};

// Formats read whole.
class MatrixRowReader final : public RowReader {
 public:
  explicit MatrixRowReader(Matrix m) : RowReader(m.rows, m.cols), m_(std::move(m)) {}
  absl::Status Read(int64_t first, int64_t count, float* out) override {
    std::memcpy(out, m_.row(first), size_t(count) * size_t(cols_) * sizeof(float));
    return absl::OkStatus();
  }
  std::optional<std::vector<std::string>> TakeLabels() override {
    return std::exchange(m_.labels, std::nullopt);
  }
  std::optional<std::vector<std::map<std::string, std::string>>> TakeAttributes() override {
    return std::exchange(m_.attributes, std::nullopt);
  }

 private:
  Matrix m_;
};

absl::StatusOr<std::unique_ptr<RowReader>> ReadWhole(const std::string& path,
                                                     const MatrixFileOptions& options) {
  auto m = ReadMatrixFile(path, options);
  if (!m.ok()) return m.status();
  return std::unique_ptr<RowReader>(new MatrixRowReader(std::move(*m)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RowReader>> OpenRowReader(const std::string& path,
                                                         const MatrixFileOptions& options) {
  auto format = MatrixFileFormat(path, options);
  if (!format.ok()) return format.status();
  if (*format != "npy" && *format != "fvecs") return ReadWhole(path, options);
  ByteFile file;
  if (auto s = file.Open(path); !s.ok()) return s;
  // What the layout is read from: an .fvecs row's dimension, a .npy header.
  const uint64_t head = *format == "fvecs" ? 4 : kMaxNpyHeaderBytes;
  std::string prefix(size_t(std::min(file.size(), head)), '\0');
  if (auto s = file.ReadAt(0, prefix.size(), prefix.data()); !s.ok()) return s;
  if (*format == "fvecs") {
    auto layout = ParseFvecsLayout(prefix, file.size());
    if (!layout.ok()) return WithPath(path, layout.status());
    return std::unique_ptr<RowReader>(new FvecsRowReader(std::move(file), *layout));
  }
  auto layout = ParseNpyHeader(prefix, file.size());
  if (!layout.ok()) return WithPath(path, layout.status());
  if (layout->column_major) return ReadWhole(path, options);  // rows are not contiguous
  return std::unique_ptr<RowReader>(new NpyRowReader(std::move(file), *layout));
}

}  // namespace metricdb
