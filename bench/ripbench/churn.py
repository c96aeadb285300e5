"""Churn generator: patches fixture pods at a fixed rate, bounded in count and time.

Each event is a JSON merge patch of one pod's metadata (annotation
`bench.ripcord.dev/churn: <run nonce>-<n>`, never a value the pod had before), round robin over a shuffled list of the fixture's pods, so
every watcher of pods receives a MODIFIED event carrying the whole pod, as it would when
kubelets update pods. Nothing the tools under test show in their default views changes
(ripcord's queue, kdash's pod table and kubectl's columns all ignore annotations), except
that `kubectl get -w` prints one line per event.

Loopback only (see kube.load_credentials). Runs as its own process so that its work is not
accounted to, and does not steal the interpreter from, the pty driver.

Usage: python3 -m ripbench.churn --kubeconfig F --spec bench/fixtures/full.json
           --rate 200 --duration 60 [--max-events N] [--workers 4]
Prints a JSON summary on stdout when it ends (duration over, count reached, or SIGTERM).
"""

import argparse
import json
import os
import random
import signal
import sys
import threading
import time

from . import fixture
from .kube import Api, ApiError


MAX_LATE = 1.0  # seconds


def start_counter(api, nonce, stop):
    """Counts, on a watch of all pods, the MODIFIED events that carry this run's churn
    annotation: proof that the patches really reach watchers as events."""
    seen = {"n": 0}
    a = api.clone()
    a.timeout = 3600
    rv = a.get("/api/v1/pods?limit=1")["metadata"]["resourceVersion"]
    a._connect()
    a.conn.request("GET", f"/api/v1/pods?watch=1&resourceVersion={rv}",
                   headers={"Authorization": f"Bearer {a.token}"})
    resp = a.conn.getresponse()
    needle = f'"bench.ripcord.dev/churn":"{nonce}-'.encode()

    def loop():
        try:
            while not stop.is_set():
                line = resp.readline()
                if not line:
                    return
                if needle in line:
                    seen["n"] += 1
        except (OSError, ValueError):
            return
    threading.Thread(target=loop, daemon=True).start()
    return seen


def run(api, targets, rate, duration, max_events, workers=4, stop=None):
    stop = stop or threading.Event()
    lock = threading.Lock()
    stats = {"sent": 0, "errors": 0, "late_max_ms": 0.0, "skipped": 0}
    state = {"next": 0}
    rng = random.Random(42)
    targets = list(targets)
    rng.shuffle(targets)
    # A value this run has never written: patching a pod to the value it already has is a
    # no-op for the apiserver (no write, no watch event), so values must not repeat.
    nonce = os.urandom(4).hex()
    seen = start_counter(api, nonce, stop)
    t0 = time.monotonic()
    interval = 1.0 / rate
    deadline = t0 + duration
    lat = []

    def take():
        """The next event's number. An event more than MAX_LATE behind its time is skipped
        rather than sent in a catch-up burst: the rate stays a rate when the apiserver stalls."""
        with lock:
            n = state["next"]
            behind = int((time.monotonic() - MAX_LATE - t0) / interval)
            if behind > n:
                stats["skipped"] += behind - n
                n = behind
            if n >= max_events:
                return None
            state["next"] = n + 1
        return n

    def worker():
        a = api.clone()
        while not stop.is_set():
            n = take()
            if n is None:
                return
            due = t0 + n * interval
            if due >= deadline:
                return
            now = time.monotonic()
            if due > now:
                if stop.wait(due - now):
                    return
            else:
                with lock:
                    stats["late_max_ms"] = max(stats["late_max_ms"], (now - due) * 1000)
            ns, name = targets[n % len(targets)]
            s = time.monotonic()
            try:
                a.merge_patch(f"/api/v1/namespaces/{ns}/pods/{name}",
                              {"metadata": {"annotations": {"bench.ripcord.dev/churn": f"{nonce}-{n}"}}})
                with lock:
                    stats["sent"] += 1
                    lat.append(time.monotonic() - s)
            except (ApiError, OSError):
                with lock:
                    stats["errors"] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    time.sleep(0.5)  # let the last events arrive
    stats["events_observed"] = seen["n"]
    lat.sort()
    stats.update(
        rate_target=rate,
        seconds=round(elapsed, 2),
        rate_achieved=round(stats["sent"] / elapsed, 1) if elapsed else 0,
        patch_p50_ms=round(lat[len(lat) // 2] * 1000, 1) if lat else None,
        patch_p99_ms=round(lat[int(len(lat) * 0.99)] * 1000, 1) if lat else None,
        late_max_ms=round(stats["late_max_ms"], 1),
    )
    return stats


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--context")
    ap.add_argument("--spec", required=True, help="fixture spec whose pods are patched")
    ap.add_argument("--rate", type=float, required=True, help="events per second")
    ap.add_argument("--duration", type=float, required=True, help="seconds (bound)")
    ap.add_argument("--max-events", type=int, help="bound on the count (default rate*duration)")
    ap.add_argument("--workers", type=int, default=0, help="HTTP connections (default by rate)")
    a = ap.parse_args(argv)
    if a.rate <= 0 or a.rate > 2000 or a.duration <= 0 or a.duration > 3600:
        sys.exit("churn: rate must be in (0, 2000] and duration in (0, 3600] seconds")
    api = Api.from_kubeconfig(a.kubeconfig, a.context)
    spec = json.load(open(a.spec))
    targets = fixture.churn_targets(api, spec)
    if not targets:
        sys.exit("churn: the fixture has no pods")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", file=sys.stderr, flush=True)
    max_events = a.max_events or int(a.rate * a.duration) + 1
    workers = a.workers or max(1, min(32, int(a.rate // 8) + 2))
    stats = run(api, targets, a.rate, a.duration, max_events, workers, stop)
    stats["targets"] = len(targets)
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
