"""The benchmark suite: every tool through the same phases on the same fixture, one tool at a
time (they would steal each other's CPU on a 2-core machine), results to a JSON file.

Phases per tool (see README.md for what each measures and how):
  A. 200x50: launch -> first frame -> full; idle window; churn windows at 20 and 200 events/s;
     markers idle, under 20 ev/s and under 200 ev/s churn; relist after an apiserver restart.
  B. 80x24: launch -> full; idle window; churn windows at 20 and 200 events/s.
  C. 200x50 behind a 960 B/s (9600 bps) reader: launch -> full; markers under 20 ev/s churn;
     then one last change and how long until the screen shows it and the pty is drained.
"""

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

from . import analyze, fixture
from .kube import Api, ApiError
from .term import Session, proc_cpu_seconds
from .tools import ALL, pod_marker_pred

MIB = 1024.0

PROFILES = {
    "quick": dict(spec="quick.json", settle=3, window=10, small_window=6, markers_idle=20,
                  markers=100, relist=True, relist_observe=15, throttle_window=20,
                  full_timeout=60, throttle_full_timeout=120, marker_phase_max_s=300),
    "full": dict(spec="full.json", settle=15, window=60, small_window=30, markers_idle=50,
                 markers=500, relist=True, relist_observe=45, throttle_window=60,
                 full_timeout=300, throttle_full_timeout=600, marker_phase_max_s=900),
}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def mib(kib):
    return None if kib is None else round(kib / MIB, 1)


class Ctx:
    pass


CTX = None  # the run's context, for helpers called without one


# ---------------------------------------------------------------------- churn


class Churn:
    """The churn generator as a child process, bounded by rate x duration."""

    def __init__(self, ctx, rate, duration):
        self.rate = rate
        cmd = [sys.executable, "-m", "ripbench.churn", "--kubeconfig", ctx.kubeconfig,
               "--context", ctx.context, "--spec", ctx.spec_path, "--rate", str(rate),
               "--duration", str(duration)]
        self.proc = subprocess.Popen(cmd, cwd=ctx.bench_dir, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "ready" not in line:
            err = line + self.proc.stderr.read()
            raise RuntimeError(f"churn generator failed to start: {err.strip()[:500]}")
        self.t0 = time.monotonic()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=60)
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"error": (err or out)[-500:]}


# ---------------------------------------------------------------------- measurements


def machine_cpu():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


def machine_busy(m0, m1):
    """Whole-machine CPU use between two machine_cpu() readings, in cores."""
    busy, total = m1[0] - m0[0], m1[1] - m0[1]
    return round(busy / total * os.cpu_count(), 2) if total else None


