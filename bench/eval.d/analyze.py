"""Turns the runs of bench/eval into one markdown table on stdout.

    python3 analyze.py WORK_DIR

WORK_DIR holds:
  runs.tsv        run, tool, limit, delay_ms, rep, samples, wall_s, user_s, sys_s,
                  max_rss_kb, log_bytes, exit
  access.log      nginx: "$msec $request_time $status $request_uri" per request;
                  each run calls its own prefix /r<run>/d<seconds>/v1/...
  checks.tsv      run, tool, status, completed, accuracy (read from each log)
  reference.tsv   run, limit, delay_ms, rep, requests: the zero-work client's runs
  suite/expected.json  samples and how many targets are "A"
  real.tsv        optional: rep, kind (preflight|direct), seconds, samples
  meta.json       load averages, versions, the real model's setup

Achieved concurrency is the time average of requests in flight at the server:
the sum of the requests' durations ($request_time) over the span from the
first request's start ($msec - $request_time) to the last one's end. The
zero-work client's figure at the same limit and delay is what the fake server
itself allows; Preflight's is also given as a share of it.
"""

import csv
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def read_tsv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def concurrency_by_run(access_log: Path) -> dict[str, dict]:
    """Per run: requests, 200s, summed request time, first start, last end."""
    runs: dict[str, dict] = {}
    with open(access_log, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 4 or not parts[3].startswith("/r"):
                continue
            run = parts[3].split("/")[1][1:]
            end, duration = float(parts[0]), float(parts[1])
            r = runs.setdefault(
                run, {"requests": 0, "ok": 0, "busy": 0.0, "first": end - duration, "last": end}
            )
            r["requests"] += 1
            r["ok"] += parts[2] == "200"
            r["busy"] += duration
            r["first"] = min(r["first"], end - duration)
            r["last"] = max(r["last"], end)
    for r in runs.values():
        span = r["last"] - r["first"]
        r["in_flight"] = r["busy"] / span if span > 0 else 0.0
    return runs


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def pick_digits(value: float) -> int:
    if value >= 100:
        return 0
    if value >= 10:
        return 1
    if value >= 1:
        return 2
    return 3


def main() -> None:
    work = Path(sys.argv[1])
    runs = read_tsv(work / "runs.tsv")
    checks = {(c["run"]): c for c in read_tsv(work / "checks.tsv")}
    expected = json.loads((work / "suite" / "expected.json").read_text())
    meta = json.loads((work / "meta.json").read_text())
    served = concurrency_by_run(work / "access.log")
    problems: list[str] = []

    # (limit, delay) -> tool -> metric -> [values over repetitions]
    values: dict[tuple[int, float], dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    configs: list[tuple[int, float]] = []
    for run in runs:
        key = (int(run["limit"]), float(run["delay_ms"]))
        if key not in configs:
            configs.append(key)
        samples = int(run["samples"])
        s = served.get(run["run"], {"requests": 0, "ok": 0, "in_flight": 0.0})
        label = f"{run['tool']} run {run['run']} (limit {key[0]}, {key[1]:g} ms)"
        if run["exit"] != "0":
            problems.append(f"{label} exited with {run['exit']}")
        if s["ok"] != samples or s["requests"] != samples:
            problems.append(
                f"{label}: the server saw {s['requests']} requests ({s['ok']} answered 200) "
                f"for {samples} samples"
            )
        check = checks.get(run["run"])
        want = expected["answer_a"] / expected["samples"] if expected["samples"] else 0
        if check is None:
            problems.append(f"{label}: its log could not be checked")
        elif (
            check["status"] != "ok"
            or int(check["completed"]) != samples
            or abs(float(check["accuracy"]) - want) > 0.0015
        ):
            problems.append(
                f"{label}: log says status {check['status']}, {check['completed']} samples, "
                f"accuracy {check['accuracy']} (expected {samples} samples, {want:.3f})"
            )
        wall = float(run["wall_s"])
        cpu = float(run["user_s"]) + float(run["sys_s"])
        v = values[key][run["tool"]]
        v["wall"].append(wall)
        v["rate"].append(samples / wall if wall > 0 else 0.0)
        v["cpu_ms"].append(1000.0 * cpu / samples)
        v["rss_mib"].append(int(run["max_rss_kb"]) / 1024.0)
        v["log_bytes"].append(int(run["log_bytes"]) / samples)
        v["in_flight"].append(s["in_flight"])

    for ref in read_tsv(work / "reference.tsv"):
        key = (int(ref["limit"]), float(ref["delay_ms"]))
        s = served.get(ref["run"], {"requests": 0, "ok": 0, "in_flight": 0.0})
        if s["ok"] != int(ref["requests"]):
            problems.append(
                f"zero-work client run {ref['run']}: the server answered {s['ok']} of "
                f"{ref['requests']} requests with 200"
            )
        values[key]["reference"]["in_flight"].append(s["in_flight"])

    def med(key, tool, metric) -> float | None:
        got = values[key][tool].get(metric)
        return statistics.median(got) if got else None

    rows: list[list[str]] = []

    def row(measure, config, p, i, edge, target, met):
        rows.append([measure, config, p, i, edge, target, met])

    def yes(ok: bool | None) -> str:
        return "—" if ok is None else ("yes" if ok else "**no**")

    for key in configs:
        limit, delay = key
        config = f"{limit} · {delay:g} ms" if delay > 0 else f"{limit} · instant"
        ceiling = limit / (delay / 1000.0) if delay > 0 else None
        p = {m: med(key, "preflight", m) for m in values[key]["preflight"]}
        i = {m: med(key, "inspect", m) for m in values[key]["inspect"]}

        def edge(metric, higher_better=False):
            a, b = p.get(metric), i.get(metric)
            if not a or not b:
                return "—"
            return f"{(a / b if higher_better else b / a):,.1f}×"

        row("wall time, s", config, fmt(p.get("wall"), 2), fmt(i.get("wall"), 1), edge("wall"), "", "")
        rate_target, rate_ok = "", None
        if ceiling is None or ceiling >= 3750:
            rate_target = "≥ 3,000"
            rate_ok = p.get("rate") is not None and p["rate"] >= 3000
        else:
            rate_target = f"— (server ceiling {ceiling:,.0f}/s)"
        row("samples/s", config, fmt(p.get("rate")), fmt(i.get("rate")), edge("rate", True), rate_target, yes(rate_ok))
        cpu_ok = p.get("cpu_ms") is not None and p["cpu_ms"] <= 0.3
        row(
            "CPU ms/sample (user+sys; = s per 1,000)",
            config,
            fmt(p.get("cpu_ms"), 3),
            fmt(i.get("cpu_ms"), 2),
            edge("cpu_ms"),
            "≤ 0.3",
            yes(cpu_ok),
        )
        rss_ok = None
        if p.get("rss_mib") and i.get("rss_mib"):
            rss_ok = i["rss_mib"] / p["rss_mib"] >= 20
        row("peak RSS, MiB", config, fmt(p.get("rss_mib"), 1), fmt(i.get("rss_mib"), 0), edge("rss_mib"), "≥ 20× less", yes(rss_ok))
        row("log bytes/sample", config, fmt(p.get("log_bytes")), fmt(i.get("log_bytes")), edge("log_bytes"), "", "")
        if delay > 0:
            pf, inf = p.get("in_flight"), i.get("in_flight")
            cell = lambda x: "—" if x is None else f"{x:,.1f} ({100 * x / limit:.0f}%)"
            ok = pf is not None and pf >= 0.95 * limit
            row(
                "requests in flight (time avg, % of limit)",
                config,
                cell(pf),
                cell(inf),
                edge("in_flight", True),
                "≥ 95%",
                yes(ok),
            )
            ref = med(key, "reference", "in_flight")
            if ref is not None:
                row(
                    "requests in flight of a zero-work client (what the server allows)",
                    config,
                    cell(ref),
                    "",
                    "—" if pf is None or not ref else f"Preflight at {100 * pf / ref:.1f}% of it",
                    "",
                    "",
                )

    real = read_tsv(work / "real.tsv")
    real_meta = meta.get("real_model")
    if real:
        by = defaultdict(list)
        for r in real:
            by[r["kind"]].append(float(r["seconds"]))
        n = int(real[0]["samples"])
        direct, pre = statistics.median(by["direct"]), statistics.median(by["preflight"])
        config = f"1 · {real_meta['name']}, {n} samples, ≤ {real_meta['max_tokens']} tokens"
        row("real model: server alone, back to back, s", config, fmt(direct, 2), "", "", "", "")
        row(
            "real model: Preflight wall time, s (÷ server alone)",
            config,
            f"{pre:,.2f} ({pre / direct:.2f}×)",
            "",
            "",
            "",
            "",
        )
    else:
        row("real model", "—", "skipped: pass --real-model URL (or local)", "", "", "", "")

    conditions = (
        f"{meta['samples']:,} samples × {meta['reps']} (median), interleaved; "
        f"load average {meta['load_start']} at start, {meta['load_end']} at end; "
        f"{meta['cores']} cores; inspect-ai {meta['inspect_version']}"
    )
    row("conditions", "", conditions, "", "", "", "")

    header = [
        "measure",
        "limit · server delay",
        "Preflight",
        "Inspect",
        "Preflight's edge",
        "target (Preflight)",
        "met",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---", "---", "--:", "--:", "--:", "---", "---"]) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if problems:
        sys.exit(2)


if __name__ == "__main__":
    main()
