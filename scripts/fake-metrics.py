#!/usr/bin/env python3
"""fake-metrics: per-pod HTTP metrics for the testbed's pods, for Prometheus to scrape.

There are no containers on the testbed, so nothing serves real traffic. This plays the
pods' instrumentation: every Running and Ready pod gets request counters and a latency
histogram that grow with time, as a service taking steady traffic would. A pod whose image
tag contains "bad" answers worse: more 5xx and slower. Prometheus scrapes /metrics and the
canary judge reads it back exactly as it would from a real cluster.

    fake-metrics.py --kubeconfig FILE --port PORT

Series (labels: namespace, pod, pod_template_hash, image):
    http_requests_total{code="200"|"500"}          counter
    http_request_duration_seconds_bucket{le=...}   histogram (+ _sum, _count)
"""
import argparse
import hashlib
import importlib.util
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("fake_kubelet", os.path.join(HERE, "fake-kubelet.py"))
kubelet = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kubelet)

REQUESTS_PER_SECOND = 20.0
# (error ratio, median latency in seconds) for a good and a bad pod.
GOOD = (0.01, 0.08)
BAD = (0.10, 0.30)
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
REFRESH = 1.0


def escape(value):
    """A label value in the text exposition format (tests plant hostile image names)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def is_bad(image):
    return "bad" in kubelet.image_tag(image)


class PodSeries:
    """One pod's counters; each refresh adds the traffic since the last one, with noise
    seeded by the pod so that runs are repeatable."""

    def __init__(self, uid, labels, bad):
        self.labels = labels
        self.bad = bad
        self.rng = random.Random(int(hashlib.sha256(uid.encode()).hexdigest()[:16], 16))
        self.ok = 0.0
        self.errors = 0.0
        self.buckets = [0.0] * len(BUCKETS)
        self.count = 0.0
        self.sum = 0.0

    def advance(self, seconds):
        error_ratio, median = BAD if self.bad else GOOD
        n = max(0.0, self.rng.gauss(REQUESTS_PER_SECOND, 2.0)) * seconds
        ratio = min(1.0, max(0.0, self.rng.gauss(error_ratio, error_ratio * 0.3)))
        self.errors += n * ratio
        self.ok += n * (1.0 - ratio)
        # Latencies: a log-normal around the median; up to 200 draws stand for the step's
        # requests, each weighing its share.
        draws = min(max(1, int(n)), 200)
        weight = n / draws
        for _ in range(draws):
            v = median * self.rng.lognormvariate(0.0, 0.35)
            self.count += weight
            self.sum += v * weight
            for i, le in enumerate(BUCKETS):
                if v <= le:
                    self.buckets[i] += weight


class Metrics:
    def __init__(self, api):
        self.api = api
        self.lock = threading.Lock()
        self.pods = {}  # uid -> PodSeries
        self.last = time.monotonic()

    def refresh(self):
        status, body = self.api.call("GET", "/api/v1/pods")
        if status != 200 or not body:
            return
        now = time.monotonic()
        seconds, self.last = now - self.last, now
        seen = set()
        with self.lock:
            for pod in body.get("items", []):
                meta, spec, st = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
                ready = any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in st.get("conditions") or []
                )
                if st.get("phase") != "Running" or not ready:
                    continue
                uid = meta["uid"]
                seen.add(uid)
                if uid not in self.pods:
                    image = (spec.get("containers") or [{}])[0].get("image", "")
                    labels = {
                        "namespace": meta.get("namespace", ""),
                        "pod": meta.get("name", ""),
                        "pod_template_hash": (meta.get("labels") or {}).get("pod-template-hash", ""),
                        "image": image,
                    }
                    self.pods[uid] = PodSeries(uid, labels, is_bad(image))
                self.pods[uid].advance(seconds)
            for uid in set(self.pods) - seen:
                del self.pods[uid]

    def render(self):
        out = [
            "# TYPE http_requests_total counter",
            "# TYPE http_request_duration_seconds histogram",
        ]
        with self.lock:
            for p in self.pods.values():
                base = ",".join(f'{k}="{escape(v)}"' for k, v in sorted(p.labels.items()))
                out.append(f'http_requests_total{{{base},code="200"}} {p.ok:.3f}')
                out.append(f'http_requests_total{{{base},code="500"}} {p.errors:.3f}')
                for le, v in zip(BUCKETS, p.buckets):
                    out.append(f'http_request_duration_seconds_bucket{{{base},le="{le}"}} {v:.3f}')
                out.append(f'http_request_duration_seconds_bucket{{{base},le="+Inf"}} {p.count:.3f}')
                out.append(f"http_request_duration_seconds_sum{{{base}}} {p.sum:.4f}")
                out.append(f"http_request_duration_seconds_count{{{base}}} {p.count:.3f}")
        return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    server, token = kubelet.load_kubeconfig(args.kubeconfig)
    metrics = Metrics(kubelet.Api(server, token))

    def loop():
        while True:
            try:
                metrics.refresh()
            except Exception as e:  # the apiserver restarts in some tests: keep going
                print(f"fake-metrics: refresh failed: {e!r}", file=sys.stderr, flush=True)
            time.sleep(REFRESH)

    threading.Thread(target=loop, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = metrics.render().encode() if self.path.startswith("/metrics") else b"fake-metrics\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
