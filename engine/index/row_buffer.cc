#include "engine/index/row_buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/index/huge_pages.h"

namespace metricdb {
namespace {

constexpr size_t kSmallPage = size_t(4) << 10;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// `bytes` (a multiple of kHugePageBytes) of inaccessible address space at a
// huge-page-aligned address; nullptr if none is left.
void* ReserveAligned(size_t bytes) {
  void* raw = mmap(nullptr, bytes + kHugePageBytes, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = RoundUp(begin, kHugePageBytes);
  if (aligned > begin) munmap(raw, aligned - begin);
  const uintptr_t tail = aligned + bytes, end = begin + bytes + kHugePageBytes;
  if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
  return reinterpret_cast<void*>(aligned);
}

}  // namespace

RowBuffer::~RowBuffer() { Clear(); }

absl::Status RowBuffer::Append(const float* values, size_t n) {
  const size_t needed = (size_ + n) * sizeof(float);
  if (needed > bytes_) {
    size_t bytes = std::max(needed, 2 * bytes_);
    bytes = bytes < kHugePageBytes ? RoundUp(bytes, kSmallPage) : RoundUp(bytes, kHugePageBytes);
    void* moved = MAP_FAILED;
    int error = ENOMEM;
    if (bytes < kHugePageBytes) {
      moved = data_ == nullptr
                  ? mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                  : mremap(data_, bytes_, bytes, MREMAP_MAYMOVE);
      if (moved == MAP_FAILED) error = errno;
    } else if (void* target = ReserveAligned(bytes); target != nullptr) {
      moved = data_ == nullptr
                  ? mmap(target, bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
                  : mremap(data_, bytes_, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, target);
      if (moved == MAP_FAILED) {
        error = errno;
        munmap(target, bytes);
      } else {
        PreferHugePages(moved, bytes, size_ * sizeof(float));
      }
    }
    if (moved == MAP_FAILED) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot map ", bytes, " bytes for the index rows: ", std::strerror(error)));
    }
    data_ = static_cast<float*>(moved);
    bytes_ = bytes;
  }
  if (n > 0) std::memcpy(data_ + size_, values, n * sizeof(float));
  size_ += n;
  return absl::OkStatus();
}

void RowBuffer::Truncate(size_t n) { size_ = std::min(n, size_); }

void RowBuffer::Clear() {
  if (data_ != nullptr) munmap(data_, bytes_);
  data_ = nullptr;
  size_ = bytes_ = 0;
}

}  // namespace metricdb
