#include "engine/index/ivf_vector_index.h"

#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>

#include "absl/strings/str_cat.h"
#include "engine/base/bytes.h"
#include "engine/base/faiss_call.h"
#include "engine/base/metric.h"

namespace metricdb {
namespace {

class FilterSelector final : public faiss::IDSelector {
 public:
  explicit FilterSelector(const IdFilter& filter) : filter_(filter) {}
  bool is_member(faiss::Index::idx_t id) const override { return filter_.Allows(id); }

 private:
  const IdFilter& filter_;
};

}  // namespace

IvfVectorIndex::IvfVectorIndex(int dim, Metric metric, const IndexSpec& spec)
    : dim_(dim),
      metric_(metric),
      spec_(spec),
      untrained_(std::make_unique<FlatVectorIndex>(dim, metric)) {}

IvfVectorIndex::~IvfVectorIndex() = default;

int64_t IvfVectorIndex::size() const { return ivf_ ? int64_t(ivf_->ntotal) : untrained_->size(); }

absl::Status IvfVectorIndex::Add(absl::Span<const int64_t> ids, const float* vectors) {
  if (ivf_) {
    return FaissCall("adding to IVF index", [&] {
      ivf_->add_with_ids(faiss::Index::idx_t(ids.size()), vectors, ids.data());
    });
  }
  if (auto s = untrained_->Add(ids, vectors); !s.ok()) return s;
  if (untrained_->size() >= IvfTrainingThreshold(spec_)) return Train();
  return absl::OkStatus();
}

absl::Status IvfVectorIndex::Train() {
  if (ivf_) return absl::OkStatus();
  const int64_t n = untrained_->size();
  const int64_t needed = spec_.kind == IndexSpec::Kind::kIvfPq
                             ? std::max<int64_t>(spec_.nlist, int64_t(1) << spec_.nbits)
                             : spec_.nlist;
  if (n < needed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "index.", spec_.kind == IndexSpec::Kind::kIvfPq ? "ivf_pq" : "ivf_flat",
        ".nlist: training needs at least ", needed, " records, the collection has ", n));
  }
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  untrained_->Export(&ids, &vectors);
  const faiss::MetricType metric =
      UsesInnerProduct(metric_) ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2;
  auto quantizer = std::make_unique<faiss::IndexFlat>(dim_, metric);
  std::unique_ptr<faiss::IndexIVF> ivf;
  absl::Status s = FaissCall("training IVF index", [&] {
    if (spec_.kind == IndexSpec::Kind::kIvfPq) {
      ivf = std::make_unique<faiss::IndexIVFPQ>(quantizer.get(), dim_, spec_.nlist, spec_.m,
                                                spec_.nbits, metric);
    } else {
      ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), dim_, spec_.nlist, metric);
    }
    ivf->cp.seed = 1234;  // reproducible centroids
    ivf->train(n, vectors.data());
    ivf->add_with_ids(n, vectors.data(), ids.data());
  });
  if (!s.ok()) return s;
  ivf->nprobe = spec_.nprobe;
  quantizer_ = std::move(quantizer);
  ivf_ = std::move(ivf);
  trained_on_ = n;
  untrained_.reset();
  return absl::OkStatus();
}

absl::Status IvfVectorIndex::Remove(absl::Span<const int64_t> ids) {
  if (!ivf_) return untrained_->Remove(ids);
  if (ids.empty()) return absl::OkStatus();
  return FaissCall("removing from IVF index", [&] {
    faiss::IDSelectorBatch selector(ids.size(), ids.data());
    ivf_->remove_ids(selector);
  });
}

absl::Status IvfVectorIndex::Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                                    const SearchTuning& tuning, std::vector<float>* distances,
                                    std::vector<int64_t>* ids) const {
  if (!ivf_) return untrained_->Search(queries, n, k, filter, tuning, distances, ids);
  distances->assign(n * k, 0.0f);
  ids->assign(n * k, -1);
  std::unique_ptr<FilterSelector> selector;
  faiss::SearchParametersIVF params;
  params.nprobe = size_t(tuning.nprobe > 0 ? tuning.nprobe : spec_.nprobe);
  if (filter != nullptr) {
    selector = std::make_unique<FilterSelector>(*filter);
    params.sel = selector.get();
  }
  absl::Status s = FaissCall("searching IVF index", [&] {
    ivf_->search(n, queries, k, distances->data(), ids->data(), &params);
  });
  if (!s.ok() || filter == nullptr) return s;
  // A restricted query can find fewer than k allowed records in the lists it
  // probes (labels cluster like the vectors do); those queries are searched
  // again with twice the lists until k are found or every list was probed.
  std::vector<int64_t> short_queries;
  for (int64_t q = 0; q < n; ++q) {
    if ((*ids)[q * k + k - 1] < 0) short_queries.push_back(q);
  }
  std::vector<float> one_d(k);
  std::vector<int64_t> one_i(k);
  for (int64_t q : short_queries) {
    for (params.nprobe *= 2; (*ids)[q * k + k - 1] < 0; params.nprobe *= 2) {
      params.nprobe = std::min(params.nprobe, ivf_->nlist);
      s = FaissCall("searching IVF index", [&] {
        ivf_->search(1, queries + q * dim_, k, one_d.data(), one_i.data(), &params);
      });
      if (!s.ok()) return s;
      std::copy(one_d.begin(), one_d.end(), distances->begin() + q * k);
      std::copy(one_i.begin(), one_i.end(), ids->begin() + q * k);
      if (params.nprobe == ivf_->nlist) break;
    }
    params.nprobe = size_t(tuning.nprobe > 0 ? tuning.nprobe : spec_.nprobe);
  }
  return absl::OkStatus();
}

