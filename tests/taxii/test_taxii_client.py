"""The TAXII 2.1 server read by `taxii2-client`, as a subscriber's tooling
would: discovery, API root, collections, paged objects, one object, the
manifest and `added_after`. Each organisation gets exactly the advisories
its TLP labels and audiences allow.

Needs PREFLIGHT_BIN (the preflight binary).
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from taxii2client.v21 import Server, as_pages

BIN = os.environ["PREFLIGHT_BIN"]
OSV = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "vuln" / "osv" / "go"
RECORDS = ["GO-2020-0003", "GO-2020-0005", "GO-2020-0007", "GO-2020-0008", "GO-2020-0009"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    def __init__(self, work: Path):
        self.data = work / "data"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(work / "server.log", "wb")
        self.process = None

    def cli(self, *args: str) -> str:
        done = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"preflight {' '.join(args[:2])}: {done.stderr}"
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
            return json.loads(response.read().decode())

    def start(self):
        self.process = subprocess.Popen(
            [BIN, "serve", "--data-dir", str(self.data), "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
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


def names(envelopes) -> list[str]:
    out = []
    for envelope in envelopes:
        for o in envelope.get("objects", []):
            assert o["type"] == "vulnerability" and o["spec_version"] == "2.1", o
            out.append(o["name"])
    return out


def test_each_organisation_reads_exactly_its_advisories():
    with tempfile.TemporaryDirectory(prefix="preflight-taxii-") as work:
        pf = Instance(Path(work))
        try:
            ch = pf.admin("create-org", "--name", "Clearinghouse", "--kind", "clearinghouse")
            hospital = pf.admin("create-org", "--name", "Hospital", "--kind", "operator",
                                "--sector", "healthcare")
            bank = pf.admin("create-org", "--name", "Bank", "--kind", "operator", "--sector", "finance")
            for org, email, role in ((ch, "ana@ch.example", "clearinghouse_analyst"),
                                     (hospital, "ops@hospital.example", "operator"),
                                     (bank, "ops@bank.example", "operator")):
                pf.admin("create-user", "--org", org, "--name", email, "--email", email, "--role", role)
            tokens = {who: pf.admin("create-token", "--user", who)
                      for who in ("ana@ch.example", "ops@hospital.example", "ops@bank.example")}
            pf.cli("vuln", "import", "--data-dir", str(pf.data),
                   *[str(OSV / f"{r}.json") for r in RECORDS])
            pf.start()
            analyst = tokens["ana@ch.example"]
            # CLEAR to all, AMBER to healthcare, RED to the bank alone, one draft.
            plan = {
                RECORDS[0]: {"tlp": "CLEAR"},
                RECORDS[1]: {"tlp": "AMBER", "sectors": ["healthcare"]},
                RECORDS[2]: {"tlp": "RED", "recipients": [bank]},
                RECORDS[3]: {"tlp": "GREEN"},
            }
            # An object is named by the record's best id (a CVE before a GO id).
            shown = {r: pf.api("GET", f"/assessments/{r}", analyst)["record"]["id"] for r in RECORDS}
            for record, release in plan.items():
                pf.api("POST", f"/assessments/{record}/report-state", analyst, {"state": "valid"})
                pf.api("POST", f"/assessments/{record}/publication", analyst, release)
            expected = {
                "ops@hospital.example": {shown[r] for r in (RECORDS[0], RECORDS[1], RECORDS[3])},
                "ops@bank.example": {shown[r] for r in (RECORDS[0], RECORDS[2], RECORDS[3])},
            }
            for who, want in expected.items():
                server = Server(f"{pf.base}/taxii2/", user=who, password=tokens[who])
                assert server.title and len(server.api_roots) == 1
                root = server.api_roots[0]
                assert "application/taxii+json;version=2.1" in root.versions
                [collection] = root.collections
                assert collection.can_read and not collection.can_write
                # All at once, and one a page through `next`.
                whole = names([collection.get_objects()])
                paged = names(as_pages(collection.get_objects, per_request=1))
                assert set(whole) == want, (who, whole)
                assert sorted(paged) == sorted(whole), (who, paged)
                manifest = collection.get_manifest()
                assert len(manifest["objects"]) == len(want)
                first = manifest["objects"][0]
                one = collection.get_object(first["id"])
                assert one["objects"][0]["id"] == first["id"]
                latest = max(m["date_added"] for m in manifest["objects"])
                assert names([collection.get_objects(added_after=latest)]) == []
            # A draft reaches nobody, not even over TAXII.
            for who in expected:
                root = Server(f"{pf.base}/taxii2/", user=who, password=tokens[who]).api_roots[0]
                assert shown[RECORDS[4]] not in names([root.collections[0].get_objects()])
        finally:
            pf.stop()
