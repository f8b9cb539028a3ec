"""A running `preflight serve` with two reviews in the partner phase, made
through the `preflight` command line as a program office would: one in front
of the real local model, one in front of a fake Anthropic Messages server.

At the end of the session every byte the server wrote (its log, its database
files) and every response the tests saw is searched for the upstream keys:
they may exist only as ciphertext.
"""

import datetime as dt
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

try:  # The SDK's own HTTP client: httpx2 in recent releases, httpx before.
    import httpx2 as httpx
except ImportError:
    import httpx
import pytest

from fake_anthropic import FakeAnthropic

BIN = os.environ["PREFLIGHT_BIN"]
MODEL_URL = os.environ["PREFLIGHT_TEST_MODEL_URL"]
MODEL_KEY = f"sk-sdk-upstream-{uuid.uuid4().hex}"
ANTHROPIC_KEY = f"sk-ant-sdk-{uuid.uuid4().hex}"
UPSTREAM_KEYS = (MODEL_KEY, ANTHROPIC_KEY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Seen:
    """Every response the tests got: headers, and bodies that were read whole."""

    def __init__(self):
        self.texts: list[str] = []
        self.lock = threading.Lock()

    def keep(self, text: str):
        with self.lock:
            self.texts.append(text)

    def hook(self, response: httpx.Response):
        self.keep("\n".join(f"{k}: {v}" for k, v in response.headers.items()))


class Preflight:
    def __init__(self, work: Path):
        self.work = work
        self.data = work / "data"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "server.log"
        self.seen = Seen()
        self.process = None
        self.reviews: dict[str, dict] = {}

    def cli(self, *args: str, env: dict | None = None) -> str:
        done = subprocess.run(
            [BIN, *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"preflight {' '.join(args[:2])} failed: {done.stderr}")
        return done.stdout.strip()

    def admin(self, *args: str) -> str:
        return self.cli("admin", *args, "--data-dir", str(self.data))

    def api(self, method: str, path: str, token: str, body=None):
        request = urllib.request.Request(
            f"{self.base}/api/v1{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
        self.seen.keep(text)
        return json.loads(text) if text else None

    def start(self):
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [BIN, "serve", "--data-dir", str(self.data), "--listen", f"127.0.0.1:{self.port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": "debug"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("preflight serve did not become healthy")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)


def seed(pf: Preflight, anthropic: FakeAnthropic):
    keys = pf.work / "keys"
    keys.mkdir()
    dev_public = pf.cli("keygen", "--key-file", str(keys / "dev.key"))
    gov_public = pf.cli("keygen", "--key-file", str(keys / "gov.key"))
    lab = pf.admin("create-org", "--name", "SDK Lab", "--kind", "developer_lab")
    gov = pf.admin("create-org", "--name", "SDK Evaluators", "--kind", "government_evaluator")
    partner = pf.admin("create-org", "--name", "SDK Red Team", "--kind", "trusted_partner")
    pf.admin("create-user", "--org", lab, "--name", "Dev", "--email", "dev@sdk.example",
             "--role", "developer", "--public-key", dev_public)
    pf.admin("create-user", "--org", gov, "--name", "Gov", "--email", "gov@sdk.example",
             "--role", "government_evaluator", "--public-key", gov_public)
    pf.admin("create-user", "--org", partner, "--name", "Red", "--email", "red@sdk.example",
             "--role", "trusted_partner")
    until = rfc3339(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365))
    pf.admin("vet-partner", "--org", partner, "--until", until)
    pf.tokens = {
        who: pf.admin("create-token", "--user", f"{who}@sdk.example")
        for who in ("dev", "gov", "red")
    }
    pf.start()

    now = dt.datetime.now(dt.timezone.utc)
    release = now + dt.timedelta(days=20)
    for name, url, kind, upstream_model, key in (
        ("sdk-model", MODEL_URL, "openai_compatible", "gemma", MODEL_KEY),
        ("sdk-anthropic", anthropic.url, "anthropic_messages", "claude-fake", ANTHROPIC_KEY),
    ):
        remote = ["--server", pf.base]
        dev = {"PREFLIGHT_TOKEN": pf.tokens["dev"], "SDK_UPSTREAM_KEY": key}
        gov_env = {"PREFLIGHT_TOKEN": pf.tokens["gov"]}
        review = pf.cli("submit", *remote, "--model", name, "--model-version", "rc1",
                        "--release", rfc3339(release), "--upstream-url", url,
                        "--upstream-kind", kind, "--upstream-model", upstream_model,
                        "--credential-env", "SDK_UPSTREAM_KEY", env=dev)
        terms = {
            "window": {"opens_at": rfc3339(now - dt.timedelta(minutes=1)), "ends_at": rfc3339(release)},
            "government_phase_days": 5,
            "partner_window": {"start": rfc3339(now - dt.timedelta(minutes=1)), "end": rfc3339(release)},
            "government_access": {"organisations": [gov], "people": []},
            "partner_access": {"organisations": [partner], "people": []},
            "limits": {"requests_per_minute": 600, "tokens_per_minute": 1_000_000,
                       "max_concurrent_requests": 8, "total_token_budget": 10_000_000},
            "transcript_retention_days": 30,
            "ip": {"no_training_on_outputs": True, "no_retention_of_outputs": True, "other": []},
            "clearinghouse": {"when": "after_release", "what": "summary_only"},
            "insider_risk_attestations": [],
        }
        terms_file = pf.work / f"{name}-terms.json"
        terms_file.write_text(json.dumps(terms))
        pf.cli("terms", "propose", *remote, review, "--file", str(terms_file), env=dev)
        pf.cli("terms", "sign", *remote, review, "--side", "developer",
               "--key-file", str(keys / "dev.key"), env=dev)
        pf.cli("terms", "sign", *remote, review, "--side", "government",
               "--key-file", str(keys / "gov.key"), env=gov_env)
        pf.cli("start-phase", *remote, review, "government", env=gov_env)
        pf.cli("start-phase", *remote, review, "partner", env=gov_env)
        made = pf.api("POST", f"/submissions/{review}/gateway-tokens", pf.tokens["red"],
                      {"label": "sdk tests"})
        pf.reviews[name] = {"id": review, "token": made["token"], "model": made["model"]}


@pytest.fixture(scope="session")
def preflight():
    with tempfile.TemporaryDirectory(prefix="preflight-sdk-") as work:
        anthropic = FakeAnthropic()
        anthropic.start()
        pf = Preflight(Path(work))
        try:
            seed(pf, anthropic)
            pf.anthropic = anthropic
            yield pf
        finally:
            pf.stop()
            anthropic.stop()
        scan_for_upstream_keys(pf, anthropic)


def scan_for_upstream_keys(pf: Preflight, anthropic: FakeAnthropic):
    """The keys reached the upstreams, and nothing else the server wrote or said."""
    assert MODEL_KEY not in anthropic.keys, "one review's key reached another's upstream"
    assert ANTHROPIC_KEY in anthropic.keys, "the Anthropic upstream never got its key"
    places = {"server log": pf.log_path.read_bytes()}
    for path in pf.data.iterdir():
        if path.name.startswith("preflight.db"):
            places[path.name] = path.read_bytes()
    places["responses"] = "\n".join(pf.seen.texts).encode()
    assert len(places["server log"]) > 0, "the server wrote no log"
    for key in UPSTREAM_KEYS:
        for place, data in places.items():
            assert key.encode() not in data, f"an upstream key appears in {place}"
