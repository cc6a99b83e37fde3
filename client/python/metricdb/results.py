"""The values the client returns: dataclasses of NumPy arrays and plain
Python values, and MetricDBError for a call the server refused."""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional

import grpc
import numpy as np


class MetricDBError(Exception):
    """A call the server refused: `code` is the grpc.StatusCode, `message` its reason."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__("%s: %s" % (code.name, message))
        self.code = code
        self.message = message


@dataclasses.dataclass
class CollectionInfo:
    name: str
    dim: int
    metric: str          # the creation metric
    active_metric: str   # "mahalanobis" while a learned version is active
    metric_version: int
    index: str
    records: int
    labels: int
    index_memory_bytes: int   # process memory of the index
    shards: int = 1
    # index_memory_bytes by part; with index_vectors_mapped the full vectors
    # live in a file mapped from the data directory and are not counted.
    index_graph_bytes: int = 0
    index_code_bytes: int = 0
    index_vector_bytes: int = 0
    index_vectors_mapped: bool = False
    # Declared attribute fields: {name: "string"|"int64"|"double"|"bool"|"timestamp"}.
    attributes: Dict[str, str] = dataclasses.field(default_factory=dict)
    ttl_seconds: int = 0       # retention: 0 keeps records until deleted
    expired_records: int = 0   # deleted on expiry since the server started



@dataclasses.dataclass
class Record:
    key: str
    label: Optional[str]
    attributes: Dict[str, str]
    vector: Optional[np.ndarray]  # when asked for


@dataclasses.dataclass
class SearchResult:
    keys: List[str]
    labels: List[Optional[str]]
    distances: np.ndarray  # float32, closest first


@dataclasses.dataclass
class Progress:
    phase: str
    iteration: int
    iterations: int
    loss: float
    elapsed_seconds: float


@dataclasses.dataclass
class MetricVersion:
    version: int
    method: str
    d_out: int
    active: bool
    training_seconds: float
    before_metric: str
    before: dict  # precision_at_1, r_precision, map_at_r, roc_auc, eer, ...
    after: dict
    map: Optional[np.ndarray] = None  # d_out x dim, when asked for


@dataclasses.dataclass
class Identity:
    label: str
    score: float
    distance: float
    keys: List[str]


@dataclasses.dataclass
class IdentifyResult:
    unknown: bool
    identities: List[Identity]


@dataclasses.dataclass
class VerifyResult:
    distances: np.ndarray
    same: np.ndarray  # bool
    threshold: float


@dataclasses.dataclass
class Calibration:
    metric_version: int
    stale: bool
    roc_auc: float
    eer: float
    target_fars: np.ndarray
    thresholds: np.ndarray
    fars: np.ndarray
    tars: np.ndarray
    holdout_fars: np.ndarray
    holdout_tars: np.ndarray
    curve_far: np.ndarray  # the ROC, for plotting
    curve_tar: np.ndarray


@dataclasses.dataclass
class ClusterResult:
    keys: List[str]
    assignment: np.ndarray  # int32 cluster per key
    clusters: int
    inertia: float
    threshold: float
    quality: Optional[dict]  # nmi, ami, pairwise_f, bcubed_f against the labels
    labels_written: int
    centroids: Optional[np.ndarray] = None


def _quality(q) -> dict:
    return {f.name: getattr(q, f.name) for f in q.DESCRIPTOR.fields}


def _version(v) -> MetricVersion:
    m = np.array(v.map, dtype=np.float32).reshape(v.d_out, v.dim) if len(v.map) else None
    return MetricVersion(v.version, v.method, v.d_out, v.active, v.training_seconds,
                         v.before_metric, _quality(v.before), _quality(v.after), m)


def _progress(p) -> Progress:
    return Progress(p.phase, p.iteration, p.iterations, p.loss, p.elapsed_seconds)


def _rows(vectors) -> np.ndarray:
    a = np.asarray(vectors, dtype=np.float32)
    return a.reshape(1, -1) if a.ndim == 1 else a
