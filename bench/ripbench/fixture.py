"""The scale fixture: namespaces full of realistic releases, created through the API.

A fixture spec (bench/fixtures/*.json) names a namespace count and a list of release kinds,
each with how many per namespace and its parameters:

    {"name": "full", "namespaces": 20, "namespace_prefix": "rc-scale-",
     "kinds": [{"kind": "deployment", "per_namespace": 40, "replicas": 10},
               {"kind": "canary-pair", "per_namespace": 5, "stable_replicas": 18,
                "canary_replicas": 2}]}

Every object is created with server-side apply (field manager `ripcord-bench`), so it carries
managedFields as it would after `kubectl apply --server-side`; the Deployments' pods are
created by the real deployment and ReplicaSet controllers and made Ready by the testbed's
fake kubelet, so they carry the controllers' and the kubelet's managedFields too.

Adding a kind (an Argo Rollout, a Flagger Canary, a feature flag...) means adding a generator
to GENERATORS: a function (namespace, index, params, rng) -> list of Obj, and an entry in a
spec. A generator for a kind no controller runs for on the testbed also writes the status a
controller would (see Obj.status).

Besides the spec's namespaces there is always a marker namespace with one Deployment
(`bench-marker`, MARKER_REPLICAS pods): the object the latency measurement patches.
"""

import hashlib
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .kube import Api, ApiError, ApiPool

FIXTURE_LABEL = "bench.ripcord.dev/fixture"
SPEC_ANNOTATION = "bench.ripcord.dev/spec-sha"
MARKER_NS = "rc-bench-marker"
MARKER_NAME = "bench-marker"
MARKER_REPLICAS = 10

# Names that look like services in a real company; combined with an index so they are unique.
WORDS = ["checkout", "payments", "cart", "search", "catalog", "ledger", "gateway", "auth",
         "profile", "orders", "shipping", "inventory", "pricing", "reviews", "notify", "media",
         "billing", "session", "ranking", "quotes", "invoice", "refunds", "fraud", "loyalty"]
TEAMS = ["core", "growth", "platform", "commerce", "risk", "data"]
TIERS = ["frontend", "backend", "worker"]


@dataclass
class Obj:
    """One object to create. `path` is the collection path; `status` (optional) is written
    through the /status subresource after creation, for kinds without a controller."""
    path: str
    body: dict
    status: dict = None
    counts: dict = field(default_factory=dict)  # what it adds: deployments, pods, releases

    @property
    def name(self):
        return self.body["metadata"]["name"]


def _labels(app, team, tier, version, track):
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": f"{app}-{track}",
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/part-of": team,
        "app.kubernetes.io/managed-by": "ripcord-bench",
        "team": team,
        "tier": tier,
        "track": track,
    }


def pod_template(app, team, tier, version, track, rng, sidecar):
    """A pod template of the size real services have: env, probes, resources, volumes."""
    env = [
        {"name": "APP_NAME", "value": app},
        {"name": "APP_VERSION", "value": version},
        {"name": "LOG_LEVEL", "value": rng.choice(["info", "warn", "debug"])},
        {"name": "HTTP_PORT", "value": "8080"},
        {"name": "METRICS_PORT", "value": "9090"},
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"},
        {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "url"}}},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
    ]
    containers = [{
        "name": "app",
        "image": f"registry.example.com/{team}/{app}:{version}",
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config=/etc/app/config.yaml", "--listen=:8080"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
        "env": env,
        "resources": {"requests": {"cpu": f"{rng.choice([50, 100, 250])}m", "memory": f"{rng.choice([64, 128, 256])}Mi"},
                      "limits": {"cpu": "1", "memory": "512Mi"}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5,
                           "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10,
                          "initialDelaySeconds": 10},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
    }]
    if sidecar:
        containers.append({
            "name": "proxy",
            "image": "registry.example.com/platform/proxy:1.28.1",
            "args": ["--service-node", app, "--upstream", "127.0.0.1:8080"],
            "ports": [{"name": "proxy", "containerPort": 15001}],
            "resources": {"requests": {"cpu": "20m", "memory": "48Mi"},
                          "limits": {"cpu": "500m", "memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 15021}, "periodSeconds": 5},
        })
    return {
        "metadata": {
            "labels": _labels(app, team, tier, version, track),
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090",
                            "kubectl.kubernetes.io/default-container": "app"},
        },
        "spec": {
            "containers": containers,
            "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            "terminationGracePeriodSeconds": 30,
            "securityContext": {"fsGroup": 10001},
            "tolerations": [{"key": "workload", "operator": "Equal", "value": tier, "effect": "NoSchedule"}],
        },
    }


def deployment(ns, name, app, replicas, rng, track="stable", version="1.4.2", extra_labels=None):
    team, tier = rng.choice(TEAMS), rng.choice(TIERS)
    labels = _labels(app, team, tier, version, track)
    labels.update(extra_labels or {})
    selector = {"app.kubernetes.io/name": app, "track": track}
    return Obj(
        path=f"/apis/apps/v1/namespaces/{ns}/deployments",
        body={
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": labels,
                         "annotations": {"kubernetes.io/change-cause": f"deploy {app} {version}",
                                         "team.example.com/owner": f"{team}@example.com"}},
            "spec": {
                "replicas": replicas,
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": selector},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": pod_template(app, team, tier, version, track, rng,
                                         sidecar=rng.random() < 0.35),
            },
        },
        counts={"deployments": 1, "pods": replicas},
    )


