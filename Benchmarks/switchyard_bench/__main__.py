"""`python3 -m switchyard_bench`, as Benchmarks/run.sh starts it."""

from .cli import main

main()
