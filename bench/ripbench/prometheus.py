"""The Prometheus case: canaries in flight among the fixture, judged two ways.

- ripcord: the console (in a pty) with a `prometheus` setting and the shipped HTTP analysis.
  It judges only releases with a canary in flight, each one every minute, the one open in
  the detail view every 15 s; each refresh is one range query per metric for all of them.
- Argo-style: what an AnalysisRun per rollout does, one instant query per metric per rollout
  per interval, played by this script (`--argo-interval`, default 30 s).

For each, over the same window: queries per minute as Prometheus counts them
(`prometheus_http_requests_total` on its own /metrics), Prometheus's CPU and the client's
CPU (ripcord's process, or this script's thread for the Argo-style side), from /proc.

The canaries are the fixture's canary pairs. `--canaries N` keeps N canary Deployments
scaled up and scales the other pairs' canaries to 0 for the run (restored afterwards), so
the rest of the fixture is healthy releases. `--smoke K` instead creates K small pairs in a
namespace of its own on the given testbed, and deletes it afterwards: the small run for a
shared machine.

    python3 -m ripbench.prometheus --testbed-dir DIR --ripcord BIN --canaries 50 --window 300
    python3 -m ripbench.prometheus --testbed-dir .testbed --ripcord target/debug/ripcord --smoke 5 --window 90
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from .kube import Api
from .term import Session, proc_cpu_seconds

CANARY_OF = "ripcord.dev/canary-of"
SMOKE_NS = "rc-bench-prom-smoke"


def log(msg):
    print(f"[prometheus] {msg}", file=sys.stderr, flush=True)


def analysis_toml(repo):
    with open(os.path.join(repo, "analysis", "http.toml")) as f:
        return f.read()


def analysis_queries(text):
    """The PromQL templates of an analysis config, in order."""
    return [q.strip() for q in re.findall(r"query = '''(.*?)'''", text, re.S)]


def prometheus_requests(url):
    """{handler: requests} for the query endpoints, from Prometheus's own /metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if not line.startswith("prometheus_http_requests_total{"):
            continue
        m = re.search(r'handler="(/api/v1/query(?:_range)?)"', line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + float(line.rsplit(" ", 1)[1])
    return out


def pid_of(testbed_dir, name):
    with open(os.path.join(testbed_dir, "pids", f"{name}.pid")) as f:
        return int(f.read().strip())


def canaries(api):
    """[(namespace, stable name, canary name, canary replicas)] of the cluster's pairs."""
    out = []
    for d in api.list_all("/apis/apps/v1/deployments"):
        meta = d["metadata"]
        stable = (meta.get("labels") or {}).get(CANARY_OF)
        if stable:
            out.append((meta["namespace"], stable, meta["name"], d["spec"].get("replicas", 0)))
    return sorted(out)


def scale(api, ns, name, replicas):
    api.merge_patch(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}", {"spec": {"replicas": replicas}})


def hashes(api, ns, name):
    """The pod-template-hash of a Deployment's newest ReplicaSet."""
    sets = api.get(f"/apis/apps/v1/namespaces/{ns}/replicasets")["items"]
    own = [s for s in sets
           if any(o.get("name") == name for o in s["metadata"].get("ownerReferences", []))]
    own.sort(key=lambda s: int(s["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0")))
    return own[-1]["metadata"]["labels"]["pod-template-hash"] if own else None


def smoke_setup(api, k):
    api.apply(f"/api/v1/namespaces/{SMOKE_NS}", {"apiVersion": "v1", "kind": "Namespace",
                                                   "metadata": {"name": SMOKE_NS}})
    for i in range(k):
        for name, image, extra in ((f"web{i}", "shop/web:1.0", {}),
                                   (f"web{i}-canary", "shop/web:1.1-bad", {CANARY_OF: f"web{i}"})):
            labels = {"app": name, **extra}
            api.apply(f"/apis/apps/v1/namespaces/{SMOKE_NS}/deployments/{name}", {
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "labels": labels},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [{"name": "app", "image": image}]}}},
            })


