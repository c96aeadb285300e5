"""A tool under test in a pseudo-terminal, with a screen emulator and process sampling.

`Session` starts a command on a fresh pty of a given size, reads everything it writes on a
reader thread (optionally throttled to a byte rate, like a slow serial or SSH link), feeds
it to pyte (a VT100/xterm emulator) and keeps the text of each screen line. Every read is
timestamped when it returns, and waiters (predicates over the screen) are checked after
each read, so "when did X first appear on the screen" is known to within one read.

A sampler thread reads /proc/PID/status (VmRSS, VmHWM) and /proc/PID/stat (utime+stime)
every 0.25 s, and the bytes waiting in the pty (FIONREAD on the master: the backlog the
tool has written that the "terminal" has not taken yet).
"""

import array
import bisect
import fcntl
import os
import select
import signal
import struct
import termios
import threading
import time

import pyte

CLK_TCK = os.sysconf("SC_CLK_TCK")


class _Screen(pyte.Screen):
    """Answers the terminal queries a real terminal would (DSR, DA) through the pty."""

    def __init__(self, cols, rows, reply):
        super().__init__(cols, rows)
        self._reply = reply

    def write_process_input(self, data):
        self._reply(data.encode())


def proc_status(pid):
    """(VmRSS KiB, VmHWM KiB) or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            rss = hwm = None
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
            return rss, hwm
    except OSError:
        return None


def proc_cpu_seconds(pid):
    """utime + stime of the process (all its threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return None


class Waiter:
    def __init__(self, pred):
        self.pred = pred
        self.event = threading.Event()
        self.t = None


class Session:
    def __init__(self, argv, cols, rows, env=None, cwd=None, throttle_bps=None, sample_every=0.25,
                 keep_raw=False):
        self.argv, self.cols, self.rows = argv, cols, rows
        self.raw = [] if keep_raw else None  # the bytes of each read, for analysis
        self.throttle = throttle_bps  # bytes per second taken from the pty, or None
        self.lock = threading.Lock()
        self.screen = _Screen(cols, rows, self._reply)
        self.stream = pyte.ByteStream(self.screen)
        self.lines = [""] * rows
        self.chunk_t = []  # read times (monotonic)
        self.chunk_n = []  # bytes per read
        self.cum = [0]  # cumulative bytes after each read (cum[i+1])
        # cumulative bytes of reads that changed no character on the screen (cum_noop[i+1])
        self.cum_noop = [0]
        self.total = 0
        self.newlines = 0
        self.first_frame_t = None
        self.waiters = []
        self.samples = []  # (t, rss_kib, hwm_kib, cpu_s, backlog_bytes)
        self.closed = threading.Event()
        self.exited = None
        self.sample_every = sample_every

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = dict(env or os.environ)
        full_env.setdefault("TERM", "xterm-256color")
        self.t_spawn = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child: own session, the pty as controlling terminal and stdio
            try:
                os.close(master)
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                if slave > 2:
                    os.close(slave)
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], argv, full_env)
            finally:
                os._exit(127)
        os.close(slave)
        self.pid, self.fd = pid, master
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.sampler = threading.Thread(target=self._sample_loop, daemon=True)
        self.reader.start()
        self.sampler.start()

    # ------------------------------------------------------------------ reading

    def _reply(self, data):
        try:
            os.write(self.fd, data)
        except OSError:
            pass

    def _read_loop(self):
        tokens, last = 0.0, time.monotonic()
        burst = max(16.0, (self.throttle or 0) / 10)  # at most 100 ms worth at once
        while not self.closed.is_set():
            want = 65536
            if self.throttle:
                now = time.monotonic()
                tokens = min(burst, tokens + (now - last) * self.throttle)
                last = now
                if tokens < 1:
                    time.sleep(max(0.005, (1 - tokens) / self.throttle))
                    continue
                want = int(tokens)
            try:
                r, _, _ = select.select([self.fd], [], [], 0.1)
            except (OSError, ValueError):
                break
            if not r:
                continue
            try:
                data = os.read(self.fd, want)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            t = time.monotonic()
            if self.throttle:
                tokens -= len(data)
            self._feed(t, data)
        self.closed.set()

    def _feed(self, t, data):
        with self.lock:
            self.total += len(data)
            self.newlines += data.count(b"\n")
            self.chunk_t.append(t)
            self.chunk_n.append(len(data))
            if self.raw is not None:
                self.raw.append(data)
            self.cum.append(self.total)
            self.stream.feed(data)
            buf = self.screen.buffer
            cols = self.cols
            changed = False
            for y in self.screen.dirty:
                if 0 <= y < self.rows:
                    line = buf[y]
                    text = "".join(line[x].data for x in range(cols))
                    if text != self.lines[y]:
                        changed = True
                        self.lines[y] = text
            self.screen.dirty.clear()
            self.cum_noop.append(self.cum_noop[-1] + (0 if changed else len(data)))
            if self.first_frame_t is None and any(l.strip() for l in self.lines):
                self.first_frame_t = t
            if self.waiters:
                for w in list(self.waiters):
                    if w.pred(self):
                        w.t = t
                        w.event.set()
                        self.waiters.remove(w)

    # ------------------------------------------------------------------ sampling

    def backlog(self):
        buf = array.array("i", [0])
        try:
            fcntl.ioctl(self.fd, termios.FIONREAD, buf, True)
        except OSError:
            return None
        return buf[0]

    def _sample_loop(self):
        while not self.closed.is_set():
            t = time.monotonic()
            st = proc_status(self.pid)
            cpu = proc_cpu_seconds(self.pid)
            if st is None or cpu is None:
                break
            with self.lock:
                self.samples.append((t, st[0], st[1], cpu, self.backlog()))
            time.sleep(self.sample_every)

    def reset_peak(self):
        """Resets VmHWM to the current RSS (Linux: write 5 to /proc/PID/clear_refs)."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    # ------------------------------------------------------------------ queries

    def text(self):
        with self.lock:
            return "\n".join(self.lines)

    def send(self, data):
        os.write(self.fd, data if isinstance(data, bytes) else data.encode())

    def wait_for(self, pred, timeout):
        """Blocks until pred(session) holds (checked after every read); returns the time of
        the read that made it true (monotonic), or None on timeout or exit."""
        w = Waiter(pred)
        with self.lock:
            if pred(self):
                return self.chunk_t[-1] if self.chunk_t else time.monotonic()
            self.waiters.append(w)
        deadline = time.monotonic() + timeout
        while not w.event.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self.closed.is_set():
                break
            w.event.wait(min(left, 0.2))
        with self.lock:
            if w in self.waiters:
                self.waiters.remove(w)
        return w.t

    def add_waiter(self, pred):
        """Non-blocking: registers pred; the Waiter's event is set when it holds."""
        w = Waiter(pred)
        with self.lock:
            if pred(self):
                w.t = self.chunk_t[-1] if self.chunk_t else time.monotonic()
                w.event.set()
            else:
                self.waiters.append(w)
        return w

    def cancel_waiter(self, w):
        with self.lock:
            if w in self.waiters:
                self.waiters.remove(w)

    def bytes_between(self, t0, t1):
        with self.lock:
            i = bisect.bisect_left(self.chunk_t, t0)
            j = bisect.bisect_left(self.chunk_t, t1)
            return self.cum[j] - self.cum[i]

    def noop_bytes_between(self, t0, t1):
        """Bytes of the reads in [t0, t1) after which no character on the screen differed
        (colour-only changes count as no change)."""
        with self.lock:
            i = bisect.bisect_left(self.chunk_t, t0)
            j = bisect.bisect_left(self.chunk_t, t1)
            return self.cum_noop[j] - self.cum_noop[i]

    def reads_between(self, t0, t1):
        with self.lock:
            i = bisect.bisect_left(self.chunk_t, t0)
            j = bisect.bisect_left(self.chunk_t, t1)
            return list(zip(self.chunk_t[i:j], self.chunk_n[i:j]))

    def raw_between(self, t0, t1):
        with self.lock:
            if self.raw is None:
                return None
            i = bisect.bisect_left(self.chunk_t, t0)
            j = bisect.bisect_left(self.chunk_t, t1)
            return self.raw[i:j]

    def last_read_t(self):
        with self.lock:
            return self.chunk_t[-1] if self.chunk_t else None

    def samples_between(self, t0, t1):
        with self.lock:
            return [s for s in self.samples if t0 <= s[0] <= t1]

    def cpu_seconds(self):
        return proc_cpu_seconds(self.pid)

    def status(self):
        return proc_status(self.pid)

    def wait_quiet(self, quiet_s, timeout, since=None):
        """Waits until nothing was read for quiet_s (counted from `since` at the earliest)
        and nothing is waiting in the pty."""
        deadline = time.monotonic() + timeout
        since = since if since is not None else time.monotonic()
        while time.monotonic() < deadline:
            last = max(self.last_read_t() or self.t_spawn, since)
            if time.monotonic() - last >= quiet_s and not self.backlog():
                return True
            if self.closed.is_set():
                return False
            time.sleep(0.1)
        return False

    def alive(self):
        if self.exited is not None:
            return False
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid:
            self.exited = status
            return False
        return True

    def close(self, grace=5.0):
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and self.alive():
                time.sleep(0.05)
            if self.alive():
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    os.waitpid(self.pid, 0)
                except ChildProcessError:
                    pass
        self.closed.set()
        self.reader.join(timeout=2)
        self.sampler.join(timeout=2)
        try:
            os.close(self.fd)
        except OSError:
            pass
