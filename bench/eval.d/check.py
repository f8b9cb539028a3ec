"""Reads what each run of bench/eval recorded (Preflight's summary on stdout,
Inspect's .eval header) and writes WORK_DIR/checks.tsv: run, tool, status,
completed, accuracy. Runs with the Inspect venv's Python (it reads .eval logs).

    python check.py WORK_DIR
"""

import csv
import re
import sys
from pathlib import Path

from inspect_ai.log import read_eval_log


def preflight(work: Path, run: str) -> tuple[str, int, float]:
    text = (work / "out" / f"r{run}.stdout").read_text(encoding="utf-8")
    counts = re.search(r"scored (\d+)\s+errors (\d+)", text)
    accuracy = re.search(r"^accuracy\s+([0-9.]+)", text, re.M)
    if not counts or not accuracy:
        return "unreadable", 0, -1.0
    status = "ok" if counts.group(2) == "0" else f"errors={counts.group(2)}"
    return status, int(counts.group(1)), float(accuracy.group(1))


def inspect(work: Path, run: str) -> tuple[str, int, float]:
    logs = sorted((work / "logs" / f"r{run}").glob("*.eval"))
    if len(logs) != 1:
        return f"logs={len(logs)}", 0, -1.0
    log = read_eval_log(str(logs[0]), header_only=True)
    if log.results is None or not log.results.scores:
        return log.status, 0, -1.0
    accuracy = log.results.scores[0].metrics["accuracy"].value
    status = "ok" if log.status == "success" else log.status
    return status, log.results.completed_samples, float(accuracy)


def main() -> None:
    work = Path(sys.argv[1])
    with open(work / "runs.tsv", encoding="utf-8") as f:
        runs = list(csv.DictReader(f, delimiter="\t"))
    with open(work / "checks.tsv", "w", encoding="utf-8") as out:
        out.write("run\ttool\tstatus\tcompleted\taccuracy\n")
        for run in runs:
            try:
                read = preflight if run["tool"] == "preflight" else inspect
                status, completed, accuracy = read(work, run["run"])
            except Exception as error:  # a missing or broken log is a finding, not a crash
                status, completed, accuracy = f"unreadable: {type(error).__name__}", 0, -1.0
            out.write(f"{run['run']}\t{run['tool']}\t{status}\t{completed}\t{accuracy}\n")


if __name__ == "__main__":
    main()
