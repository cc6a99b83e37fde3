// Small builders of metricdb.v1 requests shared by the end-to-end suites.
#ifndef METRICDB_TESTS_TESTING_REQUESTS_H_
#define METRICDB_TESTS_TESTING_REQUESTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "metricdb/v1/metricdb.pb.h"

namespace metricdb::testing {

// Dimension of the end-to-end suites' vectors unless a test says otherwise.
constexpr int kDefaultDim = 16;

inline v1::CollectionSchema Schema(const std::string& name, v1::Metric metric = v1::L2,
                                   int dim = kDefaultDim) {
  v1::CollectionSchema s;
  s.set_name(name);
  s.set_dim(dim);
  s.set_metric(metric);
  return s;
}

// Records first..first+count-1 of the row-major `v`: keys "k<i>", labels
// "id<i % 5>", attribute row=<i>.
inline v1::UpsertRequest Batch(const std::string& collection, const std::vector<float>& v,
                               int64_t first, int64_t count, int dim = kDefaultDim) {
  v1::UpsertRequest req;
  req.set_collection(collection);
  for (int64_t i = first; i < first + count; ++i) {
    v1::Record* r = req.add_records();
    r->set_key("k" + std::to_string(i));
    r->mutable_vector()->Add(v.begin() + i * dim, v.begin() + (i + 1) * dim);
    r->set_label("id" + std::to_string(i % 5));
    (*r->mutable_attributes())["row"] = std::to_string(i);
  }
  return req;
}

// Batch number `g` of `per_batch` records of the crash and backup suites:
// keys "g<g>-<j>", label "g<g>", vectors the rows of `rows` (row-major,
// per_batch × dim).
inline v1::UpsertRequest NumberedBatch(const std::string& collection, int64_t g, int per_batch,
                                       const float* rows, int dim = kDefaultDim) {
  v1::UpsertRequest req;
  req.set_collection(collection);
  for (int j = 0; j < per_batch; ++j) {
    v1::Record* r = req.add_records();
    r->set_key("g" + std::to_string(g) + "-" + std::to_string(j));
    r->set_label("g" + std::to_string(g));
    r->mutable_vector()->Add(rows + j * dim, rows + (j + 1) * dim);
  }
  return req;
}

// One query of k neighbours.
inline v1::SearchRequest Query(const std::string& collection, const float* q, int k,
                               int dim = kDefaultDim) {
  v1::SearchRequest req;
  req.set_collection(collection);
  req.set_k(k);
  req.add_queries()->mutable_values()->Add(q, q + dim);
  return req;
}

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_REQUESTS_H_
