"""Cold start: launch `huarong-qa serve`, time until the page answers and until the first answer.

    python benchmarks/cold_start.py [--model default] [--question "..."]

Prints seconds to: server accepting requests, first answer through /v1/chat/completions (model loaded,
no answer cache), and that answer's mode.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default")
    ap.add_argument("--question", default="三江港要建设哪些物流项目?")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("huarong-qa")
    env = os.environ | {"HUARONG_PORT": str(port), "HUARONG_MODEL": args.model, "HUARONG_ANSWER_CACHE": "false"}
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(exe), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    if httpx.get(base + "/v1/models", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
                if proc.poll() is not None:
                    raise SystemExit("server exited")
            up = time.perf_counter() - t0
            body = {"model": "huarong-qa", "messages": [{"role": "user", "content": args.question}]}
            d = httpx.post(base + "/v1/chat/completions", json=body, timeout=600).json()
            first = time.perf_counter() - t0
            print(f"| {d['model']} | {up:.1f} s | {first:.1f} s | {d['huarong']['mode']} |")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
