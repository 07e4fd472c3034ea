"""What the run says while it runs, on standard error; the report is the only thing on standard output."""

import sys


def heading(text):
    """A step of the run starts."""
    print(f"\n== {text}", file=sys.stderr, flush=True)


def note(text):
    """A figure or a remark within the step."""
    print(f"   {text}", file=sys.stderr, flush=True)
