#include "engine/storage/index_snapshot_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/fd_io.h"
#include "engine/base/bytes.h"
#include "engine/storage/record_codec.h"

namespace metricdb {
namespace {

constexpr char kMagic[] = "MDBSNAP1";
constexpr size_t kMagicSize = 8;

// CRC-32 of `a` followed by `b`.
uint32_t Crc32(std::string_view a, std::string_view b) {
  uLong crc = crc32_z(0L, reinterpret_cast<const Bytef*>(a.data()), a.size());
  return uint32_t(crc32_z(crc, reinterpret_cast<const Bytef*>(b.data()), b.size()));
}

// Writes `a` then `b` to a new file at `path` and fsyncs it; on failure the
// partial file is removed (a full disk keeps no half snapshot).
absl::Status WriteAllAndSync(const std::string& path, std::string_view a, std::string_view b) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  }
  int error = WriteFully(fd, a.data(), a.size());
  if (error == 0) error = WriteFully(fd, b.data(), b.size());
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0) return absl::OkStatus();
  ::unlink(path.c_str());
  const std::string message = absl::StrCat("cannot write ", path, ": ", strerror(error));
  return error == ENOSPC ? absl::ResourceExhaustedError(message) : absl::UnavailableError(message);
}

}  // namespace

absl::Status WriteSnapshotFile(const std::string& path, const IndexSnapshot& snapshot) {
  std::string payload;
  PutString(&payload, EncodeSchema(snapshot.schema));
  PutPod<int64_t>(&payload, snapshot.next_record_id);
  std::string header(kMagic, kMagicSize);
  PutU32(&header, Crc32(payload, snapshot.index_bytes));
  PutPod<uint64_t>(&header, payload.size() + sizeof(uint64_t) + snapshot.index_bytes.size());
  PutPod<uint64_t>(&payload, snapshot.index_bytes.size());
  const std::string tmp = path + ".tmp";
  if (auto s = WriteAllAndSync(tmp, header + payload, snapshot.index_bytes); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, ": ", ec.message()));
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::StatusOr<IndexSnapshot> ReadSnapshotFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("no snapshot at ", path));
  const std::streamoff size = in.tellg();
  std::string bytes(size_t(std::max<std::streamoff>(size, 0)), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) return absl::DataLossError("snapshot: read error");
  auto corrupt = [&](const char* why) {
    return absl::DataLossError(absl::StrCat("snapshot ", path, ": ", why));
  };
  if (bytes.size() < kMagicSize + 12 || bytes.compare(0, kMagicSize, kMagic) != 0) {
    return corrupt("bad header");
  }
  ByteReader header(std::string_view(bytes).substr(kMagicSize, 12));
  uint32_t crc = 0;
  uint64_t body_size = 0;
  header.U32(&crc);
  header.Pod(&body_size);
  const std::string_view body = std::string_view(bytes).substr(kMagicSize + 12);
  if (body.size() != body_size) return corrupt("truncated or extended");
  ByteReader r(body);
  std::string schema_bytes;
  IndexSnapshot snap;
  std::string_view index_bytes;
  if (!r.String(&schema_bytes) || !r.Pod(&snap.next_record_id) || !r.Blob(&index_bytes) ||
      !r.done()) {
    return corrupt("does not parse");
  }
  const size_t head = body.size() - index_bytes.size() - sizeof(uint64_t);
  if (Crc32(body.substr(0, head), index_bytes) != crc) {
    return corrupt("checksum mismatch");
  }
  auto schema = DecodeSchema(schema_bytes);
  if (!schema.ok()) return corrupt("bad schema");
  snap.schema = std::move(*schema);
  snap.index_bytes.assign(index_bytes);
  return snap;
}

}  // namespace metricdb
