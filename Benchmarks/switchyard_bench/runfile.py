"""Run files: one JSON document per run under .work/runs/, holding every raw figure the run read,
what it ran on and the exact command. The report is rendered from them alone."""

import json

from .processes import BenchError

FORMAT = 1


def write(run, directory):
    """Writes the run as .work/runs/<UTC start time>.json and returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = run["started_at"].replace("-", "").replace(":", "")
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n")
    return path


def read(path):
    """A run file, refused when it is not one this version can render."""
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, ValueError) as error:
        raise BenchError(f"{path}: {error}") from None
    if not isinstance(run, dict) or run.get("format") != FORMAT:
        raise BenchError(f"{path}: not a run file of format {FORMAT}")
    return run
