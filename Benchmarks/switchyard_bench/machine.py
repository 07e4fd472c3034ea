"""What a run ran on, recorded in its run file so that a report can be rendered anywhere later: the
machine, the tools' versions, and the gateway's build and commit."""

import os
import platform
import subprocess

from .bench import REPO_ROOT


def first_line(argv):
    """The first line a tool prints about itself (on either stream), or "" when it is not there."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (result.stdout + result.stderr).strip().partition("\n")[0]


def cpu_model():
    """/proc/cpuinfo's first model name."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.partition(": ")[2].strip()
    return ""


def machine():
    """CPUs available to the run, their model, the kernel, the load when the run started."""
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"cpus": len(os.sched_getaffinity(0)), "cpu_model": cpu_model(), "kernel": platform.release(),
            "load_average": load, "clk_tck": os.sysconf("SC_CLK_TCK")}


def versions():
    """The other programs in the comparison, as each names itself."""
    return {"nginx": first_line(["nginx", "-v"]).removeprefix("nginx version: "),
            "openssl": first_line(["openssl", "version"]),
            "swift": first_line(["swift", "--version"]),
            "wrk": " ".join(first_line(["wrk", "-v"]).split()[:2]),
            "python": f"Python {platform.python_version()}"}


def commit():
    """The repository's HEAD and whether the tree had uncommitted changes: what the binaries were
    most likely built from."""
    def git(*args):
        """Git's answer, empty when there is no git or no repository."""
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""
    return {"commit": git("rev-parse", "--short", "HEAD").strip() or "no commit",
            "dirty": bool(git("status", "--porcelain").strip())}


def gateway_version(path):
    """What `switchyard --version` says (the version and the commit it was built from)."""
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip().partition("\n")[0]