def gen_deployment(ns, i, params, rng):
    app = f"{WORDS[i % len(WORDS)]}-{i:02d}"
    d = deployment(ns, app, app, int(params.get("replicas", 10)), rng)
    d.counts["releases"] = 1
    return [d]


def gen_canary_pair(ns, i, params, rng):
    """A stable Deployment and a canary beside it labelled ripcord.dev/canary-of: <stable>."""
    app = f"{WORDS[(i + 7) % len(WORDS)]}-pair-{i:02d}"
    stable = deployment(ns, app, app, int(params.get("stable_replicas", 9)), rng, "stable", "1.4.2")
    canary = deployment(ns, f"{app}-canary", app, int(params.get("canary_replicas", 1)), rng,
                        "canary", "1.5.0", {"ripcord.dev/canary-of": app})
    stable.counts["releases"] = 1
    return [stable, canary]


GENERATORS = {
    "deployment": gen_deployment,
    "canary-pair": gen_canary_pair,
    # Later: "argo-rollout", "flagger-canary", "feature-flag" (write status, no controller).
}


def spec_sha(spec):
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def namespaces(spec):
    return [f"{spec.get('namespace_prefix', 'rc-scale-')}{n:02d}" for n in range(int(spec["namespaces"]))]


def plan(spec):
    """Every object of the fixture, deterministic for a spec (seeded)."""
    rng = random.Random(spec.get("seed", 1))
    objs = []
    for ns in namespaces(spec):
        for k in spec["kinds"]:
            gen = GENERATORS[k["kind"]]
            for i in range(int(k["per_namespace"])):
                objs.extend(gen(ns, i, k, rng))
    return objs


def marker_objects():
    rng = random.Random(7)
    d = deployment(MARKER_NS, MARKER_NAME, MARKER_NAME, MARKER_REPLICAS, rng)
    d.counts["releases"] = 1
    return [d]


def expected(spec):
    tot = {"deployments": 0, "pods": 0, "releases": 0, "namespaces": int(spec["namespaces"])}
    for o in plan(spec):
        for k, v in o.counts.items():
            tot[k] += v
    return tot


def log(msg):
    print(f"[fixture {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _ns_obj(name, fixture, sha):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {FIXTURE_LABEL: fixture, "team": "bench"},
                         "annotations": {SPEC_ANNOTATION: sha}}}


def _wait_service_accounts(api, nss, timeout=120):
    deadline = time.time() + timeout
    for ns in nss:
        while True:
            try:
                api.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default")
                break
            except ApiError as e:
                if e.status != 404 or time.time() > deadline:
                    raise
                time.sleep(0.5)


