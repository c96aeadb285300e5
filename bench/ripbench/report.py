"""Renders a results JSON into the Markdown report: the measurements side by side with the
peers' and their ratios, and each target marked met or missed with the measured value."""

import argparse
import json
import os

TOOLS = ["ripcord", "kdash", "kubectl-get-w"]
PEERS = ["kdash", "kubectl-get-w"]


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def fmt(v, unit=""):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if abs(v) >= 100:
            s = f"{v:.0f}"
        elif abs(v) >= 10:
            s = f"{v:.1f}"
        else:
            s = f"{v:.2f}".rstrip("0").rstrip(".") if v else "0"
    else:
        s = str(v)
    return f"{s}{unit}"


def ratio(a, b):
    if a is None or b is None or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return "–"
    if b == 0:
        return "–" if a else "1x"
    r = a / b
    return f"{r:.2g}x" if r < 10 else f"{r:.0f}x"


# (label, unit, path into a tool's results, or a list of paths shown side by side)
ROWS = [
    ("Steady RSS, idle (VmRSS median)", " MiB", ("main", "idle", "rss_mib_median")),
    ("Peak RSS after the initial list (VmHWM)", " MiB", ("main", "launch", "hwm_after_full_mib")),
    ("Peak RSS while relisting after an apiserver restart", " MiB", ("main", "relist", "hwm_mib")),
    ("Peak RSS over the whole 200x50 session", " MiB", ("main", "hwm_session_mib")),
    ("CPU idle (% of a core)", "%", ("main", "idle", "cpu_pct")),
    ("CPU at 20 ev/s", "%", ("main", "churn20", "cpu_pct")),
    ("CPU at 200 ev/s", "%", ("main", "churn200", "cpu_pct")),
    ("apiserver CPU beside it: idle / 20 / 200 ev/s", "%",
     [("main", w, "apiserver_cpu_pct") for w in ("idle", "churn20", "churn200")]),
    ("Launch to first frame", " ms", ("main", "launch", "first_frame_ms")),
    ("Launch to full screen (all pods / releases, synced)", " ms", ("main", "launch", "full_ms")),
    ("Launch to every release listed (not yet synced)", " ms", ("main", "launch", "rows_ms")),
    ("CPU used from launch to full", " ms", ("main", "launch", "cpu_ms_at_full")),
    ("Event-to-screen p50, idle", " ms", ("main", "latency", "idle", "p50_ms")),
    ("Event-to-screen p99, idle", " ms", ("main", "latency", "idle", "p99_ms")),
    ("Event-to-screen p50, 20 ev/s", " ms", ("main", "latency", "churn20", "p50_ms")),
    ("Event-to-screen p99, 20 ev/s", " ms", ("main", "latency", "churn20", "p99_ms")),
    ("Event-to-screen p50, 200 ev/s", " ms", ("main", "latency", "churn200", "p50_ms")),
    ("Event-to-screen p99, 200 ev/s", " ms", ("main", "latency", "churn200", "p99_ms")),
    ("… of which patch to a bare watch's event (apiserver), p50 / p99 at 200 ev/s", " ms",
     [("main", "latency", "churn200", "breakdown", f"patch_to_watch_event_{q}_ms") for q in ("p50", "p99")]),
    ("… of which watch event to screen (the tool), p50 / p99 at 200 ev/s", " ms",
     [("main", "latency", "churn200", "breakdown", f"watch_event_to_screen_{q}_ms") for q in ("p50", "p99")]),
    ("Markers missed (20 / 200 ev/s)", "",
     [("main", "latency", w, "missed") for w in ("churn20", "churn200")]),
    ("Terminal bytes/s idle, 200x50", " B/s", ("main", "idle", "bytes_per_s")),
    ("Terminal bytes/s at 20 ev/s, 200x50", " B/s", ("main", "churn20", "bytes_per_s")),
    ("Terminal bytes/s at 200 ev/s, 200x50", " B/s", ("main", "churn200", "bytes_per_s")),
    ("… of which changed nothing on screen, idle", " B/s", ("main", "idle", "noop_bytes_per_s")),
    ("… of which changed nothing on screen, 20 ev/s", " B/s", ("main", "churn20", "noop_bytes_per_s")),
    ("… of which changed nothing on screen, 200 ev/s", " B/s", ("main", "churn200", "noop_bytes_per_s")),
    ("Terminal bytes/s idle, 80x24", " B/s", ("small", "idle", "bytes_per_s")),
    ("Terminal bytes/s at 20 ev/s, 80x24", " B/s", ("small", "churn20", "bytes_per_s")),
    ("Terminal bytes/s at 200 ev/s, 80x24", " B/s", ("small", "churn200", "bytes_per_s")),
    ("Bytes for a one-row change, 200x50 (median)", " B", ("main", "latency", "idle", "frame_bytes_median")),
    ("9600 bps: marker lag p50 under 20 ev/s", " ms", ("throttled", "during", "p50_ms")),
    ("9600 bps: marker lag p99 under 20 ev/s", " ms", ("throttled", "during", "p99_ms")),
    ("9600 bps: lag p50 by thirds of the run", " ms", ("throttled", "lag_by_third_p50_ms")),
    ("9600 bps: last change shown after", " ms", ("throttled", "last_change", "p50_ms")),
    ("9600 bps: pty drained after the last change", " s", ("throttled", "drained_after_last_change_s")),
    ("9600 bps: largest backlog in the pty", " B", ("throttled", "backlog_max_bytes")),
    ("9600 bps: launch to full screen", " ms", ("throttled", "launch", "full_ms")),
]


