"""Administration calls of the metricdb client: aliases, backups and the
cluster's status (a base of metricdb.Client, which supplies _call and _stub)."""
from typing import Dict

from metricdb.v1 import metricdb_pb2 as pb


class AdminCalls:
    def create_alias(self, alias: str, collection: str) -> None:
        """Another name of `collection`; every call taking a collection takes it."""
        self._call(self._stub.CreateAlias, pb.CreateAliasRequest(alias=alias, collection=collection))

    def switch_alias(self, alias: str, collection: str) -> None:
        """Points `alias` at `collection`, atomically for the calls in flight."""
        self._call(self._stub.SwitchAlias, pb.SwitchAliasRequest(alias=alias, collection=collection))

    def delete_alias(self, alias: str) -> None:
        self._call(self._stub.DeleteAlias, pb.DeleteAliasRequest(alias=alias))

    def list_aliases(self) -> Dict[str, str]:
        """{alias: collection}."""
        r = self._call(self._stub.ListAliases, pb.ListAliasesRequest())
        return {a.alias: a.collection for a in r.aliases}

    def backup(self, name: str) -> dict:
        """An online backup of the server's data into its --backup-dir/`name`."""
        r = self._call(self._stub.Backup, pb.BackupRequest(backup=name))
        return {"directory": r.directory, "files": r.files, "bytes": r.bytes,
                "seconds": r.seconds}

    def cluster_status(self) -> dict:
        """Nodes (with their leases) and where each shard lives; {"cluster": False}
        on a single node."""
        r = self._call(self._stub.ClusterStatus, pb.ClusterStatusRequest())
        return {"cluster": r.cluster, "node_id": r.node_id, "prefix": r.prefix,
                "nodes": [{"id": n.id, "address": n.address, "lease_id": n.lease_id,
                           "lease_ttl_seconds": n.lease_ttl_seconds, "self": n.self}
                          for n in r.nodes],
                "shards": [{"collection": s.collection, "shard": s.shard, "node": s.node,
                            "node_alive": s.node_alive} for s in r.shards]}