size_t IvfVectorIndex::MemoryBytes() const {
  if (!ivf_) return untrained_->MemoryBytes();
  size_t bytes = size_t(quantizer_->ntotal) * dim_ * sizeof(float);
  const size_t code = ivf_->code_size + sizeof(faiss::Index::idx_t);
  bytes += size_t(ivf_->ntotal) * code;
  return bytes;
}

absl::Status IvfVectorIndex::Serialize(std::string* out) const {
  PutPod<uint8_t>(out, ivf_ ? 1 : 0);
  if (!ivf_) {
    std::string flat;
    if (auto s = untrained_->Serialize(&flat); !s.ok()) return s;
    PutBlob(out, flat);
    return absl::OkStatus();
  }
  faiss::VectorIOWriter writer;
  absl::Status s =
      FaissCall("serializing IVF index", [&] { faiss::write_index(ivf_.get(), &writer); });
  if (!s.ok()) return s;
  PutPod<int64_t>(out, trained_on_);
  PutArray(out, writer.data);
  return absl::OkStatus();
}

absl::Status IvfVectorIndex::Deserialize(std::string_view bytes) {
  ByteReader r(bytes);
  uint8_t trained;
  if (!r.U8(&trained) || trained > 1) return absl::DataLossError("IVF snapshot does not parse");
  if (!trained) {
    std::string_view flat;
    if (!r.Blob(&flat) || !r.done()) return absl::DataLossError("IVF snapshot does not parse");
    return untrained_->Deserialize(flat);
  }
  int64_t trained_on;
  faiss::VectorIOReader reader;
  if (!r.Pod(&trained_on) || !r.Array(&reader.data) || !r.done()) {
    return absl::DataLossError("IVF snapshot does not parse");
  }
  std::unique_ptr<faiss::Index> index;
  absl::Status s =
      FaissCall("reading IVF snapshot", [&] { index.reset(faiss::read_index(&reader)); });
  if (!s.ok()) return absl::DataLossError(s.message());
  auto* ivf = dynamic_cast<faiss::IndexIVF*>(index.get());
  auto* quantizer = ivf ? dynamic_cast<faiss::IndexFlat*>(ivf->quantizer) : nullptr;
  const bool pq = spec_.kind == IndexSpec::Kind::kIvfPq;
  if (quantizer == nullptr || ivf->d != dim_ || int(ivf->nlist) != spec_.nlist ||
      (dynamic_cast<faiss::IndexIVFPQ*>(ivf) != nullptr) != pq) {
    return absl::DataLossError("IVF snapshot holds a different index");
  }
  index.release();
  ivf->own_fields = false;  // the quantiser is owned by quantizer_
  quantizer_.reset(quantizer);
  ivf_.reset(ivf);
  ivf_->nprobe = spec_.nprobe;
  trained_on_ = trained_on;
  untrained_.reset();
  return absl::OkStatus();
}

std::vector<int64_t> IvfVectorIndex::Ids() const {
  if (!ivf_) return untrained_->Ids();
  std::vector<int64_t> ids;
  ids.reserve(size_t(ivf_->ntotal));
  for (size_t list = 0; list < ivf_->nlist; ++list) {
    const size_t n = ivf_->invlists->list_size(list);
    const faiss::Index::idx_t* list_ids = ivf_->invlists->get_ids(list);
    ids.insert(ids.end(), list_ids, list_ids + n);
    ivf_->invlists->release_ids(list, list_ids);
  }
  return ids;
}

IndexStatus IvfVectorIndex::status() const {
  IndexStatus st;
  st.trained = ivf_ != nullptr;
  st.trained_on = trained_on_;
  return st;
}

}  // namespace metricdb