def cell(t, path, unit):
    v = get(t, *path)
    if isinstance(v, list):
        return " / ".join(fmt(x) for x in v) + (unit if v else "")
    return fmt(v, unit)


def targets(r, k, floor=None, floor_all=None):
    """[(target, measured text, met: True/False/None)] for ripcord."""
    out = []

    def add(name, value, ok, unit=""):
        out.append((name, fmt(value, unit) if not isinstance(value, str) else value,
                    None if value is None else ok))

    steady = get(r, "main", "idle", "rss_mib_median")
    add("RSS with the fixture ≤ 64 MiB steady", steady, steady is not None and steady <= 64, " MiB")
    relist = get(r, "main", "relist", "hwm_mib")
    initial = get(r, "main", "launch", "hwm_after_full_mib")
    if relist is not None and steady:
        out.append(("relist peak ≤ 2x steady", f"{fmt(relist, ' MiB')} = {relist / steady:.2f}x "
                    f"(initial list peak {fmt(initial, ' MiB')} = {initial / steady:.2f}x)"
                    if initial else f"{relist / steady:.2f}x", relist <= 2 * steady))
    else:
        add("relist peak ≤ 2x steady", None, None)
    kd = get(k, "main", "idle", "rss_mib_median") if k else None
    if steady is not None and kd:
        out.append(("RSS ≤ 0.25x kdash", f"{steady / kd:.3f}x ({fmt(steady)} / {fmt(kd)} MiB)",
                    steady / kd <= 0.25))
    else:
        add("RSS ≤ 0.25x kdash", None, None)
    v = get(r, "main", "idle", "cpu_pct")
    add("CPU idle < 0.5% of a core", v, v is not None and v < 0.5, "%")
    v = get(r, "check", "seconds_median")
    add("`check -A` finishes in ≤ 10 s", v, v is not None and v <= 10, " s")
    v = get(r, "check", "maxrss_mib_max")
    add("`check -A` peak RSS ≤ 64 MiB", v, v is not None and v <= 64, " MiB")
    v = get(r, "main", "churn20", "cpu_pct")
    add("CPU < 5% at 20 events/s", v, v is not None and v < 5, "%")
    a, b = get(r, "main", "idle", "bytes_per_s"), get(r, "small", "idle", "bytes_per_s")
    noop = {f"{part} {w}": get(r, part, w, "noop_bytes_per_s")
            for part in ("main", "small") for w in ("idle", "churn20", "churn200")}
    if any(v is not None for v in noop.values()):
        worst = max((v or 0) for v in noop.values())
        out.append(("0 B/s to the terminal when nothing changes",
                    f"writes that change nothing on screen: {fmt(noop['main idle'], ' B/s')} idle, "
                    f"{fmt(noop['main churn20'], ' B/s')} / {fmt(noop['main churn200'], ' B/s')} under "
                    f"20 / 200 ev/s churn at 200x50 ({fmt(noop['small churn20'], ' B/s')} / "
                    f"{fmt(noop['small churn200'], ' B/s')} at 80x24); all idle output "
                    f"{fmt(a, ' B/s')} at 200x50, {fmt(b, ' B/s')} at 80x24", worst == 0))
    elif a is not None or b is not None:
        out.append(("0 B/s to the terminal when nothing changes",
                    f"{fmt(a, ' B/s')} at 200x50, {fmt(b, ' B/s')} at 80x24",
                    (a or 0) == 0 and (b or 0) == 0))
    else:
        add("0 B/s to the terminal when nothing changes", None, None)
    v = get(r, "main", "latency", "idle", "frame_bytes_median")
    add("one-row change at 200x50 ≤ 300 B", v, v is not None and v <= 300, " B")
    p50 = get(r, "main", "latency", "churn20", "p50_ms")
    p50b = get(r, "main", "latency", "churn200", "p50_ms")
    if p50 is not None:
        out.append(("event-to-screen p50 ≤ 20 ms", f"{fmt(p50, ' ms')} at 20 ev/s ({fmt(p50b, ' ms')} at 200 ev/s)",
                    p50 <= 20))
    else:
        add("event-to-screen p50 ≤ 20 ms", None, None)
    v = get(r, "main", "latency", "churn20", "p99_ms")
    add("event-to-screen p99 ≤ 100 ms at 20 ev/s", v, v is not None and v <= 100, " ms")
    v = get(r, "main", "latency", "churn200", "p99_ms")
    api99 = get(r, "main", "latency", "churn200", "breakdown", "patch_to_watch_event_p99_ms")
    if v is not None and api99 is not None:
        out.append(("event-to-screen p99 ≤ 250 ms at 200 ev/s",
                    f"{fmt(v, ' ms')}; a bare watch beside it gets the event at p99 {fmt(api99, ' ms')} "
                    f"after the patch (apiserver)", v <= 250))
    else:
        add("event-to-screen p99 ≤ 250 ms at 200 ev/s", v, v is not None and v <= 250, " ms")
    v = get(r, "main", "launch", "first_frame_ms")
    add("first frame ≤ 100 ms after launch", v, v is not None and v <= 100, " ms")
    v = get(r, "main", "launch", "full_ms")
    listed = get(r, "main", "launch", "rows_ms")
    if v is not None and floor is not None:
        out.append(("full queue with the fixture ≤ 1.5 s",
                    f"{fmt(v, ' ms')} synced (every release listed at {fmt(listed, ' ms')}); the "
                    f"apiserver alone needs {fmt(floor, ' ms')} to serve the pod list"
                    + (f", {fmt(floor_all, ' ms')} for all four kinds ripcord lists" if floor_all else ""),
                    v <= 1500))
    else:
        add("full queue with the fixture ≤ 1.5 s", v, v is not None and v <= 1500, " ms")
    last = get(r, "throttled", "last_change", "p50_ms")
    missed = get(r, "throttled", "last_change", "missed")
    thirds = get(r, "throttled", "lag_by_third_p50_ms") or []
    backlog = get(r, "throttled", "backlog_max_bytes")
    if last is not None or missed:
        bounded = bool(thirds) and None not in thirds and thirds[-1] <= max(2 * thirds[0], thirds[0] + 500)
        out.append(("9600 bps: screen current within 2 s of the last change",
                    "not shown" if last is None else fmt(last, " ms"), last is not None and last <= 2000))
        out.append(("9600 bps: no unbounded backlog",
                    f"lag p50 by thirds {' / '.join(fmt(x) for x in thirds)} ms, pty backlog ≤ {fmt(backlog, ' B')}",
                    bounded))
    else:
        add("9600 bps: screen current within 2 s of the last change", None, None)
    out.append(("frame cost p99 ≤ 2 ms", "criterion (bench/CRITERION.md), not measured here", None))
    return out


