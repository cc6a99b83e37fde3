// Little-endian byte encoding helpers shared by the store's record codec and
// the snapshot files. Readers check bounds and report failure instead of
// reading past the end.
#ifndef METRICDB_ENGINE_BASE_BYTES_H_
#define METRICDB_ENGINE_BASE_BYTES_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace metricdb {

template <typename T>
void PutPod(std::string* out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));  // little-endian hosts
}

inline void PutU32(std::string* out, uint32_t v) { PutPod(out, v); }

inline void PutString(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

// A 64-bit length, then the bytes: for payloads over 4 GiB.
inline void PutBlob(std::string* out, std::string_view s) {
  PutPod<uint64_t>(out, s.size());
  out->append(s.data(), s.size());
}

template <typename T>
void PutArray(std::string* out, const T* data, size_t n) {
  PutPod<uint64_t>(out, n);
  out->append(reinterpret_cast<const char*>(data), n * sizeof(T));
}

template <typename T>
void PutArray(std::string* out, const std::vector<T>& v) {
  PutArray(out, v.data(), v.size());
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : rest_(bytes) {}
  template <typename T>
  bool Pod(T* v) {
    if (rest_.size() < sizeof(T)) return false;
    std::memcpy(v, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return true;
  }
  bool U8(uint8_t* v) { return Pod(v); }
  bool U32(uint32_t* v) { return Pod(v); }
  bool String(std::string* s) {
    uint32_t n;
    if (!U32(&n) || rest_.size() < n) return false;
    s->assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  bool Blob(std::string_view* s) {
    uint64_t n;
    if (!Pod(&n) || rest_.size() < n) return false;
    *s = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  // A u32 count of floats, then the floats (the record format).
  bool Floats(std::vector<float>* v) {
    uint32_t n;
    if (!U32(&n) || rest_.size() / 4 < n) return false;
    v->resize(n);
    std::memcpy(v->data(), rest_.data(), size_t{n} * 4);
    rest_.remove_prefix(size_t{n} * 4);
    return true;
  }
  template <typename T>
  bool Array(std::vector<T>* v) {
    uint64_t n;
    if (!Pod(&n) || rest_.size() / sizeof(T) < n) return false;
    v->resize(n);
    std::memcpy(v->data(), rest_.data(), n * sizeof(T));
    rest_.remove_prefix(n * sizeof(T));
    return true;
  }
  // Copies the next n bytes to dest.
  bool Raw(size_t n, void* dest) {
    if (rest_.size() < n) return false;
    std::memcpy(dest, rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  std::string_view rest() const { return rest_; }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_BYTES_H_
