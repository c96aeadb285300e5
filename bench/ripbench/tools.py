"""The tools under test: how to start each one, when its screen is "full", and which marker
it actually displays.

Markers (see README.md, "Event-to-screen latency"):
- ripcord: the marker Deployment's `spec.paused` is toggled (merge patch); ripcord's queue
  shows the Deployment's phase as the word "Paused" while it is paused. The row is kept on
  screen with ripcord's filter (`/` bench-marker Enter). Observed when the row's line shows
  (or stops showing) "Paused".
- kdash and `kubectl get pods -A -w`: neither shows `spec.paused`, so the marker is a pod's
  `status.reason`, set through the pods/status subresource to a unique value (M0000042).
  Both print a pod's STATUS as its phase unless status.reason is set, as kubectl does, so the
  value appears verbatim in the STATUS column. The marker pods live in the namespace
  `rc-bench-marker`, which sorts before the fixture's namespaces, so kdash lists them on its
  first screen. Observed when the value appears anywhere on the screen.
"""

import os
import re

from . import fixture


class Tool:
    name = ""
    marker = ""  # "deployment-paused" or "pod-status-reason"
    in_flight = 1  # marker objects patched concurrently
    marker_timeout = 10.0
    # Pause after a marker is seen before the next one on the same object (uniform, seconds)
    marker_gap = (0.05, 0.15)
    idle_gap = (1.0, 1.5)  # idle markers: far enough apart to count the bytes of each
    watcher = True

    def argv(self, ctx):
        raise NotImplementedError

    def env(self, ctx):
        env = dict(os.environ)
        env["KUBECONFIG"] = ctx.kubeconfig
        env["TERM"] = "xterm-256color"
        env.pop("NO_COLOR", None)
        return env

    def full(self, ctx):
        """A predicate over the session: the tool shows everything the fixture holds."""
        raise NotImplementedError

    def rows_complete(self, ctx):
        """Optional: a predicate for "every row is listed", before everything is synced."""
        return None

    def prepare_markers(self, sess):
        """Keys that bring the marker on screen (after `full`)."""

    def markers_ready(self, s):
        """The screen shows the marker (after prepare_markers)."""
        return True

    def version(self, ctx):
        return None


class Ripcord(Tool):
    name = "ripcord"
    marker = "deployment-paused"

    def argv(self, ctx):
        return [ctx.ripcord, "--context", ctx.context]

    def env(self, ctx):
        env = super().env(ctx)
        env["RIPCORD_CONFIG_DIR"] = os.path.join(ctx.tmp, "ripcord-config")
        env["RIPCORD_DATA_DIR"] = os.path.join(ctx.tmp, "ripcord-data")
        return env

    @staticmethod
    def table(s):
        """(index of the queue's column titles, the release rows below them). A line above
        the titles names the context or namespace every row shares, when they do."""
        for i in (2, 3):
            if i < len(s.lines) and "NAME" in s.lines[i] and "PHASE" in s.lines[i]:
                rows = [l for l in s.lines[i + 1:-1] if l.strip()]  # the last line is the key help
                return i, rows
        return None, []

    def full(self, ctx):
        n = ctx.expected_releases
        marker = re.compile(rf"\b\d+/{n}\b")

        def pred(s):
            if not any("synced" in l for l in s.lines[:3]):
                return False
            header, rows = self.table(s)
            if header is None:
                return False
            if marker.search(s.lines[header]):
                return True  # the position marker "sel/N" when the queue is longer than the screen
            return len(rows) == n
        return pred

    def rows_complete(self, ctx):
        """The queue lists every release (its `n/N` position marker), synced or not."""
        n = ctx.expected_releases
        marker = re.compile(rf"\b\d+/{n}\b")

        def pred(s):
            header, _ = self.table(s)
            return header is not None and bool(marker.search(s.lines[header]))
        return pred

    def prepare_markers(self, sess):
        sess.send(b"/")
        for ch in fixture.MARKER_NAME:
            sess.send(ch.encode())
        sess.send(b"\r")

    def markers_ready(self, s):
        _, rows = self.table(s)
        return "filter:" in s.lines[0] and len(rows) == 1 and self.row(s) is not None

    @classmethod
    def row(cls, s):
        header, rows = cls.table(s)
        if header is None:
            return None
        # The namespace is a column, or the shared line above the titles when one is left.
        shared = s.lines[header - 1] if header == 3 else ""
        for l in rows:
            if f" {fixture.MARKER_NAME} " in f" {l} " and (
                fixture.MARKER_NS[:8] in l or fixture.MARKER_NS in shared
            ):
                return l
        return None

    def marker_pred(self, paused):
        def pred(s):
            l = self.row(s)
            return l is not None and (("Paused" in l) == paused)
        return pred


class Kdash(Tool):
    name = "kdash"
    marker = "pod-status-reason"
    in_flight = fixture.MARKER_REPLICAS  # it polls: several markers wait for the same poll
    marker_timeout = 30.0
    # Patched at a random point of its 5 s poll cycle: right after a marker is seen would be
    # right after a poll, and every marker would wait a whole cycle.
    marker_gap = idle_gap = (0.05, 5.0)
    watcher = False

    def argv(self, ctx):
        return [ctx.kdash]

    def full(self, ctx):
        want = f"[{ctx.expected_pods}]"

        def pred(s):
            return any("Pods" in l and want in l for l in s.lines)
        return pred


class KubectlWatch(Tool):
    name = "kubectl-get-w"
    marker = "pod-status-reason"

    def argv(self, ctx):
        return ["kubectl", "--context", ctx.context, "get", "pods", "-A", "-w"]

    def full(self, ctx):
        want = ctx.expected_pods + 1  # the header line

        def pred(s):
            return s.newlines >= want
        return pred


def pod_marker_pred(value):
    def pred(s):
        return any(value in l for l in s.lines)
    return pred


ALL = {t.name: t for t in (Ripcord(), Kdash(), KubectlWatch())}
