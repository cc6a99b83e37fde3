#include "client/loaders/hdf5_file.h"

#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <new>

#include "absl/strings/str_cat.h"
#include "common/fd_io.h"

namespace metricdb {
namespace {

// Closes an HDF5 handle when it goes out of scope.
struct H5Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~H5Handle() {
    if (id >= 0) close(id);
  }
};

// Reads the dataset in this process.
absl::StatusOr<Matrix> ReadInProcess(const std::string& path, const std::string& dataset) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become statuses
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not an HDF5 file"));
  }
  H5Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  if (file.id < 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot open (truncated or corrupt?)"));
  }
  if (H5Lexists(file.id, dataset.c_str(), H5P_DEFAULT) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has no dataset \"", dataset, "\""));
  }
  H5Handle ds{H5Dopen2(file.id, dataset.c_str(), H5P_DEFAULT), H5Dclose};
  if (ds.id < 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot open dataset \"", dataset, "\""));
  }
  H5Handle type{H5Dget_type(ds.id), H5Tclose};
  const H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": dataset \"", dataset, "\" is not numeric"));
  }
  H5Handle space{H5Dget_space(ds.id), H5Sclose};
  if (H5Sget_simple_extent_ndims(space.id) != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": dataset \"", dataset, "\" must be 2-D (rows, dim)"));
  }
  hsize_t dims[2];
  H5Sget_simple_extent_dims(space.id, dims, nullptr);
  if (dims[0] == 0 || dims[1] == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": dataset is empty"));
  }
  // A damaged or hostile header can declare any size: the values must be
  // backed by what the file stores (compression of float data stays far
  // below 64x; a dataset of unwritten fill values is allowed up to 64 MiB).
  const double bytes = double(dims[0]) * double(dims[1]) * sizeof(float);
  std::error_code size_error;
  const double file_size = double(std::filesystem::file_size(path, size_error));
  // What the dataset occupies in the file, as its (possibly damaged) header
  // says, and never more than the file itself.
  const double stored = std::min(double(H5Dget_storage_size(ds.id)), size_error ? 0.0 : file_size);
  if (bytes > 64.0 * std::max(stored, double(1 << 20))) {
    return absl::DataLossError(absl::StrCat(path, ": dataset \"", dataset, "\" declares ", dims[0],
                                            " x ", dims[1], " values but the file stores ",
                                            uint64_t(stored), " bytes (truncated or corrupt?)"));
  }
  Matrix m;
  m.rows = int64_t(dims[0]);
  m.cols = int64_t(dims[1]);
  try {
    m.values.resize(size_t(dims[0]) * dims[1]);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": not enough memory for ", dims[0], " x ", dims[1], " values"));
  }
  if (H5Dread(ds.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.values.data()) < 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": cannot read dataset \"", dataset, "\" (truncated or corrupt?)"));
  }
  return m;
}

}  // namespace

absl::StatusOr<Matrix> ReadHdf5(const std::string& path, const std::string& dataset) {
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  // libhdf5 itself can crash on a damaged file (fuzzing found memcpy from a
  // null buffer inside H5F__accum_read); the file is therefore read in a
  // child process, and a crash there becomes DATA_LOSS here.
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError("fork failed");
  }
  // The child's answer on the pipe: u32 status code, u64 message length,
  // message; then (OK only) i64 rows, i64 cols, the values.
  auto send = [fd = fds[1]](const void* data, size_t n) { return WriteFully(fd, data, n) == 0; };
  if (pid == 0) {
    close(fds[0]);
    auto m = ReadInProcess(path, dataset);
    const uint32_t code = uint32_t(m.status().code());
    const std::string message(m.status().message());
    const uint64_t length = message.size();
    bool ok = send(&code, sizeof code) && send(&length, sizeof length) &&
              send(message.data(), message.size());
    if (ok && m.ok()) {
      ok = send(&m->rows, sizeof m->rows) && send(&m->cols, sizeof m->cols) &&
           send(m->values.data(), m->values.size() * sizeof(float));
    }
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  uint32_t code = 0;
  uint64_t length = 0;
  std::string message;
  Matrix m;
  bool ok = ReadFully(fds[0], &code, sizeof code) && ReadFully(fds[0], &length, sizeof length) &&
            length < (1u << 20);
  if (ok) {
    message.resize(length);
    ok = ReadFully(fds[0], message.data(), length);
  }
  if (ok && code == 0) {
    ok = ReadFully(fds[0], &m.rows, sizeof m.rows) && ReadFully(fds[0], &m.cols, sizeof m.cols) &&
         m.rows > 0 && m.cols > 0;
    if (ok) {
      try {
        m.values.resize(size_t(m.rows) * size_t(m.cols));
      } catch (const std::bad_alloc&) {
        ok = false;
      }
      ok = ok && ReadFully(fds[0], m.values.data(), m.values.size() * sizeof(float));
    }
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!ok || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": the HDF5 library failed reading it (truncated or corrupt?)"));
  }
  if (code != 0) return absl::Status(absl::StatusCode(code), message);
  return m;
}

}  // namespace metricdb
