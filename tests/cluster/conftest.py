"""Cluster tests: a throwaway etcd and metricdb-server processes (cluster_harness)."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
