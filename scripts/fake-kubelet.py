#!/usr/bin/env python3
"""A fake kubelet for ripcord's testbed (scripts/testbed): there is no container runtime.

It registers Nodes fake-node-0..N-1 and keeps them Ready, follows a pod WATCH (all
namespaces), binds unscheduled pods to its nodes round robin, marks them Running and Ready
after a short delay, and deletes terminating pods with grace period 0.

A container whose image tag contains "crash" never becomes ready: its pod stays Running with
Ready=False and the container waiting in CrashLoopBackOff, restartCount going up every ~10 s,
so rollouts really stall and the deployment controller reports ProgressDeadlineExceeded.

Standard library only. HTTP calls run on a small worker pool; delays are scheduled on a timer
heap, never slept in a worker, so it keeps up with 10,000 pods.

Usage: fake-kubelet.py --kubeconfig FILE [--context NAME] [--nodes 3] [--workers 8] [--verbose]
"""

import argparse
import heapq
import http.client
import itertools
import json
import queue
import random
import re
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

READY_DELAY = (0.3, 1.0)  # seconds from "bound" to "Running and Ready"
CRASH_RESTART_EVERY = 10.0
NODE_HEARTBEAT_EVERY = 20.0
WATCH_TIMEOUT = 300  # server-side watch timeout; we simply re-watch from the last RV
MAX_BACKOFF = 2.0  # loopback: recovering fast after an apiserver restart matters more

VERBOSE = False


def log(msg):
    print(f"{datetime.now().strftime('%H:%M:%S.%f')[:-3]} fake-kubelet: {msg}", file=sys.stderr, flush=True)


def now_rfc3339():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ kubeconfig


def _yaml_scalar(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    return {"true": True, "false": False, "null": None, "~": None, "{}": {}, "[]": []}.get(s, s)


_MAP_ITEM = re.compile(r"""^[^\s'"-][^:]*:(\s|$)""")


def _yaml_load(text):
    """Just enough YAML for a kubeconfig as kubectl writes it: nested block mappings,
    block sequences (also at the parent's indentation) and plain or quoted scalars."""
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith("#") and stripped != "---":
            lines.append((len(raw) - len(raw.lstrip(" ")), stripped))

    def is_seq(i):
        return lines[i][1] == "-" or lines[i][1].startswith("- ")

    def parse(i, indent):
        if is_seq(i):
            seq = []
            while i < len(lines) and lines[i][0] == indent and is_seq(i):
                rest = lines[i][1][1:]
                body = rest.lstrip(" ")
                if not body:  # "-" alone: the item is the nested block below
                    i += 1
                    value, i = parse(i, lines[i][0])
                    seq.append(value)
                elif _MAP_ITEM.match(body):  # "- key: ..." starts a mapping one level in
                    lines[i] = (indent + 1 + len(rest) - len(body), body)
                    value, i = parse(i, lines[i][0])
                    seq.append(value)
                else:
                    seq.append(_yaml_scalar(body))
                    i += 1
            return seq, i
        mapping = {}
        while i < len(lines) and lines[i][0] == indent and not is_seq(i):
            key, _, rest = lines[i][1].partition(":")
            key = _yaml_scalar(key)
            i += 1
            if rest.strip():
                mapping[key] = _yaml_scalar(rest)
            elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and is_seq(i))):
                mapping[key], i = parse(i, lines[i][0])
            else:
                mapping[key] = None
        return mapping, i

    return parse(0, lines[0][0])[0] if lines else {}


def load_kubeconfig(path, context=None):
    """Returns (server URL, bearer token) of the given or current context."""
    with open(path) as f:
        text = f.read()
    try:
        cfg = json.loads(text)
    except ValueError:
        cfg = _yaml_load(text)

    def named(section, name):
        for item in cfg.get(section) or []:
            if item.get("name") == name:
                return item
        sys.exit(f"fake-kubelet: {path}: no {section[:-1]} named {name!r}")

    ctx = named("contexts", context or cfg.get("current-context"))["context"]
    server = named("clusters", ctx["cluster"])["cluster"]["server"]
    user = named("users", ctx["user"])["user"] or {}
    token = user.get("token")
    if not token and user.get("tokenFile"):
        with open(user["tokenFile"]) as f:
            token = f.read().strip()
    if not token:
        sys.exit(f"fake-kubelet: {path}: user {ctx['user']!r} has no token")
    return server, token


