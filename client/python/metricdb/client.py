"""A thin, typed wrapper over the generated metricdb.v1 stubs: NumPy arrays
in, NumPy arrays and dataclasses out, server errors as MetricDBError."""
from __future__ import annotations

import dataclasses
import os
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import grpc
import numpy as np

from metricdb.admin import AdminCalls
from metricdb.results import (Calibration, ClusterResult, CollectionInfo, Identity,
                              IdentifyResult, MetricDBError, MetricVersion, Progress, Record,
                              SearchResult, VerifyResult, _progress, _quality, _rows, _version)
from metricdb.v1 import metricdb_pb2 as pb
from metricdb.v1 import metricdb_pb2_grpc as pb_grpc

_METRICS = {"l2": pb.L2, "cosine": pb.COSINE, "inner_product": pb.INNER_PRODUCT}
_METRIC_NAMES = {pb.L2: "l2", pb.COSINE: "cosine", pb.INNER_PRODUCT: "inner_product",
                 pb.MAHALANOBIS: "mahalanobis"}
_METHODS = {"whitening": pb.WHITENING, "within_class": pb.WITHIN_CLASS, "kissme": pb.KISSME,
            "triplet": pb.TRIPLET, "contrastive": pb.CONTRASTIVE, "lmnn": pb.LMNN}
_AGGREGATIONS = {"min": pb.MIN, "mean": pb.MEAN, "votes": pb.VOTES}
_SCOPES = {"all": pb.ALL_RECORDS, "labelled": pb.LABELLED_RECORDS,
           "unlabelled": pb.UNLABELLED_RECORDS}


