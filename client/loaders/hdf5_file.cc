#include "client/loaders/hdf5_file.h"

#include <algorithm>

#include <hdf5.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

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

}  // namespace

absl::StatusOr<Matrix> ReadHdf5(const std::string& path, const std::string& dataset) {
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become statuses
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not an HDF5 file"));
  }
  H5Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  if (file.id < 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot open (truncated or corrupt?)"));
  }
  if (H5Lexists(file.id, dataset.c_str(), H5P_DEFAULT) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": has no dataset \"", dataset, "\""));
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
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": dataset \"", dataset, "\" must be 2-D (rows, dim)"));
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
  const double stored = double(H5Dget_storage_size(ds.id));
  if (bytes > 64.0 * std::max(stored, double(1 << 20))) {
    return absl::DataLossError(absl::StrCat(
        path, ": dataset \"", dataset, "\" declares ", dims[0], " x ", dims[1],
        " values but the file stores ", uint64_t(stored), " bytes (truncated or corrupt?)"));
  }
  Matrix m;
  m.rows = int64_t(dims[0]);
  m.cols = int64_t(dims[1]);
  m.values.resize(size_t(dims[0]) * dims[1]);
  if (H5Dread(ds.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
              m.values.data()) < 0) {
    return absl::DataLossError(absl::StrCat(
        path, ": cannot read dataset \"", dataset, "\" (truncated or corrupt?)"));
  }
  return m;
}

}  // namespace metricdb