def smoke_teardown(api):
    try:
        api.request("DELETE", f"/api/v1/namespaces/{SMOKE_NS}", ok=(200, 202, 404))
    except Exception as e:  # noqa: BLE001 - a left-over namespace is said, not fatal
        log(f"could not delete {SMOKE_NS}: {e}")


class Measure:
    """Counters at the start and end of a window."""

    def __init__(self, prom_url, prom_pid, client_cpu):
        self.prom_url, self.prom_pid, self.client_cpu = prom_url, prom_pid, client_cpu

    def __enter__(self):
        self.t0 = time.monotonic()
        self.q0 = prometheus_requests(self.prom_url)
        self.p0 = proc_cpu_seconds(self.prom_pid)
        self.c0 = self.client_cpu()
        return self

    def __exit__(self, *exc):
        self.t1 = time.monotonic()
        self.q1 = prometheus_requests(self.prom_url)
        self.p1 = proc_cpu_seconds(self.prom_pid)
        self.c1 = self.client_cpu()

    def result(self):
        minutes = (self.t1 - self.t0) / 60
        queries = sum(self.q1.values()) - sum(self.q0.values())
        return {
            "seconds": round(self.t1 - self.t0, 1),
            "queries": int(queries),
            "queries_per_minute": round(queries / minutes, 1),
            "by_handler": {h: int(self.q1.get(h, 0) - self.q0.get(h, 0)) for h in self.q1},
            "prometheus_cpu_pct": round(100 * (self.p1 - self.p0) / (self.t1 - self.t0), 2),
            "client_cpu_pct": round(100 * (self.c1 - self.c0) / (self.t1 - self.t0), 2),
        }


def run_ripcord(args, tmp, context, canary_count):
    config = os.path.join(tmp, "ripcord-config")
    os.makedirs(config, exist_ok=True)
    with open(os.path.join(config, "config.toml"), "w") as f:
        f.write(f'[contexts."{context}"]\nprometheus = "{args.prometheus}"\n')
    with open(os.path.join(config, "analysis.toml"), "w") as f:
        f.write(analysis_toml(args.repo))
    env = dict(os.environ, KUBECONFIG=args.kubeconfig, TERM="xterm-256color",
               RIPCORD_CONFIG_DIR=config, RIPCORD_DATA_DIR=os.path.join(tmp, "ripcord-data"))
    env.pop("NO_COLOR", None)
    sess = Session([args.ripcord, "--context", context], 200, 50, env=env, cwd=tmp)
    try:
        # Synced first: the window measures steady judging, not start-up.
        if sess.wait_for(lambda s: any("synced" in l for l in s.lines[:3]), 120) is None:
            raise SystemExit(f"ripcord did not sync; screen:\n{sess.text()}")
        time.sleep(args.settle)
        with Measure(args.prometheus, args.prom_pid, lambda: proc_cpu_seconds(sess.pid) or 0.0) as m:
            time.sleep(args.window)
        out = m.result()
        out["canaries"] = canary_count
        out["screen_rc_verdicts"] = sess.text().count("rc")
        return out
    finally:
        sess.send(b"q")
        time.sleep(0.5)


def run_argo_style(args, selectors, queries):
    """One instant query per metric per rollout per interval, as AnalysisRuns do."""
    stop = threading.Event()
    cpu = {"s": 0.0}

    def loop():
        t_cpu = time.thread_time()
        while not stop.is_set():
            t = time.monotonic()
            for ns, name, canary_hash in selectors:
                for q in queries:
                    sel = f'pod_template_hash="{canary_hash}"'
                    promql = (q.replace("{{selector}}", sel).replace("{{namespace}}", ns)
                              .replace("{{name}}", name))
                    url = f"{args.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
                    try:
                        urllib.request.urlopen(url, timeout=10).read()
                    except Exception as e:  # noqa: BLE001 - counted by Prometheus either way
                        log(f"argo-style query failed: {e}")
            cpu["s"] = time.thread_time() - t_cpu
            stop.wait(max(0.0, args.argo_interval - (time.monotonic() - t)))

    th = threading.Thread(target=loop, daemon=True)
    with Measure(args.prometheus, args.prom_pid, lambda: cpu["s"]) as m:
        th.start()
        time.sleep(args.window)
        stop.set()
        th.join(30)
    out = m.result()
    out["canaries"] = len(selectors)
    out["interval_s"] = args.argo_interval
    return out


