// LocalDirectory: the collections of this node's Engine as a
// CollectionDirectory — what a single-node server serves. Names are the
// client rule ([A-Za-z0-9_-]{1,64}); shard collections of a cluster are
// reached through the Engine itself.
#ifndef METRICDB_ENGINE_COLLECTION_LOCAL_DIRECTORY_H_
#define METRICDB_ENGINE_COLLECTION_LOCAL_DIRECTORY_H_

#include "engine/collection/collection_handle.h"
#include "engine/collection/engine.h"

namespace metricdb {

class LocalDirectory final : public CollectionDirectory {
 public:
  explicit LocalDirectory(Engine* engine) : engine_(engine) {}  // must outlive this

  absl::StatusOr<std::shared_ptr<CollectionHandle>> CreateCollection(
      const CollectionSchema& schema) override;
  absl::StatusOr<std::shared_ptr<CollectionHandle>> GetCollection(
      std::string_view name) const override;
  absl::StatusOr<std::vector<std::shared_ptr<CollectionHandle>>> ListCollections() const override;
  absl::Status DropCollection(std::string_view name) override;
  absl::Status CreateAlias(std::string_view alias, std::string_view collection) override;
  absl::Status SwitchAlias(std::string_view alias, std::string_view collection) override;
  absl::Status DeleteAlias(std::string_view alias) override;
  absl::StatusOr<std::vector<CollectionAlias>> ListAliases() const override;

 private:
  Engine* const engine_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_LOCAL_DIRECTORY_H_
