"""Starting and stopping the run's processes: each one by its pid, with its descendants, and every one
of them on the way out, whether the run ends, fails or is interrupted."""

import math
import os
import signal
import subprocess
import time

from .counters import process_tree, start_time


class BenchError(Exception):
    """A run that cannot go on; the message says why and where to look."""


class Supervisor:
    """The processes this run started, and nothing else: `stop_all()` (also on leaving the `with`
    block, however it is left) stops exactly those."""

    def __init__(self):
        self._running = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()

    def start(self, argv, *, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
              cwd=None, env=None):
        """Starts a process (no standard input unless given; `env` adds to the run's environment)
        and records it for stopping."""
        process = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd,
                                   env=None if env is None else {**os.environ, **env})
        self._running.append(process)
        return process

    def run(self, argv, *, seconds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            cwd=None, env=None, check=True):
        """Runs a process to its end, at most `seconds` (then stops it and fails); returns its exit
        status, failing on a non-zero one when `check`."""
        process = self.start(argv, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, env=env)
        try:
            status = process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{argv[0]} ran longer than {seconds} s: {' '.join(argv)}") from None
        finally:
            self.stop(process)
        if check and status != 0:
            raise BenchError(f"{' '.join(argv)} exited with status {status}")
        return status

    def stop(self, process, grace=10.0):
        """SIGTERM to the process, up to `grace` seconds for it to end, then SIGKILL to whatever is
        left of the tree it had when asked (nginx's workers, a server's children), each process
        checked by its start time so that a reused pid is never hit."""
        if process in self._running:
            self._running.remove(process)
        if process.poll() is not None:
            return
        tree = [(pid, start_time(pid)) for pid in process_tree(process.pid)]
        try:
            process.terminate()
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        for pid, started in tree:
            if started is not None and start_time(pid) == started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass

    def stop_all(self):
        """Stops every process still recorded, newest first, deaf to further Ctrl-C meanwhile so that
        a second one does not leave servers behind (each stop is bounded)."""
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for process in reversed(list(self._running)):
                self.stop(process)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def polls(seconds, interval=0.1):
    """Counts the attempts of a wait, one every `interval` seconds, and stops after `seconds`, by the
    clock and by the count alike: the bound of every wait of the run."""
    deadline = time.monotonic() + seconds
    for attempt in range(math.ceil(seconds / interval) + 1):
        if attempt and time.monotonic() > deadline:
            return
        yield attempt
        time.sleep(interval)


def exit_on_sigterm():
    """SIGTERM ends the run like Ctrl-C does, through every `finally`, instead of killing Python
    where it stands and leaving its servers running."""
    def handler(signum, frame):
        """Unwinds the run from wherever it is."""
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
