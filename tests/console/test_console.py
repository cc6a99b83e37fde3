"""The web console in a real browser: Debian's chromium, headless, against a
real server (auth on) holding scikit-learn's digits with a learned metric in
force and a calibration. The rendered DOM is checked (the collection listed,
the ROC curve drawn with a marker at each calibrated FAR, a search by key
showing the same neighbours as the API, the metric's before/after report,
cluster sizes) and screenshots are saved (METRICDB_SCREENSHOT_DIR)."""
import hashlib
import html.parser
import os
import subprocess
import tempfile
import time

import numpy as np
import pytest
from sklearn.datasets import load_digits

import metricdb

TOKEN = "console-test-token"


class Dom(html.parser.HTMLParser):
    """Elements by id, and every element with its attributes and text."""

    def __init__(self, text):
        super().__init__()
        self.elements = []  # [tag, attrs, text]
        self.stack = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        e = [tag, dict(attrs), ""]
        self.elements.append(e)
        if tag not in ("input", "meta", "link", "br", "img", "circle", "rect", "polyline"):
            self.stack.append(e)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for e in self.stack:
            e[2] += data

    def by_id(self, i):
        return next(e for e in self.elements if e[1].get("id") == i)

    def with_class(self, cls):
        return [e for e in self.elements if cls in e[1].get("class", "").split()]

    def rows(self, table_id):
        """The text of each cell of each body row of a table (header rows,
        which hold th cells only, come out empty and are dropped)."""
        rows, inside = [], False
        for e in self.elements:
            if e[1].get("id") == table_id:
                inside = True
            elif inside and e[0] == "table":
                break
            elif inside and e[0] == "tr":
                rows.append([])
            elif inside and e[0] == "td" and rows:
                rows[-1].append(e[2].strip())
        return [r for r in rows if r]


@pytest.fixture(scope="module")
def server():
    binary = os.environ["METRICDB_SERVER_BIN"]
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "tokens"), "w") as f:
            f.write("admin %s\n" % hashlib.sha256(TOKEN.encode()).hexdigest())
        ports = {name: os.path.join(tmp, name) for name in ("port", "http-port")}
        proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "data"),
             "--port-file", ports["port"], "--http-listen", "127.0.0.1:0",
             "--http-port-file", ports["http-port"], "--auth-tokens",
             os.path.join(tmp, "tokens"), "--log-level", "warn"])
        deadline = time.time() + 30
        while not all(os.path.exists(p) and open(p).read().strip() for p in ports.values()):
            assert proc.poll() is None, "server exited"
            assert time.time() < deadline, "server did not start"
            time.sleep(0.02)
        read = {k: open(p).read().strip() for k, p in ports.items()}
        yield "127.0.0.1:" + read["port"], "http://127.0.0.1:" + read["http-port"]
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def digits(server):
    grpc_addr, _ = server
    d = load_digits()
    x = d.data.astype(np.float32)
    with metricdb.Client(grpc_addr, token=TOKEN, timeout=120) as db:
        db.create_collection("digits", dim=64)
        db.upsert("digits", ["d%d" % i for i in range(len(x))], x,
                  labels=["digit%d" % t for t in d.target])
        for _ in db.learn_metric("digits", "kissme", activate=True, split="BY_RECORD"):
            pass
        db.calibrate("digits", fars=[1e-2, 1e-3])
        yield db, x


def render(url, screenshot=None):
    """The DOM chromium renders at `url` once its scripts' calls are done."""
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--virtual-time-budget=20000", "--window-size=1100,1750"]
    if screenshot:
        subprocess.run(base + ["--screenshot=" + screenshot, url], check=True, timeout=120,
                       capture_output=True)
    out = subprocess.run(base + ["--dump-dom", url], check=True, timeout=120,
                         capture_output=True, text=True)
    return Dom(out.stdout)


def shots():
    d = os.environ.get("METRICDB_SCREENSHOT_DIR") or tempfile.mkdtemp()
    os.makedirs(d, exist_ok=True)
    return d


def test_the_console_shows_collections_roc_search_and_clusters(server, digits):
    _, http = server
    db, x = digits
    home = render("%s/#token=%s" % (http, TOKEN), os.path.join(shots(), "console-home.png"))
    assert home.by_id("collections")
    listed = home.rows("collections")
    assert [r[0] for r in listed] == ["digits"]
    assert listed[0][4] == "1797" and listed[0][2] == "mahalanobis v1"

    page = render("%s/#token=%s&c=digits&search=key:d5&cluster=10" % (http, TOKEN),
                  os.path.join(shots(), "console-collection.png"))
    assert page.by_id("error")[1].get("hidden") is not None, page.by_id("error")[2]
    # The ROC curve, with a marker and a label at each calibrated FAR.
    curve = page.with_class("curve")
    assert len(curve) == 1 and len(curve[0][1]["points"].split()) > 20
    assert len(page.with_class("threshold")) == 2
    labels = [e[2] for e in page.with_class("threshold-label")]
    cal = db.get_calibration("digits")
    for far, threshold in zip(cal.target_fars, cal.thresholds):
        assert any(l.startswith("FAR %g: threshold %.3f" % (far, threshold)) for l in labels), labels
    # The search by key shows the API's neighbours, the record itself first.
    want = db.search("digits", x[5], k=10)[0]
    shown = page.rows("neighbours")
    assert [r[1] for r in shown] == want.keys
    assert shown[0][1] == "d5" and float(shown[0][3]) == 0.0
    # The learned version with its before/after report, and cluster sizes.
    versions = page.rows("metrics")
    assert versions[0][:3] == ["1", "kissme", "yes"] and "→" in versions[0][4]
    assert len(page.with_class("bar")) == 6
    sizes = page.with_class("cluster-bar")
    assert len(sizes) == 10
    assert "10 clusters of 1797 records" in page.by_id("cluster-summary")[2]


def test_a_wrong_token_shows_the_servers_refusal(server, digits):
    _, http = server
    page = render("%s/#token=wrong" % http)
    error = page.by_id("error")
    assert error[1].get("hidden") is None and error[2].startswith("UNAUTHENTICATED")
    assert page.rows("collections") == []
