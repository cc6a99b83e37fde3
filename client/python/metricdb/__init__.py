"""metricdb: Python client of the metricdb vector search server.

    import numpy as np, metricdb
    db = metricdb.Client("127.0.0.1:50051")
    db.create_collection("faces", dim=128, metric="cosine")
    db.upsert("faces", keys, vectors, labels=names)
    hits = db.search("faces", queries, k=10)

Errors from the server raise metricdb.MetricDBError with its gRPC code and
message.
"""
from metricdb.client import (Calibration, Client, ClusterResult, CollectionInfo, Identity,
                             IdentifyResult, MetricDBError, MetricVersion, Progress,
                             Record, SearchResult, VerifyResult)

__all__ = ["Calibration", "Client", "ClusterResult", "CollectionInfo", "Identity",
           "IdentifyResult", "MetricDBError", "MetricVersion", "Progress", "Record", "SearchResult",
           "VerifyResult"]
