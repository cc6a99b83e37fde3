// Binary encodings of what Store keeps in RocksDB. Little-endian fields,
// length-prefixed strings; every decoder checks bounds and returns
// DATA_LOSS on malformed input instead of reading past the end.
#ifndef METRICDB_ENGINE_STORAGE_RECORD_CODEC_H_
#define METRICDB_ENGINE_STORAGE_RECORD_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/base/collection_schema.h"
#include "engine/base/record.h"

namespace metricdb {

std::string EncodeRecord(const Record& record);
// EncodeRecord(r) == head + the raw bytes of r.vector + tail, so a writer
// can pass the vector's bytes without copying them into a buffer first.
void EncodeRecordParts(const Record& record, std::string* head, std::string* tail);
absl::StatusOr<Record> DecodeRecord(std::string_view bytes);

std::string EncodeSchema(const CollectionSchema& schema);
absl::StatusOr<CollectionSchema> DecodeSchema(std::string_view bytes);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_STORAGE_RECORD_CODEC_H_