BEFORE_AFTER = [
    ("Steady RSS, idle", " MiB", ("main", "idle", "rss_mib_median")),
    ("Peak RSS after the initial list", " MiB", ("main", "launch", "hwm_after_full_mib")),
    ("Peak RSS while relisting", " MiB", ("main", "relist", "hwm_mib")),
    ("CPU at 20 ev/s", "%", ("main", "churn20", "cpu_pct")),
    ("CPU at 200 ev/s", "%", ("main", "churn200", "cpu_pct")),
    ("Launch to full screen (synced)", " ms", ("main", "launch", "full_ms")),
    ("Launch to every release listed", " ms", ("main", "launch", "rows_ms")),
    ("CPU used from launch to full", " ms", ("main", "launch", "cpu_ms_at_full")),
    ("Event-to-screen p50, 20 ev/s", " ms", ("main", "latency", "churn20", "p50_ms")),
    ("Event-to-screen p99, 20 ev/s", " ms", ("main", "latency", "churn20", "p99_ms")),
    ("Event-to-screen p50, 200 ev/s", " ms", ("main", "latency", "churn200", "p50_ms")),
    ("Event-to-screen p99, 200 ev/s", " ms", ("main", "latency", "churn200", "p99_ms")),
    ("… watch event to screen (ripcord's share), p99 at 200 ev/s", " ms",
     ("main", "latency", "churn200", "breakdown", "watch_event_to_screen_p99_ms")),
    ("Terminal bytes/s at 20 ev/s, 200x50", " B/s", ("main", "churn20", "bytes_per_s")),
    ("9600 bps: marker lag p50 under 20 ev/s", " ms", ("throttled", "during", "p50_ms")),
]