def remove_other_fixtures(api, keep):
    """Deletes bench namespaces not in `keep` (for instance the full fixture before a quick
    run), and waits until they are gone so their pods do not skew the measurements."""
    lst = api.get(f"/api/v1/namespaces?labelSelector={FIXTURE_LABEL}")
    stale = [n["metadata"]["name"] for n in lst["items"] if n["metadata"]["name"] not in keep]
    if not stale:
        return
    log(f"deleting {len(stale)} namespaces of another fixture: {', '.join(stale[:5])}...")
    for ns in stale:
        try:
            api.request("DELETE", f"/api/v1/namespaces/{ns}", ok=(200, 202, 404))
        except ApiError:
            pass
    deadline = time.time() + 900
    while time.time() < deadline:
        lst = api.get(f"/api/v1/namespaces?labelSelector={FIXTURE_LABEL}")
        left = [n["metadata"]["name"] for n in lst["items"] if n["metadata"]["name"] in stale]
        if not left:
            return
        time.sleep(3)
    raise SystemExit(f"namespaces still terminating after 15 min: {left}")


def fixture_state(api, spec):
    """(deployments, desired pods, ready pods) the cluster has now in the fixture namespaces."""
    ds = api.list_all(f"/apis/apps/v1/deployments?labelSelector=app.kubernetes.io/managed-by%3Dripcord-bench")
    nss = set(namespaces(spec)) | {MARKER_NS}
    ds = [d for d in ds if d["metadata"]["namespace"] in nss]
    desired = sum(d["spec"].get("replicas", 1) for d in ds)
    ready = sum((d.get("status") or {}).get("readyReplicas", 0) or 0 for d in ds)
    updated = all((d.get("status") or {}).get("observedGeneration", 0) >= d["metadata"]["generation"] for d in ds)
    return len(ds), desired, ready, updated


def ensure(api, spec, workers=4, timeout=1200):
    """Creates (or updates) the fixture and waits until every pod is Ready."""
    t0 = time.time()
    sha = spec_sha(spec)
    nss = namespaces(spec)
    remove_other_fixtures(api, set(nss) | {MARKER_NS})
    want = expected(spec)
    want_d = want["deployments"] + 1
    want_p = want["pods"] + MARKER_REPLICAS
    have = fixture_state(api, spec)
    existing = {}
    for ns in nss + [MARKER_NS]:
        try:
            existing[ns] = api.get(f"/api/v1/namespaces/{ns}")
        except ApiError as e:
            if e.status != 404:
                raise
    up_to_date = all(((existing.get(ns) or {}).get("metadata", {}).get("annotations") or {}).get(SPEC_ANNOTATION) == sha
                     for ns in nss)
    if up_to_date and have[0] == want_d and have[1] == want_p and have[2] == want_p:
        log(f"fixture '{spec['name']}' already in place: {have[0]} deployments, {have[2]} ready pods")
        _reset_marker(api)
        ev = refresh_events(api, spec)
        return {"created": False, "seconds": round(time.time() - t0, 1), "events": ev, **want}

    log(f"applying fixture '{spec['name']}': {len(nss)} namespaces, {want['deployments']} deployments, "
        f"{want['pods']} pods (+ marker namespace)")
    for ns in nss + [MARKER_NS]:
        api.apply(f"/api/v1/namespaces/{ns}", _ns_obj(ns, spec["name"], sha))
    _wait_service_accounts(api, nss + [MARKER_NS])
    objs = plan(spec) + marker_objects()
    pool = ApiPool(api)

    def put(o):
        pool.get().apply(f"{o.path}/{o.name}", o.body)
        if o.status:
            pool.get().merge_patch(f"{o.path}/{o.name}/status", {"status": o.status})

    with ThreadPoolExecutor(workers) as ex:
        for n, _ in enumerate(ex.map(put, objs), 1):
            if n % 200 == 0:
                log(f"applied {n}/{len(objs)}")
    _reset_marker(api)
    log(f"applied {len(objs)} objects in {time.time() - t0:.0f} s; waiting for {want_p} pods to be Ready")
    deadline = time.time() + timeout
    last = None
    while True:
        have = fixture_state(api, spec)
        if have != last:
            log(f"deployments {have[0]}/{want_d}, ready pods {have[2]}/{want_p}")
            last = have
        if have[0] == want_d and have[2] == want_p and have[1] == want_p and have[3]:
            break
        if time.time() > deadline:
            raise SystemExit(f"fixture not ready after {timeout} s: {have}")
        time.sleep(5)
    ev = refresh_events(api, spec)
    secs = time.time() - t0
    log(f"fixture ready in {secs:.0f} s ({ev} events written)")
    return {"created": True, "seconds": round(secs, 1), "events": ev, **want}


