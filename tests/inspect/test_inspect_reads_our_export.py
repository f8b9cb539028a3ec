"""Inspect (inspect-ai from PyPI) opens Preflight's `.eval` export of a real
run and sees the same samples, scores and model as Preflight's own log."""

import json
import os
import subprocess
from pathlib import Path

BIN = os.environ["PREFLIGHT_BIN"]
MODEL_URL = os.environ["PREFLIGHT_TEST_MODEL_URL"]
SUITE = Path(__file__).resolve().parents[2] / "suites" / "smoke.toml"
INSPECT = os.environ["INSPECT_BIN"]


def run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args[0]} {args[1]} failed: {done.stderr[-2000:]}"
    return done.stdout


def test_inspect_reads_our_export(tmp_path):
    logs = tmp_path / "logs"
    run(BIN, "eval", "run", str(SUITE), "--model", MODEL_URL, "--model-name", "gemma",
        "--log-dir", str(logs))
    [log] = list(logs.glob("*.jsonl"))
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    samples = {(r["id"], r["epoch"]): r for r in records if r["type"] == "sample"}
    [summary] = [r for r in records if r["type"] == "summary"]
    assert len(samples) == 6, "the smoke suite has six samples"

    exported = tmp_path / "run.eval"
    run(BIN, "eval", "report", str(log), "--inspect", str(exported))
    dump = json.loads(run(INSPECT, "log", "dump", str(exported)))

    assert dump["status"] == "success"
    assert dump["eval"]["model"] == "gemma"
    assert len(dump["samples"]) == len(samples)
    grades = {"correct": "C", "incorrect": "I"}
    for sample in dump["samples"]:
        ours = samples[(sample["id"], sample["epoch"])]
        theirs = next(iter(sample["scores"].values()))
        assert theirs["value"] == grades[ours["score"]["value"]], sample["id"]
    accuracy = dump["results"]["scores"][0]["metrics"]["accuracy"]["value"]
    scored = [s for s in samples.values() if s["status"] == "scored"]
    ours = sum(s["score"]["value"] == "correct" for s in scored) / len(scored)
    assert abs(accuracy - ours) < 1e-9
    assert summary["scored"] == len(scored)