# ------------------------------------------------------------------ HTTP


class Transient(Exception):
    """Worth retrying: connection trouble, 429 or 5xx (e.g. the apiserver is restarting)."""


class Api:
    def __init__(self, server, token):
        u = urllib.parse.urlsplit(server)
        self.host = u.hostname
        self.port = u.port or 443
        self.prefix = u.path.rstrip("/")
        self.token = token
        # The testbed's apiserver has a self-signed certificate and listens on loopback only.
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.local = threading.local()  # one keep-alive connection per thread

    def connect(self, timeout):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def headers(self, content_type=None):
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if content_type:
            h["Content-Type"] = content_type
        return h

    def call(self, method, path, body=None, content_type="application/json"):
        """One request on this thread's connection. Returns (status, parsed body).
        Raises Transient for errors that a retry may fix."""
        data = json.dumps(body).encode() if body is not None else None
        headers = self.headers(content_type if data else None)
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            fresh = conn is None
            if fresh:
                conn = self.local.conn = self.connect(timeout=30)
            try:
                conn.request(method, self.prefix + path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                self.local.conn = None
                # A kept-alive connection may have died with an apiserver restart: one
                # immediate retry on a new connection; a new one failing is worth reporting.
                if fresh or attempt == 2:
                    raise Transient(f"{method} {path}: {e!r}") from None
        if resp.status == 429 or resp.status >= 500:
            raise Transient(f"{method} {path}: HTTP {resp.status}")
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return resp.status, parsed


# ------------------------------------------------------------------ scheduling


class Scheduler:
    """A timer heap plus a worker pool. Timers only enqueue work; workers do the HTTP."""

    def __init__(self, workers):
        self.heap = []
        self.seq = itertools.count()
        self.cv = threading.Condition()
        self.work = queue.Queue()
        threading.Thread(target=self._timer_loop, name="timer", daemon=True).start()
        for n in range(workers):
            threading.Thread(target=self._worker, name=f"worker-{n}", daemon=True).start()

    def submit(self, fn, *args):
        self.work.put((fn, args))

    def later(self, delay, fn, *args):
        with self.cv:
            heapq.heappush(self.heap, (time.monotonic() + delay, next(self.seq), fn, args))
            self.cv.notify()

    def _timer_loop(self):
        while True:
            with self.cv:
                while not self.heap or self.heap[0][0] > time.monotonic():
                    self.cv.wait(timeout=self.heap[0][0] - time.monotonic() if self.heap else None)
                _, _, fn, args = heapq.heappop(self.heap)
            self.work.put((fn, args))

    def _worker(self):
        while True:
            fn, args = self.work.get()
            try:
                fn(*args)
            except Exception as e:  # a bug in one task must not kill the pool
                log(f"task {getattr(fn, '__name__', fn)} failed: {e!r}")


# ------------------------------------------------------------------ the kubelet


def image_tag(image):
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else "latest"


def crashes(container):
    return "crash" in image_tag(container.get("image", ""))


class Pod:
    """What we remember about a pod between watch events."""

    __slots__ = ("ns", "name", "uid", "node", "spec", "busy", "started", "restarts", "ip", "start_time")

    def __init__(self, obj):
        md = obj["metadata"]
        self.ns, self.name, self.uid = md["namespace"], md["name"], md["uid"]
        self.node = obj["spec"].get("nodeName")
        self.spec = obj["spec"]
        self.busy = set()  # actions queued or in flight: "bind", "start", "delete", "crash"
        self.started = False  # we (or an earlier run of us) marked it Running
        self.restarts = 0
        self.ip = None
        self.start_time = None

    @property
    def path(self):
        return f"/api/v1/namespaces/{self.ns}/pods/{self.name}"


class FakeKubelet:
    def __init__(self, api, nodes, workers):
        self.api = api
        self.nodes = [f"fake-node-{i}" for i in range(nodes)]
        self.rr = itertools.cycle(self.nodes)
        self.sched = Scheduler(workers)
        self.lock = threading.Lock()
        self.pods = {}  # uid -> Pod
        self.ip_seq = itertools.count()
        self.stats = {"bound": 0, "started": 0, "crashing": 0, "deleted": 0, "retries": 0}

    # ---- nodes

    def node_status(self, name):
        ts = now_rfc3339()
        cap = {"cpu": "64", "memory": "256Gi", "pods": "1000", "ephemeral-storage": "1Ti"}

        def cond(type_, status, reason, message):
            return {"type": type_, "status": status, "reason": reason, "message": message,
                    "lastHeartbeatTime": ts, "lastTransitionTime": ts}

        return {"status": {
            "capacity": cap,
            "allocatable": cap,
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "fake"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "fake"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "fake"),
                cond("Ready", "True", "KubeletReady", "fake kubelet is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                          {"type": "Hostname", "address": name}],
            "nodeInfo": {"machineID": name, "systemUUID": name, "bootID": name,
                         "kernelVersion": "fake", "osImage": "fake", "containerRuntimeVersion": "fake://0",
                         "kubeletVersion": "v1.20.2", "kubeProxyVersion": "v1.20.2",
                         "operatingSystem": "linux", "architecture": "amd64"},
        }}

    def heartbeat(self, name):
        """Creates the Node if needed and refreshes its Ready status; reschedules itself."""
        try:
            status, _ = self.api.call("PATCH", f"/api/v1/nodes/{name}/status", self.node_status(name),
                                      "application/merge-patch+json")
            if status == 404:
                node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {
                    "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", "ripcord-testbed/fake-node": "true"}}}
                status, body = self.api.call("POST", "/api/v1/nodes", node)
                if status not in (201, 409):
                    log(f"creating node {name}: HTTP {status} {body}")
                else:
                    log(f"registered node {name}")
                status, _ = self.api.call("PATCH", f"/api/v1/nodes/{name}/status", self.node_status(name),
                                          "application/merge-patch+json")
            ok = 200 <= status < 300
            if not ok:
                log(f"node {name} status: HTTP {status}")
        except Transient as e:
            ok = False
            if VERBOSE:
                log(f"node {name}: {e}")
        self.sched.later(NODE_HEARTBEAT_EVERY if ok else 1.0, self.heartbeat, name)

    # ---- pod bookkeeping, called from the watch thread only

    def observe(self, obj):
        """Decides what a pod needs from its latest state and queues that."""
        md, spec, st = obj["metadata"], obj["spec"], obj.get("status") or {}
        node = spec.get("nodeName")
        if node and node not in self.nodes:
            return  # someone else's pod
        with self.lock:
            pod = self.pods.get(md["uid"])
            if pod is None:
                pod = self.pods[md["uid"]] = Pod(obj)
            pod.node, pod.spec = node, spec
            if st.get("phase") == "Running" and not pod.started:
                self._adopt(pod, st)
            if md.get("deletionTimestamp"):
                if "delete" not in pod.busy:
                    pod.busy.add("delete")
                    self.sched.submit(self.delete, pod)
            elif not node:
                if "bind" not in pod.busy:
                    pod.busy.add("bind")
                    self.sched.submit(self.bind, pod, next(self.rr))
            elif not pod.started and "start" not in pod.busy and st.get("phase") in (None, "Pending"):
                pod.busy.add("start")
                self.sched.later(random.uniform(*READY_DELAY), self.start, pod)

    def _adopt(self, pod, st):
        """A pod already Running (we marked it before a restart of ours): keep it as is,
        and keep crashing ones crashing."""
        pod.started = True
        pod.ip = st.get("podIP")
        pod.start_time = st.get("startTime")
        pod.restarts = max((c.get("restartCount", 0) for c in st.get("containerStatuses") or []), default=0)
        if any(crashes(c) for c in pod.spec.get("containers", [])) and "crash" not in pod.busy:
            pod.busy.add("crash")
            self.sched.later(CRASH_RESTART_EVERY, self.crash_tick, pod)

    def forget(self, uid):
        with self.lock:
            self.pods.pop(uid, None)

    def alive(self, pod):
        with self.lock:
            return self.pods.get(pod.uid) is pod

    def retry(self, pod, action, fn, *args, err=None):
        """Re-runs fn a little later while the pod still exists (apiserver down, 5xx, ...)."""
        self.stats["retries"] += 1
        if VERBOSE and err:
            log(f"retrying {action} {pod.ns}/{pod.name}: {err}")
        if self.alive(pod):
            self.sched.later(1.0, fn, pod, *args)
        else:
            pod.busy.discard(action)

    # ---- pod actions, run on workers

    def bind(self, pod, node):
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod.name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        try:
            status, resp = self.api.call("POST", pod.path + "/binding", body)
        except Transient as e:
            return self.retry(pod, "bind", self.bind, node, err=e)
        pod.busy.discard("bind")
        if status == 201:
            self.stats["bound"] += 1
            if VERBOSE:
                log(f"bound {pod.ns}/{pod.name} to {node}")
        elif status not in (404, 409):  # gone, or already bound
            log(f"bind {pod.ns}/{pod.name}: HTTP {status} {resp}")

    def container_statuses(self, pod, ts):
        out = []
        for c in pod.spec.get("containers", []):
            s = {"name": c["name"], "image": c.get("image", ""),
                 "imageID": "docker-pullable://" + c.get("image", ""),
                 "containerID": f"containerd://{pod.uid.replace('-', '')}{len(out)}",
                 "restartCount": 0}
            if crashes(c):
                s.update(ready=False, started=False, restartCount=pod.restarts,
                         state={"waiting": {"reason": "CrashLoopBackOff",
                                            "message": f"back-off 10s restarting failed container={c['name']} pod={pod.name}"}})
                if pod.restarts:
                    s["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                                     "startedAt": ts, "finishedAt": ts}}
            else:
                s.update(ready=True, started=True, state={"running": {"startedAt": pod.start_time}})
            out.append(s)
        return out

    def status_patch(self, pod):
        ts = now_rfc3339()
        bad = [c["name"] for c in pod.spec.get("containers", []) if crashes(c)]
        ready = "False" if bad else "True"
        why = {} if not bad else {"reason": "ContainersNotReady",
                                  "message": f"containers with unready status: [{' '.join(bad)}]"}
        start = pod.start_time

        def cond(type_, status, extra=None):
            c = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": start}
            c.update(extra or {})
            return c

        status = {
            "phase": "Running",
            "hostIP": "127.0.0.1",
            "podIP": pod.ip,
            "podIPs": [{"ip": pod.ip}],
            "startTime": start,
            "conditions": [cond("Initialized", "True"), cond("Ready", ready, why),
                           cond("ContainersReady", ready, why), cond("PodScheduled", "True")],
            "containerStatuses": self.container_statuses(pod, ts),
        }
        if pod.spec.get("initContainers"):
            status["initContainerStatuses"] = [
                {"name": c["name"], "image": c.get("image", ""), "imageID": "docker-pullable://" + c.get("image", ""),
                 "ready": True, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": start, "finishedAt": start}}}
                for c in pod.spec["initContainers"]]
        # metadata.uid acts as a precondition: a new pod with the same name is not touched.
        return {"metadata": {"uid": pod.uid}, "status": status}

    def patch_status(self, pod):
        return self.api.call("PATCH", pod.path + "/status", self.status_patch(pod), "application/merge-patch+json")

    def start(self, pod):
        if not self.alive(pod):
            return
        if pod.ip is None:
            n = next(self.ip_seq)
            pod.ip = f"10.244.{(n // 250) % 256}.{n % 250 + 1}"
            pod.start_time = now_rfc3339()
        try:
            status, resp = self.patch_status(pod)
        except Transient as e:
            return self.retry(pod, "start", self.start, err=e)
        pod.busy.discard("start")
        if status != 200:
            if status not in (404, 409, 422):  # gone or replaced
                log(f"status {pod.ns}/{pod.name}: HTTP {status} {resp}")
            return
        pod.started = True
        if any(crashes(c) for c in pod.spec.get("containers", [])):
            self.stats["crashing"] += 1
            if "crash" not in pod.busy:
                pod.busy.add("crash")
                self.sched.later(CRASH_RESTART_EVERY, self.crash_tick, pod)
        else:
            self.stats["started"] += 1
        if VERBOSE:
            log(f"started {pod.ns}/{pod.name} on {pod.node}")

    def crash_tick(self, pod):
        """One more CrashLoopBackOff restart, every CRASH_RESTART_EVERY seconds until the pod goes."""
        with self.lock:
            if self.pods.get(pod.uid) is not pod or "delete" in pod.busy:
                pod.busy.discard("crash")
                return
        pod.restarts += 1
        try:
            status, _ = self.patch_status(pod)
        except Transient:
            status = None
        if status in (404, 409, 422):
            pod.busy.discard("crash")
            return
        self.sched.later(CRASH_RESTART_EVERY, self.crash_tick, pod)

    def delete(self, pod):
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                "preconditions": {"uid": pod.uid}}
        try:
            status, resp = self.api.call("DELETE", pod.path, body)
        except Transient as e:
            return self.retry(pod, "delete", self.delete, err=e)
        if status in (200, 202):
            self.stats["deleted"] += 1
        elif status not in (404, 409):
            log(f"delete {pod.ns}/{pod.name}: HTTP {status} {resp}")
            pod.busy.discard("delete")

    # ---- the watch

    def list_pods(self):
        """Full LIST (paged). Returns (pods, resourceVersion)."""
        items, cont = [], ""
        while True:
            q = {"limit": "500"}
            if cont:
                q["continue"] = cont
            status, body = self.api.call("GET", "/api/v1/pods?" + urllib.parse.urlencode(q))
            if status == 410:  # continue token expired: start over
                items, cont = [], ""
                continue
            if status != 200:
                raise Transient(f"list pods: HTTP {status}")
            items.extend(body.get("items") or [])
            cont = body["metadata"].get("continue")
            if not cont:
                return items, body["metadata"]["resourceVersion"]

    def relist(self):
        items, rv = self.list_pods()
        seen = set()
        for obj in items:
            seen.add(obj["metadata"]["uid"])
            self.observe(obj)
        with self.lock:
            for uid in [u for u in self.pods if u not in seen]:
                del self.pods[uid]
        log(f"listed {len(items)} pods at resourceVersion {rv}")
        return rv

    def watch(self, rv):
        """Follows the pod watch from rv until it ends. Returns the last resourceVersion seen,
        or None when the server says it is too old (410 Gone) and a relist is needed."""
        q = urllib.parse.urlencode({"watch": "1", "resourceVersion": rv, "allowWatchBookmarks": "true",
                                    "timeoutSeconds": str(WATCH_TIMEOUT)})
        conn = self.api.connect(timeout=WATCH_TIMEOUT + 60)
        try:
            conn.request("GET", self.api.prefix + "/api/v1/pods?" + q, headers=self.api.headers())
            resp = conn.getresponse()
            if resp.status == 410:
                return None
            if resp.status != 200:
                raise Transient(f"watch pods: HTTP {resp.status} {resp.read()[:200]!r}")
            while True:
                line = resp.readline()
                if not line:
                    return rv  # server closed the watch (timeout): resume from rv
                ev = json.loads(line)
                typ, obj = ev.get("type"), ev.get("object") or {}
                if typ == "ERROR":
                    if obj.get("code") == 410:
                        return None
                    raise Transient(f"watch error: {obj.get('message')}")
                rv = obj.get("metadata", {}).get("resourceVersion", rv)
                if typ == "DELETED":
                    self.forget(obj["metadata"]["uid"])
                elif typ in ("ADDED", "MODIFIED"):
                    self.observe(obj)
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise Transient(f"watch pods: {e!r}") from None
        finally:
            conn.close()

    def run_watch(self):
        rv, backoff = None, 0.5
        while True:
            try:
                if rv is None:
                    rv = self.relist()
                new_rv = self.watch(rv)
                if new_rv is None:
                    log("watch: resourceVersion too old (410 Gone); relisting")
                rv, backoff = new_rv, 0.5
            except Transient as e:
                log(f"{e}; retrying in {backoff:.1f}s")
                time.sleep(backoff)  # only the watch thread waits here, never a worker
                backoff = min(backoff * 2, MAX_BACKOFF)

    def report(self):
        with self.lock:
            n = len(self.pods)
        log(f"pods tracked={n} " + " ".join(f"{k}={v}" for k, v in self.stats.items()))
        self.sched.later(60.0, self.report)

    def run(self):
        for name in self.nodes:
            self.sched.submit(self.heartbeat, name)
        self.sched.later(60.0, self.report)
        threading.Thread(target=self.run_watch, name="watch", daemon=True).start()


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--context", help="context to use (default: current-context)")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--workers", type=int, default=8, help="HTTP worker threads")
    ap.add_argument("--verbose", action="store_true", help="log every pod action")
    args = ap.parse_args()
    VERBOSE = args.verbose

    server, token = load_kubeconfig(args.kubeconfig, args.context)
    log(f"server {server}, {args.nodes} nodes, {args.workers} workers")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    FakeKubelet(Api(server, token), args.nodes, args.workers).run()
    while not stop.wait(1.0):  # a timed wait so signals are handled promptly
        pass
    log("stopping")


if __name__ == "__main__":
    main()