def before_after(before, after):
    """A table of ripcord's figures in an earlier run beside this one."""
    b, a = before["tools"].get("ripcord", {}), after["tools"].get("ripcord", {})
    L = [f"## Before and after: ripcord {before['ripcord_git']['commit'][:10]} "
         f"(run {before.get('started')}) and {after['ripcord_git']['commit'][:10]} (this run)", "",
         "| | before | after | after / before |", "|---|---|---|---|"]
    for label, unit, path in BEFORE_AFTER:
        L.append(f"| {label} | {fmt(get(b, *path), unit)} | {fmt(get(a, *path), unit)} | "
                 f"{ratio(get(a, *path), get(b, *path))} |")
    L.append("")
    return L


def render(res, notes=None, before=None):
    tools = res.get("tools", {})
    present = [t for t in TOOLS if t in tools and "skipped" not in tools[t]]
    r, k = tools.get("ripcord", {}), tools.get("kdash")
    fx = res.get("fixture", {})
    L = []
    L.append("# ripcord benchmark report")
    L.append("")
    L.append(f"Run `{res.get('mode')}` started {res.get('started')} (finished {res.get('finished')}), "
             f"{res['machine']['cores']} cores / {res['machine']['mem_gib']} GiB, kernel {res['machine']['kernel']}. "
             f"ripcord {res['ripcord_git']['commit'][:10]}"
             f"{' (src modified)' if res['ripcord_git'].get('dirty_src') else ''}; "
             f"{res['versions'].get('kdash') or 'kdash not run'}; {res['versions'].get('kubectl')}.")
    L.append("")
    L.append(f"Fixture `{fx.get('spec', {}).get('name')}`: {fx.get('pods')} pods in {fx.get('deployments')} "
             f"Deployments across {fx.get('namespaces')} namespaces ({fx.get('releases')} releases, canary pairs "
             f"among them), plus the marker namespace ({fx.get('marker_pods')} pods, 1 Deployment); "
             f"ripcord's own `status` counts {fx.get('releases_counted_by_ripcord_status')} releases. "
             "Tools run one after another on the same testbed; raw data: the results JSON.")
    L.append("")
    L.append("## Targets (ripcord)")
    L.append("")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    floor = res.get("apiserver_floor") or {}
    for name, val, ok in targets(r, k, floor.get("pods_list_ms_median"), floor.get("all_kinds_ms_median")):
        mark = "met" if ok else ("**missed**" if ok is False else "n/a")
        L.append(f"| {name} | {val} | {mark} |")
    L.append("")
    L.append("## Measurements and peer ratios")
    L.append("")
    hdr = "| | " + " | ".join(present) + " | " + " | ".join(f"ripcord / {p}" for p in PEERS if p in present) + " |"
    L.append(hdr)
    L.append("|---" * (1 + len(present) + len([p for p in PEERS if p in present])) + "|")
    for label, unit, path in ROWS:
        if isinstance(path, list):  # several figures side by side: no ratio
            vals = [" / ".join(fmt(get(tools[t], *p)) for p in path) + unit for t in present]
            L.append(f"| {label} | " + " | ".join(vals) + " |" + " |" * len([p for p in PEERS if p in present]))
            continue
        vals = [cell(tools[t], path, unit) for t in present]
        rats = [ratio(get(r, *path), get(tools[p], *path)) for p in PEERS if p in present]
        L.append(f"| {label} | " + " | ".join(vals) + " | " + " | ".join(rats) + " |")
    L.append("")
    churn = []
    for t in present:
        parts = []
        for label, path in (("20/s window", ("main", "churn20", "churn")),
                            ("200/s window", ("main", "churn200", "churn")),
                            ("20/s markers", ("main", "latency", "churn20", "churn")),
                            ("200/s markers", ("main", "latency", "churn200", "churn"))):
            c = get(tools[t], *path)
            if c and "rate_achieved" in c:
                seen = c.get("events_observed")
                parts.append(f"{label} {c['rate_achieved']}/s" + (f" ({seen} of {c['sent']} events seen on a watch)"
                                                                  if seen is not None else ""))
        if parts:
            churn.append(f"{t}: " + ", ".join(parts))
    if churn:
        L.append("Churn achieved: " + "; ".join(churn) + ".")
        L.append("")
    skipped = [(t, get(tools[t], "throttled", "skipped")) for t in present if get(tools[t], "throttled", "skipped")]
    for t, why in skipped:
        L.append(f"9600 bps, {t}: not run: {why}.")
        L.append("")
    counts = [(t, tools[t].get("cluster_at_start")) for t in present if tools[t].get("cluster_at_start")]
    if counts:
        L.append("Objects in the cluster when each tool started: " + "; ".join(
            f"{t} {c.get('pods')} pods, {c.get('replicasets')} ReplicaSets, {c.get('events')} events"
            for t, c in counts) + " (events expire an hour after the fixture was made).")
        L.append("")
    L.append("Markers: ripcord toggles the marker Deployment's `spec.paused` (its row shows `Paused`); "
             "kdash and kubectl show a pod's `status.reason` in STATUS, so for them a marker pod's "
             "status.reason is set to a unique value. Latency is from just before the PATCH is sent "
             "to the read from the pty that put the marker on the emulated screen "
             "(see bench/README.md). kdash lists every 5 s (its default poll rate), so 10 marker pods "
             "are in flight at once for it.")
    L.append("")
    errs = [(t, e) for t in present for e in tools[t].get("errors", [])]
    if errs:
        L.append("## Errors during the run")
        L.append("")
        for t, e in errs:
            L.append(f"- {t}: `{e.strip().splitlines()[-1][:300]}`")
        L.append("")
    if before is not None:
        L.extend(before_after(before, res))
    if notes:
        L.append(notes.rstrip())
        L.append("")
    return "\n".join(L)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--out")
    ap.add_argument("--notes", help="Markdown appended to the report (findings)")
    ap.add_argument("--before", help="an earlier results JSON to compare ripcord's figures with")
    a = ap.parse_args(argv)
    res = json.load(open(a.results))
    notes = open(a.notes).read() if a.notes and os.path.exists(a.notes) else None
    before = json.load(open(a.before)) if a.before else None
    md = render(res, notes, before)
    if a.out:
        with open(a.out, "w") as f:
            f.write(md + "\n")
    else:
        print(md)


if __name__ == "__main__":
    main()
