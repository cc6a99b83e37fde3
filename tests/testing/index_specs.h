// Index specs the engine suites build collections and indexes with.
#ifndef METRICDB_TESTS_TESTING_INDEX_SPECS_H_
#define METRICDB_TESTS_TESTING_INDEX_SPECS_H_

#include "engine/base/collection_schema.h"

namespace metricdb::testing {

inline IndexSpec Hnsw(int m = 16, int ef_construction = 100, int ef_search = 64) {
  IndexSpec s;
  s.kind = IndexSpec::Kind::kHnsw;
  s.m = m;
  s.ef_construction = ef_construction;
  s.ef_search = ef_search;
  return s;
}

// A quantised HNSW graph (sq8 or sq4 codes, re-ranked).
inline IndexSpec QuantizedHnsw(IndexSpec::Quantization q, int m = 16, int ef_construction = 100,
                               int ef_search = 64) {
  IndexSpec s = Hnsw(m, ef_construction, ef_search);
  s.quantization = q;
  return s;
}

// The same, walked on codes of `code_dims` principal axes.
inline IndexSpec ProjectedHnsw(IndexSpec::Quantization q, int code_dims, int m = 16,
                               int ef_construction = 100, int ef_search = 64) {
  IndexSpec s = QuantizedHnsw(q, m, ef_construction, ef_search);
  s.code_dims = code_dims;
  return s;
}

inline IndexSpec IvfFlat(int nlist = 64, int nprobe = 16) {
  IndexSpec s;
  s.kind = IndexSpec::Kind::kIvfFlat;
  s.nlist = nlist;
  s.nprobe = nprobe;
  return s;
}

// m sub-quantisers of nbits bits: m bytes a vector at nbits 8.
inline IndexSpec IvfPq(int nlist = 64, int nprobe = 16, int m = 16, int nbits = 8) {
  IndexSpec s;
  s.kind = IndexSpec::Kind::kIvfPq;
  s.nlist = nlist;
  s.nprobe = nprobe;
  s.m = m;
  s.nbits = nbits;
  return s;
}

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_INDEX_SPECS_H_
