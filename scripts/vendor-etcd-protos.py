#!/usr/bin/env python3
"""Copies the etcd v3 API protos that cluster mode needs from Debian's
golang-etcd-server-dev into proto/etcd/, stripped of the Go-only options
(gogoproto) and the HTTP-gateway annotations (google.api.http), which our
protoc does not need. Messages, fields and services are left unchanged.

    apt-get install golang-etcd-server-dev && scripts/vendor-etcd-protos.py
"""
import pathlib
import re
import shutil

SRC = pathlib.Path("/usr/share/gocode/src/go.etcd.io/etcd")
DST = pathlib.Path(__file__).resolve().parent.parent / "proto" / "etcd"
FILES = ["etcdserver/etcdserverpb/rpc.proto", "mvcc/mvccpb/kv.proto", "auth/authpb/auth.proto"]


def strip(text: str) -> str:
    text = re.sub(r'import "(gogoproto|google/api)/[^"]+";\n', "", text)
    text = re.sub(r"option \(gogoproto\.[^;]+;\n", "", text)
    # rpc ... { option (google.api.http) = { ... }; }  ->  rpc ...;
    text = re.sub(r"\)\s*\{\s*option \(google\.api\.http\) = \{([^{}]|\{[^{}]*\})*\};\s*\}",
                  ");", text)
    text = re.sub(r"\s*\[\(gogoproto\.[^\]]+\]", "", text)
    return f"// Vendored from etcd 3.4 ({SRC}) by scripts/vendor-etcd-protos.py:\n" \
           f"// Go-only options and HTTP annotations removed. Apache-2.0, see LICENSE.\n" + text


for rel in FILES:
    out = DST / "etcd" / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(strip((SRC / rel).read_text()))
shutil.copy("/usr/share/common-licenses/Apache-2.0", DST / "LICENSE")