def apiserver_cpu(ctx):
    """CPU seconds the bench testbed's kube-apiserver has used (its pid changes on restart)."""
    if getattr(ctx, "testbed_dir", None) is None:
        return None, None
    try:
        with open(os.path.join(ctx.testbed_dir, "pids", "kube-apiserver.pid")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None, None
    return pid, proc_cpu_seconds(pid)


def window(sess, seconds, churn=None, raw=False, ctx=None):
    """CPU, bytes to the terminal and RSS over `seconds` of wall time."""
    ctx = ctx or CTX
    a0 = apiserver_cpu(ctx)
    t0, c0, m0 = time.monotonic(), sess.cpu_seconds(), machine_cpu()
    time.sleep(seconds)
    t1, c1, m1 = time.monotonic(), sess.cpu_seconds(), machine_cpu()
    a1 = apiserver_cpu(ctx)
    out = {"seconds": round(t1 - t0, 2), "machine_busy_cores": machine_busy(m0, m1),
           "loadavg_1m": round(os.getloadavg()[0], 2)}
    if a0[1] is not None and a1[1] is not None and a0[0] == a1[0]:
        out["apiserver_cpu_pct"] = round((a1[1] - a0[1]) / (t1 - t0) * 100, 1)
    if c0 is None or c1 is None:
        out["error"] = "process exited"
        return out
    samples = sess.samples_between(t0, t1)
    rss = [s[1] for s in samples if s[1] is not None]
    nbytes = sess.bytes_between(t0, t1)
    out.update(
        cpu_pct=round((c1 - c0) / (t1 - t0) * 100, 2),
        cpu_s_per_min=round((c1 - c0) / (t1 - t0) * 60, 3),
        bytes=nbytes,
        bytes_per_s=round(nbytes / (t1 - t0), 1),
        noop_bytes_per_s=round(sess.noop_bytes_between(t0, t1) / (t1 - t0), 1),
        reads=len(sess.reads_between(t0, t1)),
        rss_mib_median=mib(statistics.median(rss)) if rss else None,
        rss_mib_max=mib(max(rss)) if rss else None,
        hwm_mib=mib(samples[-1][2]) if samples else None,
    )
    if raw:
        out["output"] = analyze.summarize(sess.raw_between(t0, t1), t1 - t0)
    if churn is not None:
        out["churn"] = churn.stop()
    return out


def churn_window(ctx, sess, rate, seconds, raw=False):
    churn = Churn(ctx, rate, seconds + 30)
    return window(sess, seconds, churn, raw)


def latency_stats(records, timeout_ms):
    lat = sorted(r["latency_ms"] for r in records if r["latency_ms"] is not None)
    missed = sum(1 for r in records if r["latency_ms"] is None)
    with_missed = lat + [float("inf")] * missed
    api = sorted(r["api_ms"] for r in records)

    def f(x):
        return None if x is None else (round(x, 1) if x != float("inf") else None)
    return {
        "n": len(records),
        "seen": len(lat),
        "missed": missed,
        "timeout_ms": timeout_ms,
        "p50_ms": f(pct(with_missed, 50)),
        "p90_ms": f(pct(with_missed, 90)),
        "p99_ms": f(pct(with_missed, 99)),
        "max_ms": f(with_missed[-1]) if with_missed else None,
        "mean_ms": round(statistics.mean(lat), 1) if lat else None,
        "min_ms": round(lat[0], 1) if lat else None,
        "api_p50_ms": round(pct(api, 50), 1) if api else None,
    }


class Probe:
    """A bare watch on the marker namespace, beside the tool under test: when each marker's
    watch event reaches a client that does nothing with it. Splits a marker's latency into
    the apiserver's part (patch -> event delivered) and the tool's part (event -> screen)."""

    def __init__(self, ctx, kind):
        self.kind = kind
        self.events = []  # (t, value): value is spec.paused or status.reason
        self.api = ctx.api.clone()
        self.api.timeout = 600
        path = (f"/apis/apps/v1/namespaces/{fixture.MARKER_NS}/deployments" if kind == "deployment"
                else f"/api/v1/namespaces/{fixture.MARKER_NS}/pods")
        rv = self.api.get(path)["metadata"]["resourceVersion"]
        self.api._connect()
        conn = self.api.conn
        conn.request("GET", f"{path}?watch=1&resourceVersion={rv}&allowWatchBookmarks=false",
                     headers={"Authorization": f"Bearer {self.api.token}"})
        self.resp = conn.getresponse()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    return
                t = time.monotonic()
                ev = json.loads(line)
                obj = ev.get("object") or {}
                if self.kind == "deployment":
                    if obj.get("metadata", {}).get("name") == fixture.MARKER_NAME:
                        self.events.append((t, bool((obj.get("spec") or {}).get("paused"))))
                else:
                    self.events.append((t, (obj.get("status") or {}).get("reason")))
        except (OSError, ValueError, AttributeError):
            return

    def when(self, t0, value):
        for t, v in self.events:
            if t >= t0 and v == value:
                return t
        return None

    def close(self):
        try:
            self.api.conn.sock.shutdown(2)
        except (OSError, AttributeError):
            pass
        self.api.close()


def run_markers(ctx, sess, tool, count, gap, byte_window=None, timeout=None, max_seconds=None):
    """Patches markers and times each until it shows on the screen. `in_flight` marker
    objects are patched concurrently, each again only after its last change was seen (or
    timed out). Returns (stats, records)."""
    lock = threading.Lock()
    state = {"next": 0, "stop": False}
    records = []
    timeout = timeout or tool.marker_timeout
    if tool.marker == "deployment-paused":
        targets = [("deployment", fixture.MARKER_NAME)]
    else:
        pods = fixture.marker_pods(ctx.api)
        targets = [("pod", p) for p in pods[: tool.in_flight]]
    paused = {"v": ctx.marker_paused}

    def worker(kind, name):
        api = ctx.api.clone()
        rng = random.Random(hash(name))
        if len(targets) > 1 and isinstance(gap, tuple):
            time.sleep(rng.uniform(*gap))  # spread the first patches over a poll cycle
        while True:
            with lock:
                if state["stop"] or state["next"] >= count:
                    return
                if max_seconds and time.monotonic() - t_start > max_seconds:
                    state["time_bound_hit"] = True
                    return
                seq = state["next"]
                state["next"] += 1
                ctx.marker_seq += 1
                mseq = ctx.marker_seq
            if kind == "deployment":
                want = not paused["v"]
                pred = tool.marker_pred(want)
                path = f"/apis/apps/v1/namespaces/{fixture.MARKER_NS}/deployments/{name}"
                body = {"spec": {"paused": want}}
            else:
                value = f"M{mseq:07d}"
                pred = pod_marker_pred(value)
                path = f"/api/v1/namespaces/{fixture.MARKER_NS}/pods/{name}/status"
                body = {"status": {"reason": value}}
            w = sess.add_waiter(pred)
            t0 = time.monotonic()
            try:
                api.merge_patch(path, body)
            except (ApiError, OSError) as e:
                sess.cancel_waiter(w)
                with lock:
                    state["stop"] = True
                    state["error"] = str(e)[:300]
                return
            t_resp = time.monotonic()
            if kind == "deployment":
                paused["v"] = want
                ctx.marker_paused = want
            seen = w.event.wait(timeout)
            if not seen:
                sess.cancel_waiter(w)
            rec = {"seq": seq, "t0": t0, "api_ms": (t_resp - t0) * 1000,
                   "t_seen": w.t if seen else None,
                   "latency_ms": (w.t - t0) * 1000 if seen else None,
                   "value": want if kind == "deployment" else value}
            with lock:
                records.append(rec)
            if not seen and kind == "deployment":
                # Re-synchronise before toggling again, or the next toggle would "see" the
                # screen that never caught up.
                if sess.wait_for(pred, 30) is None:
                    with lock:
                        state["stop"] = True
                        state["error"] = "marker never shown; stopped"
                    return
            time.sleep(rng.uniform(*gap) if isinstance(gap, tuple) else gap * rng.uniform(0.5, 1.5))

    probe = None
    try:
        probe = Probe(ctx, targets[0][0])
    except Exception as e:  # the probe only adds a breakdown; never fail the phase for it
        log(f"probe watch not started: {e}")
    threads = [threading.Thread(target=worker, args=t, daemon=True) for t in targets]
    t_start = time.monotonic()
    c0, m0 = sess.cpu_seconds(), machine_cpu()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_end = time.monotonic()
    c1 = sess.cpu_seconds()
    records.sort(key=lambda r: r["t0"])
    stats = latency_stats(records, timeout * 1000)
    if probe is not None:
        time.sleep(0.2)
        probe.close()
        watch, tool_part = [], []
        for r in records:
            te = probe.when(r["t0"], r["value"])
            if te is not None:
                watch.append((te - r["t0"]) * 1000)
                if r["t_seen"] is not None:
                    tool_part.append((r["t_seen"] - te) * 1000)
        watch.sort()
        tool_part.sort()
        stats["breakdown"] = {
            "n": len(watch),
            "patch_to_watch_event_p50_ms": round(pct(watch, 50), 1) if watch else None,
            "patch_to_watch_event_p99_ms": round(pct(watch, 99), 1) if watch else None,
            "watch_event_to_screen_p50_ms": round(pct(tool_part, 50), 1) if tool_part else None,
            "watch_event_to_screen_p99_ms": round(pct(tool_part, 99), 1) if tool_part else None,
        }
    stats["seconds"] = round(t_end - t_start, 1)
    stats["in_flight"] = len(targets)
    stats["marker"] = tool.marker
    stats["machine_busy_cores"] = machine_busy(m0, machine_cpu())
    if c0 is not None and c1 is not None:
        stats["cpu_pct"] = round((c1 - c0) / (t_end - t_start) * 100, 2)
    if "error" in state:
        stats["error"] = state["error"]
    if state.get("time_bound_hit"):
        stats["stopped_after_s"] = max_seconds
    if byte_window:
        # Bytes from the patch to the read that showed it (the frame carrying the change),
        # and everything in the next `byte_window` seconds (the change and its aftermath).
        frame = [sess.bytes_between(r["t0"], r["t_seen"] + 1e-6) for r in records if r["t_seen"]]
        after = [sess.bytes_between(r["t0"], r["t0"] + byte_window) for r in records]
        stats["frame_bytes_median"] = statistics.median(frame) if frame else None
        stats["frame_bytes_p90"] = pct(sorted(frame), 90) if frame else None
        stats[f"bytes_{byte_window}s_median"] = statistics.median(after) if after else None
        seen = [r for r in records if r["t_seen"]]
        if sess.raw is not None and seen:
            chunks = []
            for r in seen:
                chunks += sess.raw_between(r["t0"], r["t_seen"] + 1e-6)
            stats["frame_output"] = analyze.summarize(chunks)
            stats["frame_output"]["per_change_bytes"] = round(stats["frame_output"]["bytes"] / len(seen), 1)
    return stats, records


# ---------------------------------------------------------------------- sessions


def start(ctx, tool, cols, rows, throttle=None):
    sess = Session(tool.argv(ctx), cols, rows, env=tool.env(ctx), cwd=ctx.tmp,
                   throttle_bps=throttle, keep_raw=True)
    return sess


def prepare_markers(tool, sess, quiet=1.0, timeout=30):
    """Brings the marker on screen (ripcord: the filter) and waits until that is drawn
    and the terminal is quiet again."""
    t = time.monotonic()
    tool.prepare_markers(sess)
    ok = sess.wait_for(tool.markers_ready, timeout) is not None
    if not ok:
        log(f"{tool.name}: marker not on screen after {timeout} s")
    sess.wait_quiet(quiet, timeout, since=t)
    return ok


def launch(ctx, tool, sess, full_timeout):
    out = {}
    t_first = sess.wait_for(lambda s: s.first_frame_t is not None, 30)
    out["first_frame_ms"] = round((sess.first_frame_t - sess.t_spawn) * 1000, 1) if t_first else None
    rows = tool.rows_complete(ctx)
    w_rows = sess.add_waiter(rows) if rows else None
    t_full = sess.wait_for(tool.full(ctx), full_timeout)
    if w_rows is not None:
        sess.cancel_waiter(w_rows)
        out["rows_ms"] = round((w_rows.t - sess.t_spawn) * 1000, 1) if w_rows.t else None
    cpu = sess.cpu_seconds()
    out["full_ms"] = round((t_full - sess.t_spawn) * 1000, 1) if t_full else None
    # CPU the tool used from launch to (just after) full: close to full_ms means CPU-bound.
    out["cpu_ms_at_full"] = round(cpu * 1000) if cpu is not None and t_full else None
    out["bytes_to_full"] = sess.bytes_between(0, t_full + 1e-6) if t_full else None
    if sess.first_frame_t:
        out["bytes_first_read"] = sess.chunk_n[0]
    st = sess.status()
    out["hwm_after_full_mib"] = mib(st[1]) if st else None
    out["rss_after_full_mib"] = mib(st[0]) if st else None
    if t_full is None:
        out["error"] = f"not full within {full_timeout} s"
    out["screen"] = sess.text().splitlines()
    return out


def restart_apiserver(ctx):
    env = dict(os.environ, RIPCORD_TESTBED_DIR=ctx.testbed_dir)
    t0 = time.monotonic()
    subprocess.run([os.path.join(ctx.repo, "scripts", "testbed"), "restart-apiserver"], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return t0, time.monotonic()


def relist(ctx, tool, sess, observe):
    """Peak RSS while the tool relists after an apiserver restart (VmHWM reset first)."""
    out = {}
    before = sess.status()
    out["rss_before_mib"] = mib(before[0]) if before else None
    out["hwm_reset"] = sess.reset_peak()
    t_down, t_up = restart_apiserver(ctx)
    out["apiserver_restart_s"] = round(t_up - t_down, 1)
    if tool.name == "ripcord":
        t = sess.wait_for(lambda s: any("synced" in l for l in s.lines[:3]), 120)
        out["resynced_after_api_ready_ms"] = round((t - t_up) * 1000) if t else None
    time.sleep(observe)
    st = sess.status()
    out["alive"] = sess.alive()
    out["hwm_mib"] = mib(st[1]) if st else None
    out["rss_after_mib"] = mib(st[0]) if st else None
    out["screen_after"] = sess.text().splitlines()[:4]
    return out


def session_main(ctx, tool, P):
    r = {}
    sess = start(ctx, tool, 200, 50)
    try:
        log(f"{tool.name} 200x50: launch")
        r["launch"] = launch(ctx, tool, sess, P["full_timeout"])
        if r["launch"]["full_ms"] is None:
            return r
        ctx.bytes_to_full[tool.name] = r["launch"]["bytes_to_full"]
        time.sleep(P["settle"])
        log(f"{tool.name}: idle {P['window']} s")
        r["idle"] = window(sess, P["window"], raw=True)
        log(f"{tool.name}: churn 20/s {P['window']} s")
        r["churn20"] = churn_window(ctx, sess, 20, P["window"], raw=True)
        log(f"{tool.name}: churn 200/s {P['window']} s")
        r["churn200"] = churn_window(ctx, sess, 200, P["window"], raw=True)
        prepare_markers(tool, sess)
        lat = r["latency"] = {}
        log(f"{tool.name}: {P['markers_idle']} markers, idle")
        lat["idle"], _ = run_markers(ctx, sess, tool, P["markers_idle"], tool.idle_gap, byte_window=0.9)
        for rate in (20, 200):
            log(f"{tool.name}: {P['markers']} markers under {rate} ev/s churn")
            churn = Churn(ctx, rate, 1800)
            try:
                lat[f"churn{rate}"], _ = run_markers(ctx, sess, tool, P["markers"], tool.marker_gap,
                                                     max_seconds=P["marker_phase_max_s"])
            finally:
                lat[f"churn{rate}"]["churn"] = churn.stop()
        if P["relist"]:
            log(f"{tool.name}: relist after an apiserver restart")
            r["relist"] = relist(ctx, tool, sess, P["relist_observe"])
        st = sess.status()
        r["hwm_session_mib"] = mib(max((s[2] for s in sess.samples), default=0))
        r["alive_at_end"] = sess.alive()
    finally:
        sess.close()
    return r


def session_small(ctx, tool, P):
    r = {}
    sess = start(ctx, tool, 80, 24)
    try:
        log(f"{tool.name} 80x24: launch")
        r["launch"] = launch(ctx, tool, sess, P["full_timeout"])
        if r["launch"]["full_ms"] is None:
            return r
        time.sleep(P["settle"])
        r["idle"] = window(sess, P["small_window"], raw=True)
        r["churn20"] = churn_window(ctx, sess, 20, P["small_window"], raw=True)
        r["churn200"] = churn_window(ctx, sess, 200, P["small_window"], raw=True)
    finally:
        sess.close()
    return r


def session_throttled(ctx, tool, P, bps=960):
    """At 9600 bps (960 B/s taken from the pty): the markers' lag under 20 ev/s churn, the
    backlog, and how long after the last change the screen is current again."""
    r = {"bytes_per_s": bps}
    need = ctx.bytes_to_full.get(tool.name)
    if need and need / bps > P["throttle_full_timeout"]:
        # kubectl's first screen is the whole list, one line per pod: no point waiting.
        r["skipped"] = (f"its first full screen took {need} bytes at 200x50, {need / bps:.0f} s "
                        f"at {bps} B/s (limit {P['throttle_full_timeout']} s)")
        r["estimated_full_s"] = round(need / bps)
        return r
    sess = start(ctx, tool, 200, 50, throttle=bps)
    try:
        log(f"{tool.name} 200x50 @ {bps} B/s: launch")
        r["launch"] = launch(ctx, tool, sess, P["throttle_full_timeout"])
        if r["launch"]["full_ms"] is None:
            return r
        t = time.monotonic()
        r["drained_after_full"] = sess.wait_quiet(2.0, 60)
        r["drain_after_full_s"] = round(time.monotonic() - t, 1)
        prepare_markers(tool, sess, quiet=2.0, timeout=60)
        log(f"{tool.name} @ {bps} B/s: markers under 20 ev/s churn for {P['throttle_window']} s")
        churn = Churn(ctx, 20, P["throttle_window"] + 30)
        t0 = time.monotonic()
        b0 = sess.total
        stop_at = t0 + P["throttle_window"]
        recs_all = []
        while time.monotonic() < stop_at and sess.alive():
            stats, recs = run_markers(ctx, sess, tool, tool.in_flight,
                                      tool.marker_gap if not tool.watcher else (0.5, 1.5),
                                      timeout=max(2.0, stop_at - time.monotonic()) + 30)
            recs_all += recs
        r["churn"] = churn.stop()
        t1 = time.monotonic()
        r["during"] = latency_stats(recs_all, None)
        r["during_markers"] = [[round(x["t0"] - t0, 2), None if x["latency_ms"] is None else round(x["latency_ms"])]
                               for x in recs_all]
        thirds = [recs_all[i * len(recs_all) // 3:(i + 1) * len(recs_all) // 3] for i in range(3)]
        r["lag_by_third_p50_ms"] = [latency_stats(t, 0)["p50_ms"] if t else None for t in thirds]
        smp = sess.samples_between(t0, t1)
        backlog = [s[4] for s in smp if s[4] is not None]
        r["backlog_max_bytes"] = max(backlog) if backlog else None
        r["backlog_end_bytes"] = backlog[-1] if backlog else None
        rss = [s[1] for s in smp]
        r["rss_start_mib"], r["rss_end_mib"] = (mib(rss[0]), mib(rss[-1])) if rss else (None, None)
        r["read_bytes_per_s"] = round((sess.total - b0) / (t1 - t0), 1)
        # The last change: churn has stopped; one more marker; how long until it shows, and
        # until the pty is drained (nothing left to draw).
        log(f"{tool.name} @ {bps} B/s: last change")
        last, recs = run_markers(ctx, sess, tool, 1, 0, timeout=180)
        r["last_change"] = last
        t_last = recs[0]["t0"] if recs else time.monotonic()
        drained = sess.wait_quiet(2.0, 120)
        q = sess.last_read_t() or t_last
        r["drained_after_last_change_s"] = round(max(0.0, q - t_last), 2) if drained else None
    finally:
        sess.close()
    return r


def cool_down(limit_cores=0.5, max_wait=180):
    """Waits until the machine is nearly idle (the previous tool's aftermath, or someone
    else's build); returns what it saw."""
    t = time.monotonic()
    busy = None
    while time.monotonic() - t < max_wait:
        m0 = machine_cpu()
        time.sleep(5)
        busy = machine_busy(m0, machine_cpu())
        if busy is not None and busy < limit_cores:
            break
    return {"waited_s": round(time.monotonic() - t, 1), "machine_busy_cores": busy}


def cluster_counts(ctx):
    """How many objects the cluster holds now (events expire after an hour, so their
    number depends on when the fixture was made)."""
    out = {}
    for kind, path in (("pods", "/api/v1/pods"), ("events", "/api/v1/events"),
                       ("replicasets", "/apis/apps/v1/replicasets"),
                       ("deployments", "/apis/apps/v1/deployments")):
        try:
            md = ctx.api.get(f"{path}?limit=1")
            out[kind] = len(md.get("items") or []) + int(md["metadata"].get("remainingItemCount") or 0)
        except (ApiError, OSError, KeyError, ValueError):
            out[kind] = None
    return out


FLOOR_KINDS = (("pods", "/api/v1/pods"), ("deployments", "/apis/apps/v1/deployments"),
               ("replicasets", "/apis/apps/v1/replicasets"), ("events", "/api/v1/events"))


def apiserver_floor(ctx, runs=3):
    """What the apiserver alone needs to serve the lists every tool starts with, read raw
    over one kept-alive connection: the floor under any tool's time to a full screen. The
    pod list is what kdash and kubectl need; ripcord lists all four kinds."""
    cool_down()
    out = {}
    for kind, path in FLOOR_KINDS:
        samples = []
        for _ in range(runs):
            seconds, size = ctx.api.clone().time_raw_list(path)
            samples.append(seconds)
        out[f"{kind}_list_ms"] = [round(s * 1000, 1) for s in samples]
        out[f"{kind}_list_ms_median"] = round(statistics.median(samples) * 1000, 1)
        out[f"{kind}_list_bytes"] = size
    out["all_kinds_ms_median"] = round(sum(out[f"{k}_list_ms_median"] for k, _ in FLOOR_KINDS), 1)
    return out


def check_all(ctx, tool, P, runs=3):
    """`ripcord check -A` once over the whole fixture, as a pipeline runs it: wall time, peak
    RSS of the process (ru_maxrss from wait4), the findings it printed and its exit code;
    `runs` times, median."""
    argv = [ctx.ripcord, "check", "--context", ctx.context, "-A", "-o", "json"]
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
            t0 = time.monotonic()
            proc = subprocess.Popen(argv, stdout=out_f, stderr=err_f, env=Ripcord_env(ctx))
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.monotonic() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            out_f.seek(0)
            err_f.seek(0)
            out, err = out_f.read(), err_f.read()
        findings = None
        try:
            findings = len(json.loads(out)["findings"])
        except (ValueError, KeyError):
            pass
        samples.append({"seconds": round(seconds, 2), "maxrss_mib": round(usage.ru_maxrss / 1024, 1),
                        "findings": findings, "exit": proc.returncode,
                        "stderr": err.decode(errors="replace")[-500:]})
    return {"runs": samples,
            "seconds_median": statistics.median(s["seconds"] for s in samples),
            "maxrss_mib_max": max(s["maxrss_mib"] for s in samples)}


def run_tool(ctx, tool, P, parts):
    res = {"errors": [], "cluster_at_start": cluster_counts(ctx)}
    sessions = [("main", session_main), ("small", session_small), ("throttled", session_throttled)]
    if tool.name == "ripcord":
        sessions.append(("check", check_all))
    for part, fn in sessions:
        if part not in parts:
            continue
        res.setdefault("cool_down", {})[part] = cool_down()
        try:
            res[part] = fn(ctx, tool, P)
        except Exception as e:  # keep the other tools' and parts' results
            import traceback
            log(f"{tool.name} {part}: {e}")
            res["errors"].append(f"{part}: {traceback.format_exc()[-1500:]}")
        # Put the marker Deployment back to unpaused between sessions.
        try:
            fixture._reset_marker(ctx.api)
            ctx.marker_paused = False
        except Exception:
            pass
        time.sleep(2)
    return res


# ---------------------------------------------------------------------- driver


def git_info(repo):
    def g(*a):
        return subprocess.run(["git", "-C", repo, *a], capture_output=True, text=True).stdout.strip()
    return {"commit": g("rev-parse", "HEAD"), "dirty_src": bool(g("status", "--porcelain", "--", "src", "Cargo.toml"))}


def tool_version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (p.stdout or p.stderr).strip().splitlines()[0][:120]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


def ripcord_release_count(ctx):
    """Ground truth for "full": the releases ripcord's own headless status reports."""
    env = Ripcord_env(ctx)
    p = subprocess.run([ctx.ripcord, "status", "--context", ctx.context, "-A", "-o", "json"],
                       capture_output=True, text=True, env=env, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"ripcord status failed: {p.stderr[:500]}")
    return len(json.loads(p.stdout)["releases"])


def Ripcord_env(ctx):
    return ALL["ripcord"].env(ctx)


def main(argv=None):
    ap = argparse.ArgumentParser(description="ripcord benchmark suite")
    ap.add_argument("--mode", choices=sorted(PROFILES), default="full")
    ap.add_argument("--tools", default="ripcord,kubectl-get-w,kdash")
    ap.add_argument("--parts", default="main,small,throttled,check")
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--context", default="testbed-admin")
    ap.add_argument("--testbed-dir", required=True)
    ap.add_argument("--ripcord", required=True)
    ap.add_argument("--kdash", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--markers", type=int, help="override the marker count per phase")
    ap.add_argument("--window", type=float, help="override the idle/churn window (s)")
    ap.add_argument("--no-relist", action="store_true")
    a = ap.parse_args(argv)

    P = dict(PROFILES[a.mode])
    if a.markers:
        P["markers"] = a.markers
    if a.window:
        P["window"] = a.window
    if a.no_relist:
        P["relist"] = False

    global CTX
    ctx = CTX = Ctx()
    ctx.bench_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ctx.repo = os.path.dirname(ctx.bench_dir)
    ctx.kubeconfig = os.path.abspath(a.kubeconfig)
    ctx.context = a.context
    ctx.testbed_dir = os.path.realpath(a.testbed_dir)
    if ctx.testbed_dir == os.path.realpath(os.path.join(ctx.repo, ".testbed")):
        sys.exit("refusing to benchmark on the default testbed (.testbed): it restarts the apiserver")
    ctx.ripcord = os.path.abspath(a.ripcord)
    ctx.kdash = a.kdash
    ctx.spec_path = os.path.join(ctx.bench_dir, "fixtures", P["spec"])
    ctx.tmp = tempfile.mkdtemp(prefix="ripcord-bench-")
    ctx.api = Api.from_kubeconfig(ctx.kubeconfig, ctx.context)
    ctx.marker_seq = int(time.time()) % 100000 * 10  # distinct from earlier runs' values
    ctx.marker_paused = False
    ctx.bytes_to_full = {}
    spec = json.load(open(ctx.spec_path))

    started = datetime.now(timezone.utc)
    log(f"mode {a.mode}; fixture {P['spec']}")
    fx = fixture.ensure(ctx.api, spec)
    exp = fixture.expected(spec)
    ctx.expected_pods = exp["pods"] + fixture.MARKER_REPLICAS
    ctx.expected_releases = exp["releases"] + 1
    counted = ripcord_release_count(ctx)
    if counted != ctx.expected_releases:
        log(f"note: ripcord status counts {counted} releases, the fixture expects {ctx.expected_releases}")
        ctx.expected_releases = counted
    fx["releases_counted_by_ripcord_status"] = counted

    tools = [t for t in a.tools.split(",") if t]
    results = {
        "schema": 1,
        "mode": a.mode,
        "started": started.isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "kernel": platform.release(), "python": platform.python_version()},
        "profile": P,
        "ripcord_git": git_info(ctx.repo),
        "versions": {"ripcord": tool_version([ctx.ripcord, "--version"]),
                     "kdash": tool_version([ctx.kdash, "--version"]) if ctx.kdash else None,
                     "kubectl": tool_version(["kubectl", "version", "--client"])},
        "fixture": {"spec": spec, **fx, "marker_pods": fixture.MARKER_REPLICAS,
                    "expected_pods_total": ctx.expected_pods, "expected_releases_total": ctx.expected_releases},
        "tools": {},
    }
    results["apiserver_floor"] = apiserver_floor(ctx)
    floor = results["apiserver_floor"]
    log(f"apiserver alone serves the pod list in {floor['pods_list_ms_median']} ms, "
        f"all four kinds one after another in {floor['all_kinds_ms_median']} ms")
    parts = a.parts.split(",")
    for name in tools:
        if name == "kdash" and not ctx.kdash:
            results["tools"][name] = {"skipped": "kdash not installed (cargo install kdash)"}
            continue
        log(f"=== {name}")
        results["tools"][name] = run_tool(ctx, ALL[name], P, parts)
        results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with open(a.out, "w") as f:  # after every tool: a partial run still leaves results
            json.dump(results, f, indent=1)
    log(f"results: {a.out}")


if __name__ == "__main__":
    main()