EVENT_LABEL = "bench.ripcord.dev/fixture-event"
EVENT_KINDS = [  # (type, reason, message template, involved kind)
    ("Normal", "Scheduled", "Successfully assigned {ns}/{name} to fake-node-1", "Pod"),
    ("Normal", "Pulled", "Container image \"registry.example.com/app:1.4.2\" already present on machine", "Pod"),
    ("Normal", "Created", "Created container app", "Pod"),
    ("Normal", "Started", "Started container app", "Pod"),
    ("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", "Pod"),
    ("Normal", "ScalingReplicaSet", "Scaled up replica set {name}-7d9f8b6c5d to 10", "Deployment"),
    ("Warning", "BackOff", "Back-off restarting failed container app in pod {name}", "Pod"),
]


def refresh_events(api, spec, workers=4):
    """Replaces the fixture's Events with `events_per_namespace` fresh ones per namespace.
    Events expire an hour after they are written, so without this their number (and what
    the tools list and hold) would depend on how old the fixture is."""
    per_ns = int(spec.get("events_per_namespace", 0))
    nss = namespaces(spec)
    for ns in nss:
        api.request("DELETE", f"/api/v1/namespaces/{ns}/events?labelSelector={EVENT_LABEL}",
                    ok=(200, 202, 404))
    if not per_ns:
        return 0
    rng = random.Random(int(time.time()))
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    nonce = "%08x" % rng.getrandbits(32)
    pods = {ns: [p["metadata"]["name"] for p in api.list_all(f"/api/v1/namespaces/{ns}/pods")] for ns in nss}
    objs = []
    for ns in nss:
        for i in range(per_ns):
            typ, reason, msg, kind = EVENT_KINDS[i % len(EVENT_KINDS)]
            name = rng.choice(pods[ns]) if kind == "Pod" and pods[ns] else f"{WORDS[i % len(WORDS)]}-{i % 40:02d}"
            objs.append((ns, {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": f"{name}.{nonce}{i:04x}", "namespace": ns, "labels": {EVENT_LABEL: "1"}},
                "involvedObject": {"kind": kind, "namespace": ns, "name": name,
                                   "apiVersion": "v1" if kind == "Pod" else "apps/v1"},
                "type": typ, "reason": reason, "message": msg.format(ns=ns, name=name),
                "source": {"component": "kubelet" if kind == "Pod" else "deployment-controller"},
                "firstTimestamp": now, "lastTimestamp": now, "count": 1 + i % 3,
            }))
    pool = ApiPool(api)
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(lambda o: pool.get().request("POST", f"/api/v1/namespaces/{o[0]}/events", o[1]), objs))
    return len(objs)


def _reset_marker(api):
    """The marker Deployment starts unpaused."""
    api.merge_patch(f"/apis/apps/v1/namespaces/{MARKER_NS}/deployments/{MARKER_NAME}",
                    {"spec": {"paused": False}})


def marker_pods(api):
    pods = api.get(f"/api/v1/namespaces/{MARKER_NS}/pods")["items"]
    return sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp"))


def churn_targets(api, spec):
    """(namespace, name) of every fixture pod: what the churn generator patches."""
    out = []
    for ns in namespaces(spec):
        for p in api.list_all(f"/api/v1/namespaces/{ns}/pods"):
            out.append((ns, p["metadata"]["name"]))
    return out


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description="create the bench fixture on the bench testbed")
    ap.add_argument("spec")
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--context")
    ap.add_argument("--dry-run", action="store_true", help="print the counts and one sample object")
    a = ap.parse_args(argv)
    spec = json.load(open(a.spec))
    if a.dry_run:
        objs = plan(spec)
        print(json.dumps({"expected": expected(spec), "sample": objs[0].body}, indent=1))
        return
    api = Api.from_kubeconfig(a.kubeconfig, a.context)
    print(json.dumps(ensure(api, spec)))


if __name__ == "__main__":
    main()
