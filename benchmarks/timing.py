"""Timing helpers shared by the benchmarks: interleaved rounds, ratios of
per-round times, and the machine line of a results table."""

import os
import platform
import statistics
import time

import numpy as np


def timed_rounds(candidates, rounds, seconds, warmup):
    """{name: [seconds per call, one per round]} of zero-argument calls."""
    plan = {}
    for name, call in candidates.items():
        for _ in range(warmup):
            call()
        start = time.perf_counter()
        call()
        plan[name] = (call, max(1, round(seconds / (time.perf_counter() - start))))
    names, times = list(plan), {name: [] for name in plan}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            call, n = plan[name]
            start = time.perf_counter()
            for _ in range(n):
                call()
            times[name].append((time.perf_counter() - start) / n)
        print(f"  round {r + 1}/{rounds}", flush=True)
    return times


def ratio(times, faster, slower):
    """Speed of `faster` over `slower`: median (quartiles) of the rounds."""
    r = [b / a for a, b in zip(times[faster], times[slower])]
    q1, q2, q3 = statistics.quantiles(r, n=4) if len(r) > 1 else r * 3
    return f"{q2:.2f}x ({q1:.2f}-{q3:.2f})"


def suppress_end(model, end_id):
    """Makes `end_id` never chosen: every generation writes its full length."""
    bias = model.get_layer("logits").bias
    bias.assign(np.where(np.arange(bias.shape[0]) == end_id, -1e4, bias.numpy()))
    return model


def machine():
    cpus = []
    if os.path.exists("/proc/cpuinfo"):  # Linux; other systems say less.
        with open("/proc/cpuinfo") as f:
            cpus = [l.split(":", 1)[1].strip() for l in f if l.startswith("model name")]
    return f"{os.cpu_count()} cores, {(cpus or ['unknown CPU'])[0]}, {platform.system()}"


def load():
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def add_timing_arguments(parser, full, results):
    """Adds --rounds, --seconds, --warmup, --quick and --output to `parser`."""
    add = parser.add_argument
    add("--rounds", type=int, help=f"interleaved rounds (default {full['rounds']})")
    add("--seconds", type=float, help="about how long one candidate is timed a "
        f"round (default {full['seconds']})")
    add("--warmup", type=int,
        help=f"untimed calls per candidate (default {full['warmup']})")
    add("--quick", action="store_true", help="smoke test, no file written")
    add("--output", help=f"Markdown file to write (default: "
        f"{os.path.relpath(results)}; none with --quick)")


def fill_defaults(args, full, quick, results):
    """Sets each argument left unset from `full` (or `quick`), and the output."""
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not args.quick:
        args.output = args.output or results
    return args


def spread(values, form="{:.1f}"):
    """`median (first-third quartile)` of `values`, each written with `form`."""
    q1, q2, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else list(values) * 3
    return f"{form.format(q2)} ({form.format(q1)}-{form.format(q3)})"