def markdown(res):
    r, a = res["ripcord"], res["argo_style"]
    lines = [
        f"Prometheus case ({res['mode']}): {r['canaries']} canaries in flight, {res['releases']} "
        f"releases, window {r['seconds']} s.",
        "",
        "| | queries/min | Prometheus CPU | client CPU |",
        "|---|---|---|---|",
        f"| ripcord (one batch every 60 s) | {r['queries_per_minute']} | "
        f"{r['prometheus_cpu_pct']}% | {r['client_cpu_pct']}% |",
        f"| Argo-style (1 query/metric/rollout/{a['interval_s']} s) | {a['queries_per_minute']} | "
        f"{a['prometheus_cpu_pct']}% | {a['client_cpu_pct']}% |",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--testbed-dir", default=os.environ.get("RIPCORD_BENCH_TESTBED_DIR", "/tmp/rc-bench-testbed"))
    p.add_argument("--ripcord", required=True)
    p.add_argument("--context", default=None)
    p.add_argument("--canaries", type=int, default=50)
    p.add_argument("--smoke", type=int, default=0, metavar="K")
    p.add_argument("--window", type=float, default=300.0)
    p.add_argument("--settle", type=float, default=5.0)
    p.add_argument("--argo-interval", type=float, default=30.0)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    args.repo = here
    args.ripcord = os.path.abspath(args.ripcord)
    args.kubeconfig = os.path.join(args.testbed_dir, "kubeconfig")
    with open(os.path.join(args.testbed_dir, "prometheus-url")) as f:
        args.prometheus = f.read().strip()
    args.prom_pid = pid_of(args.testbed_dir, "prometheus")
    context = args.context or "testbed-admin"
    api = Api.from_kubeconfig(args.kubeconfig, context)
    tmp = tempfile.mkdtemp(prefix="rc-bench-prom-")
    restore = []
    try:
        if args.smoke:
            smoke_setup(api, args.smoke)
            time.sleep(10)  # the controllers make the ReplicaSets; Prometheus scrapes
            pairs = [c for c in canaries(api) if c[0] == SMOKE_NS]
        else:
            pairs = canaries(api)
            for i, (ns, _, name, replicas) in enumerate(pairs):
                if i >= args.canaries and replicas:
                    restore.append((ns, name, replicas))
                    scale(api, ns, name, 0)
            pairs = pairs[:args.canaries]
        selectors = [(ns, stable, hashes(api, ns, canary)) for ns, stable, canary, _ in pairs]
        selectors = [s for s in selectors if s[2]]
        releases = len(api.list_all("/apis/apps/v1/deployments")) - len(canaries(api))
        log(f"{len(selectors)} canaries in flight among {releases} releases")
        queries = analysis_queries(analysis_toml(args.repo))
        res = {
            "mode": f"smoke {args.smoke}" if args.smoke else "fixture",
            "releases": releases,
            "ripcord": run_ripcord(args, tmp, context, len(selectors)),
            "argo_style": run_argo_style(args, selectors, queries),
        }
    finally:
        for ns, name, replicas in restore:
            scale(api, ns, name, replicas)
        if args.smoke:
            smoke_teardown(api)
        shutil.rmtree(tmp, ignore_errors=True)
    text = json.dumps(res, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)
    print(markdown(res))


if __name__ == "__main__":
    main()
