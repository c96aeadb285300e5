"""A tiny Kubernetes API client for the benchmark: keep-alive HTTPS to a loopback apiserver.

Credentials come from the bench testbed's kubeconfig, read through
`kubectl config view --raw -o json` (so no YAML parser is needed). Only token users are
supported, which is what scripts/testbed writes. TLS verification is off: the testbed's
apiserver has a self-signed certificate and is only ever reached on 127.0.0.1.
"""

import http.client
import json
import re
import ssl
import subprocess
import threading
import time
import urllib.parse


class ApiError(Exception):
    def __init__(self, status, body, method, path):
        super().__init__(f"{method} {path}: HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


def load_credentials(kubeconfig, context=None):
    """Returns (server, token) for the context (default: current-context)."""
    cmd = ["kubectl", "config", "view", "--raw", "-o", "json", "--kubeconfig", kubeconfig]
    cfg = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    ctx_name = context or cfg.get("current-context")
    ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
    cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
    server = cluster["server"]
    host = urllib.parse.urlsplit(server).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to benchmark against a non-loopback apiserver: {server}")
    if "token" not in user:
        raise SystemExit("the bench client supports token users only")
    return server, user["token"]


class Api:
    """One keep-alive connection; not thread-safe (give each thread its own Api)."""

    def __init__(self, server, token, timeout=30.0):
        u = urllib.parse.urlsplit(server)
        self.host, self.port = u.hostname, u.port or 443
        self.token = token
        self.timeout = timeout
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.conn = None

    @classmethod
    def from_kubeconfig(cls, kubeconfig, context=None, timeout=30.0):
        return cls(*load_credentials(kubeconfig, context), timeout=timeout)

    def clone(self):
        return Api(f"https://{self.host}:{self.port}", self.token, self.timeout)

    def _connect(self):
        self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                timeout=self.timeout)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        """Sends one request, reconnecting once if the kept-alive connection went stale."""
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    raise
        if resp.status not in ok:
            raise ApiError(resp.status, raw.decode(errors="replace"), method, path)
        return json.loads(raw) if raw else None

    def get(self, path, ok=(200,)):
        return self.request("GET", path, ok=ok)

    def merge_patch(self, path, body):
        return self.request("PATCH", path, body, "application/merge-patch+json")

    def apply(self, path, obj, manager="ripcord-bench"):
        """Server-side apply (gives the object managedFields like `kubectl apply --server-side`)."""
        sep = "&" if "?" in path else "?"
        return self.request("PATCH", f"{path}{sep}fieldManager={manager}&force=true", obj,
                            "application/apply-patch+yaml")

    def list_all(self, path, limit=500):
        """Pages through a LIST; returns the items."""
        items, cont = [], None
        while True:
            q = {"limit": str(limit)}
            if cont:
                q["continue"] = cont
            sep = "&" if "?" in path else "?"
            page = self.get(f"{path}{sep}{urllib.parse.urlencode(q)}")
            items.extend(page.get("items") or [])
            cont = (page.get("metadata") or {}).get("continue")
            if not cont:
                return items


    def time_raw_list(self, path, limit=500):
        """Seconds and bytes for a paged LIST read off the wire and not parsed (only the
        continue token is picked out): what the apiserver alone needs to serve it."""
        total, cont = 0, None
        t0 = time.monotonic()
        while True:
            q = {"limit": str(limit)}
            if cont:
                q["continue"] = cont
            sep = "&" if "?" in path else "?"
            if self.conn is None:
                self._connect()
            self.conn.request("GET", f"{path}{sep}{urllib.parse.urlencode(q)}",
                              headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
            resp = self.conn.getresponse()
            raw = resp.read()
            if resp.status != 200:
                raise ApiError(resp.status, raw.decode(errors="replace"), "GET", path)
            total += len(raw)
            m = re.search(rb'"continue":"([^"]*)"', raw[:2048])
            cont = m.group(1).decode() if m else None
            if not cont:
                return time.monotonic() - t0, total


class ApiPool:
    """Per-thread Api connections cloned from one."""

    def __init__(self, api):
        self.base = api
        self.local = threading.local()

    def get(self):
        api = getattr(self.local, "api", None)
        if api is None:
            api = self.local.api = self.base.clone()
        return api