def _attribute_text(value) -> str:
    """An attribute value as the string the server stores (bools as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Client(AdminCalls):
    """One channel to a metricdb server; thread-safe like the gRPC channel it wraps.

    addr: "host:port". token: sent as "authorization: Bearer <token>" on every call; when
    None, $METRICDB_TOKEN or the first line of the file $METRICDB_TOKEN_FILE (as the CLI).
    tls: None for plaintext, True for TLS with the system's roots, or the path of a CA file.
    timeout: seconds for each unary call (None: no deadline).
    own_connection: open a TCP connection of this client's own; by default gRPC shares one
    among the clients of a process with the same address and options, and their calls queue
    on it (independent clients in one process, e.g. one per thread, want their own).
    """

    def __init__(self, addr: str = "127.0.0.1:50051", token: Optional[str] = None,
                 tls: Union[None, bool, str] = None, timeout: Optional[float] = None,
                 max_message_mib: int = 64, own_connection: bool = False):
        options = [("grpc.max_send_message_length", max_message_mib << 20),
                   ("grpc.max_receive_message_length", max_message_mib << 20)]
        if own_connection:
            options.append(("grpc.use_local_subchannel_pool", 1))
        if tls:
            roots = open(tls, "rb").read() if isinstance(tls, str) else None
            self._channel = grpc.secure_channel(
                addr, grpc.ssl_channel_credentials(root_certificates=roots), options)
        else:
            self._channel = grpc.insecure_channel(addr, options)
        self._stub = pb_grpc.MetricDBStub(self._channel)
        if token is None:
            token = os.environ.get("METRICDB_TOKEN")
            if token is None and os.environ.get("METRICDB_TOKEN_FILE"):
                with open(os.environ["METRICDB_TOKEN_FILE"]) as f:
                    token = f.readline().strip()
        self._metadata = [("authorization", "Bearer " + token)] if token else None
        self._timeout = timeout

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request, stream=False):
        try:
            if stream:
                return method(request, metadata=self._metadata)
            return method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise MetricDBError(e.code(), e.details()) from None

    def _stream(self, method, request) -> Iterator:
        try:
            yield from method(request, metadata=self._metadata)
        except grpc.RpcError as e:
            raise MetricDBError(e.code(), e.details()) from None

    # ---- collections -------------------------------------------------------

    @staticmethod
    def _info(info) -> CollectionInfo:
        s, st = info.schema, info.stats
        return CollectionInfo(s.name, s.dim, _METRIC_NAMES.get(s.metric, "?"),
                              _METRIC_NAMES.get(s.active_metric, "?"), s.metric_version,
                              s.index.WhichOneof("kind") or "flat", st.record_count,
                              st.label_count, st.index_memory_bytes, s.shards or 1,
                              st.index_graph_bytes, st.index_code_bytes, st.index_vector_bytes,
                              st.index_vectors_mapped,
                              {a.name: pb.AttributeType.Name(a.type)[len("ATTRIBUTE_"):].lower()
                               for a in s.attributes}, s.ttl_seconds, st.expired_records)

    def create_collection(self, name: str, dim: int, metric: str = "l2",
                          index: Optional[dict] = None, shards: int = 1,
                          attributes: Optional[Dict[str, str]] = None,
                          ttl_seconds: int = 0) -> CollectionInfo:
        """index: None (flat) or e.g. {"hnsw": {"m": 32}}, {"ivf_flat": {"nlist": 256}},
        {"hnsw": {"quantization": "sq8", "rerank": 32}} (quantization: none|sq8|sq4;
        "code_dims": N codes the N principal axes).
        shards > 1 needs a cluster (servers started with --cluster-etcd).
        attributes: declared fields, e.g. {"camera": "string", "ts": "timestamp"}
        (string|int64|double|bool|timestamp). ttl_seconds: records expire this long
        after they are written (0: kept until deleted)."""
        if metric not in _METRICS:
            raise ValueError("metric must be one of %s" % sorted(_METRICS))
        schema = pb.CollectionSchema(name=name, dim=dim, metric=_METRICS[metric], shards=shards,
                                     ttl_seconds=ttl_seconds)
        for field, kind in (attributes or {}).items():
            schema.attributes.add(name=field, type=getattr(pb, "ATTRIBUTE_" + kind.upper()))
        for kind, params in (index or {}).items():
            getattr(schema.index, kind).SetInParent()
            for k, v in params.items():
                if k == "quantization" and isinstance(v, str):
                    v = {"none": pb.QUANTIZATION_NONE, "sq8": pb.SQ8, "sq4": pb.SQ4}[v.lower()]
                setattr(getattr(schema.index, kind), k, v)
        reply = self._call(self._stub.CreateCollection, pb.CreateCollectionRequest(schema=schema))
        return self._info(reply.collection)

    def get_collection(self, name: str) -> CollectionInfo:
        return self._info(self._call(self._stub.GetCollection,
                                     pb.GetCollectionRequest(name=name)).collection)

    def list_collections(self) -> List[CollectionInfo]:
        reply = self._call(self._stub.ListCollections, pb.ListCollectionsRequest())
        return [self._info(c) for c in reply.collections]

    def drop_collection(self, name: str) -> None:
        self._call(self._stub.DropCollection, pb.DropCollectionRequest(name=name))

    # ---- records -----------------------------------------------------------

    def upsert(self, collection: str, keys: Sequence[str], vectors,
               labels: Optional[Sequence[Optional[str]]] = None,
               batch_size: Optional[int] = None,
               attributes: Optional[Sequence[Optional[dict]]] = None,
               expires_unix_ms: Optional[Sequence[int]] = None) -> Tuple[int, int]:
        """Streams the rows in atomic batches (about 4 MiB each by default), each
        acknowledged once durable. attributes: one {name: value} dict per record
        (values are sent as strings). expires_unix_ms: each record's expiry (0: the
        collection's ttl). Returns (inserted, replaced)."""
        vectors = _rows(vectors)
        if len(keys) != len(vectors) or any(x is not None and len(x) != len(keys)
                                            for x in (labels, attributes, expires_unix_ms)):
            raise ValueError("keys, vectors, labels and attributes must have one entry per record")
        size = batch_size or max(1, (4 << 20) // (4 * vectors.shape[1] + 32))

        def batches():
            for start in range(0, len(keys), size):
                req = pb.UpsertRequest(collection=collection)
                for i in range(start, min(len(keys), start + size)):
                    r = req.records.add(key=keys[i])
                    r.vector.extend(vectors[i].tolist())
                    if labels is not None and labels[i] is not None:
                        r.label = labels[i]
                    if attributes is not None and attributes[i]:
                        for name, value in attributes[i].items():
                            r.attributes[name] = _attribute_text(value)
                    if expires_unix_ms is not None:
                        r.expires_unix_ms = int(expires_unix_ms[i])
                yield req

        inserted = replaced = 0
        for ack in self._stream(self._stub.Upsert, batches()):
            inserted += ack.inserted
            replaced += ack.replaced
        return inserted, replaced

    def get(self, collection: str, keys: Sequence[str], include_vectors: bool = False):
        """Returns ({key: (label or None, vector or None)}, missing_keys)."""
        reply = self._call(self._stub.Get, pb.GetRequest(
            collection=collection, keys=list(keys), include_vectors=include_vectors))
        found = {r.key: (r.label if r.HasField("label") else None,
                         np.array(r.vector, dtype=np.float32) if include_vectors else None)
                 for r in reply.records}
        return found, list(reply.missing_keys)

    def delete(self, collection: str, keys: Sequence[str] = (),
               labels: Sequence[str] = (), filter: str = "") -> int:
        """Deletes the records of `keys` or `labels`, narrowed by `filter`; with
        only a filter, every record matching it. Returns how many."""
        return self._call(self._stub.Delete, pb.DeleteRequest(
            collection=collection, keys=list(keys), labels=list(labels),
            filter=filter)).deleted

    def count(self, collection: str, filter: str = "") -> int:
        """The records matching `filter` (every record when empty)."""
        return self._call(self._stub.Count, pb.CountRequest(
            collection=collection, filter=filter)).count

    def labels(self, collection: str, filter: str = "",
               page_size: int = 1000) -> List[Tuple[str, int]]:
        """Every identity with its number of records (of those matching
        `filter`), in label order, fetched a page at a time."""
        out, after, more = [], "", True
        while more:
            reply = self._call(self._stub.ListLabels, pb.ListLabelsRequest(
                collection=collection, filter=filter, after=after, limit=page_size))
            out.extend((l.label, l.records) for l in reply.labels)
            after, more = reply.next, reply.more
        return out

    def scan(self, collection: str, filter: str = "", scope: str = "all",
             labels: Sequence[str] = (), include_vectors: bool = False,
             page_size: int = 1000) -> Iterator[Record]:
        """Every record (matching `filter`, in `scope`, of `labels`) in key
        order, fetched a page at a time. Records that exist throughout come
        exactly once, whatever is written meanwhile."""
        after, more = "", True
        while more:
            reply = self._call(self._stub.Scan, pb.ScanRequest(
                collection=collection, filter=filter, scope=_SCOPES[scope],
                labels=list(labels), include_vectors=include_vectors, after=after,
                limit=page_size))
            for r in reply.records:
                yield Record(r.key, r.label if r.HasField("label") else None,
                             dict(r.attributes),
                             np.array(r.vector, dtype=np.float32) if include_vectors else None)
            after, more = reply.next, reply.more

    def relabel(self, collection: str, from_labels: Sequence[str], to: str) -> int:
        """Renames an identity, or merges several into `to`, atomically.
        Returns the number of records relabelled."""
        return self._call(self._stub.Relabel, pb.RelabelRequest(
            collection=collection, to=to, **{"from": list(from_labels)})).relabelled

    def search(self, collection: str, queries, k: int = 10,
               labels: Sequence[str] = (), ef_search: int = 0,
               nprobe: int = 0, rerank: int = 0, filter: str = "",
               max_distance: Optional[float] = None,
               far: Optional[float] = None) -> List[SearchResult]:
        """filter: a filter expression (README "Filters"), e.g.
        'camera IN ("c1", "c7") AND ts >= 1700000000'. max_distance (or far, a
        calibrated FAR): radius search, every record within it, at most k."""
        req = pb.SearchRequest(collection=collection, k=k, labels=list(labels), filter=filter,
                               params=pb.SearchParams(ef_search=ef_search, nprobe=nprobe,
                                                      rerank=rerank))
        if max_distance is not None:
            req.max_distance = max_distance
        if far is not None:
            req.far = far
        for q in _rows(queries):
            req.queries.add().values.extend(q.tolist())
        reply = self._call(self._stub.Search, req)
        return [SearchResult([h.key for h in r.hits],
                             [h.label if h.HasField("label") else None for h in r.hits],
                             np.array([h.distance for h in r.hits], dtype=np.float32))
                for r in reply.results]

    # ---- learned metrics ---------------------------------------------------

    def learn_metric(self, collection: str, method: str, activate: bool = False,
                     **options) -> Iterator[Union[Progress, MetricVersion]]:
        """Yields Progress while the server learns, then the stored MetricVersion.
        options: the LearnOptions fields (d_out, regularization, holdout_fraction,
        split="BY_RECORD", seed, epochs, learning_rate, margin, ...)."""
        if method not in _METHODS:
            raise ValueError("method must be one of %s" % sorted(_METHODS))
        opts = pb.LearnOptions()
        for k, v in options.items():
            if k == "split":
                v = pb.HoldoutSplit.Value(v.upper())
            setattr(opts, k, v)
        req = pb.LearnMetricRequest(collection=collection, method=_METHODS[method],
                                    options=opts, activate=activate)
        for message in self._stream(self._stub.LearnMetric, req):
            if message.HasField("progress"):
                yield _progress(message.progress)
            else:
                yield _version(message.result)

    def list_metrics(self, collection: str) -> Tuple[List[MetricVersion], int]:
        reply = self._call(self._stub.ListMetrics, pb.ListMetricsRequest(collection=collection))
        return [_version(v) for v in reply.versions], reply.active_version

    def get_metric(self, collection: str, version: int) -> MetricVersion:
        return _version(self._call(self._stub.GetMetric, pb.GetMetricRequest(
            collection=collection, version=version, include_map=True)))

    def activate_metric(self, collection: str, version: int) -> CollectionInfo:
        return self._info(self._call(self._stub.ActivateMetric, pb.ActivateMetricRequest(
            collection=collection, version=version)).collection)

    def set_metric(self, collection: str, l_map, activate: bool = False) -> MetricVersion:
        l_map = _rows(l_map)
        req = pb.SetMetricRequest(collection=collection, d_out=l_map.shape[0], activate=activate)
        req.map.extend(l_map.ravel().tolist())
        return _version(self._call(self._stub.SetMetric, req))

    # ---- identity queries --------------------------------------------------

    def identify(self, collection: str, queries=None, keys: Sequence[str] = (), top: int = 5,
                 depth: int = 0, aggregation: str = "min", top_n: int = 3,
                 threshold: Optional[float] = None,
                 far: Optional[float] = None, filter: str = "") -> List[IdentifyResult]:
        req = pb.IdentifyRequest(collection=collection, query_keys=list(keys),
                                 top_identities=top, depth=depth,
                                 aggregation=_AGGREGATIONS[aggregation], top_n=top_n,
                                 filter=filter)
        if queries is not None:
            for q in _rows(queries):
                req.queries.add().values.extend(q.tolist())
        if threshold is not None:
            req.threshold = threshold
        if far is not None:
            req.far = far
        reply = self._call(self._stub.Identify, req)
        return [IdentifyResult(r.unknown, [Identity(m.label, m.score, m.distance, list(m.keys))
                                           for m in r.identities])
                for r in reply.results]

    @staticmethod
    def _side(side, out):
        if isinstance(side, tuple) and side[0] in ("key", "label"):
            setattr(out, side[0], side[1])
        else:
            out.vector.values.extend(np.asarray(side, dtype=np.float32).ravel().tolist())

    def verify(self, collection: str, pairs, aggregation: str = "min", top_n: int = 3,
               threshold: Optional[float] = None, far: Optional[float] = None,
               filter: str = "") -> VerifyResult:
        """pairs: [(a, b), ...]; a side is a vector, ("key", K) or ("label", L)."""
        req = pb.VerifyRequest(collection=collection, aggregation=_AGGREGATIONS[aggregation],
                               top_n=top_n, filter=filter)
        for a, b in pairs:
            p = req.pairs.add()
            self._side(a, p.a)
            self._side(b, p.b)
        if threshold is not None:
            req.threshold = threshold
        if far is not None:
            req.far = far
        reply = self._call(self._stub.Verify, req)
        return VerifyResult(np.array([r.distance for r in reply.results]),
                            np.array([r.same for r in reply.results], dtype=bool),
                            reply.threshold)

    @staticmethod
    def _calibration(c) -> Calibration:
        col = lambda name: np.array([getattr(p, name) for p in c.points])
        return Calibration(c.metric_version, c.stale, c.roc_auc, c.eer, col("target_far"),
                           col("threshold"), col("far"), col("tar"), col("holdout_far"),
                           col("holdout_tar"), np.array([p.far for p in c.curve]),
                           np.array([p.tar for p in c.curve]))

    def calibrate(self, collection: str, fars: Sequence[float] = (),
                  holdout_fraction: float = 0.0, seed: Optional[int] = None,
                  max_records: int = 0, filter: str = "") -> Calibration:
        req = pb.CalibrateRequest(collection=collection, target_fars=list(fars),
                                  holdout_fraction=holdout_fraction, max_records=max_records,
                                  filter=filter)
        if seed is not None:
            req.seed = seed
        return self._calibration(self._call(self._stub.Calibrate, req))

    def get_calibration(self, collection: str) -> Calibration:
        return self._calibration(self._call(self._stub.GetCalibration,
                                            pb.GetCalibrationRequest(collection=collection)))

    def cluster(self, collection: str, method: str = "kmeans", k: int = 0,
                threshold: Optional[float] = None, far: Optional[float] = None,
                scope: str = "all", labels: Sequence[str] = (), neighbors: int = 0,
                linkage: str = "single",
                iterations: int = 0, seed: Optional[int] = None, write_labels: bool = False,
                label_prefix: str = "", include_centroids: bool = False,
                filter: str = "") -> ClusterResult:
        req = pb.ClusterRequest(
            collection=collection, method=pb.KMEANS if method == "kmeans" else pb.THRESHOLD,
            scope=_SCOPES[scope], labels=list(labels), k=k, neighbors=neighbors,
            iterations=iterations, write_labels=write_labels, label_prefix=label_prefix,
            include_centroids=include_centroids, filter=filter,
            linkage=pb.AVERAGE if linkage == "average" else pb.SINGLE)
        if method not in ("kmeans", "threshold"):
            raise ValueError("method must be kmeans or threshold")
        if seed is not None:
            req.seed = seed
        if threshold is not None:
            req.threshold = threshold
        if far is not None:
            req.far = far
        result = None
        for message in self._stream(self._stub.Cluster, req):
            if message.HasField("result"):
                result = message.result
        centroids = (np.array(result.centroids, dtype=np.float32).reshape(result.clusters, -1)
                     if include_centroids and result.centroid_dim else None)
        return ClusterResult([a.key for a in result.assignments],
                             np.array([a.cluster for a in result.assignments], dtype=np.int32),
                             result.clusters, result.inertia, result.threshold,
                             _quality(result.quality) if result.HasField("quality") else None,
                             result.labels_written, centroids)
