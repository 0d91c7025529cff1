"""Measures the fsc kernels through Debian's jupyter_client, as a notebook
server drives them. Run by `go run ./bench -only kernel` with the
kernelspecs installed in JUPYTER_DATA_DIR; prints one JSON object of
figures per kernelspec."""

import json
import statistics
import sys
import time

from jupyter_client.manager import KernelManager


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS for %d" % pid)


def kernel_pid(km):
    p = km.provisioner
    return p.pid if getattr(p, "pid", None) else p.process.pid


def run_cell(kc, code):
    """Executes code and waits for its idle status; returns the seconds."""
    start = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_iopub_msg(timeout=30)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            break
    elapsed = time.perf_counter() - start
    reply = kc.get_shell_msg(timeout=30)
    if reply["content"]["status"] != "ok":
        raise RuntimeError("%s: %s" % (code, reply["content"]))
    return elapsed


def start(name):
    """Starts a kernel; returns it with the seconds to its first
    kernel_info_reply."""
    t0 = time.perf_counter()
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.kernel_info()
    kc.get_shell_msg(timeout=30)
    return km, kc, time.perf_counter() - t0


def measure(name, runs, cells):
    starts = []
    for _ in range(5):
        km, kc, s = start(name)
        starts.append(s)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    km, kc, _ = start(name)
    try:
        time.sleep(0.5)
        pid = kernel_pid(km)
        idle = rss_mb(pid)
        for _ in range(50):
            run_cell(kc, "1+1")
        trips = sorted(run_cell(kc, "1+1") for _ in range(runs))
        before = rss_mb(pid)
        for i in range(cells):
            run_cell(kc, "x = %d + 1" % i)
        after = rss_mb(pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {
        "kernel": name,
        "start_ms": statistics.median(starts) * 1000,
        "idle_rss_mb": idle,
        "roundtrip_p50_ms": trips[len(trips) // 2] * 1000,
        "roundtrip_p90_ms": trips[len(trips) * 9 // 10] * 1000,
        "cells": cells,
        "rss_growth_mb": after - before,
    }


if __name__ == "__main__":
    runs, cells = int(sys.argv[1]), int(sys.argv[2])
    for name in ("fsc", "fsc-lua"):
        print(json.dumps(measure(name, runs, cells)), flush=True)
