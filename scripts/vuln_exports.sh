#!/usr/bin/env bash
# The clearinghouse's exports checked by the formats' own validators: the shared CISA CSAF
# advisories, Go OSV records and CVE JSON 5 records are imported into a fresh store, then
# exported as CSAF 2.0 advisories (checked by @secvisogram/csaf-validator-lib: the strict
# schema and every mandatory test of section 6.1), OSV records (checked against the OSV
# JSON schema with jsonschema) and STIX 2.1 bundles (checked by the OASIS stix2-validator
# with every reference resolved within the bundle and recommendations as errors, but for
# two the export departs from on purpose, named below). The ids
# are picked from the files, the same on every run, so that the advisories cover records
# from each format and records merged across formats.
#
#   bash scripts/vuln_exports.sh PREFLIGHT_BIN
#
# Needs: ../shared/testdata/vuln beside the repository; installs the .venv tools and
# node_modules/ when missing (scripts/lib/python.sh, scripts/lib/node.sh).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/python.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/node.sh"

[[ $# -eq 1 ]] || die "usage: bash scripts/vuln_exports.sh PREFLIGHT_BIN"
BIN="$1"
[[ -x "$BIN" ]] || die "$BIN is not an executable"
VULN_DATA="$PREFLIGHT_ROOT/../shared/testdata/vuln"
[[ -d "$VULN_DATA" ]] || die "$VULN_DATA not found (the shared test data)"
OSV_SCHEMA="$VULN_DATA/osv/schema.json"

ensure_python_tools
ensure_node_tools
PY="$PREFLIGHT_VENV/bin/python"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/preflight-vuln-exports.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
DATA_DIR="$WORK/data"
mkdir -p "$WORK/ids" "$WORK/csaf" "$WORK/stix"

log "importing the shared CSAF, OSV and CVE JSON 5 records"
"$BIN" vuln import --data-dir "$DATA_DIR" "$VULN_DATA/csaf/cisa" "$VULN_DATA/osv/go" \
    "$VULN_DATA/cve5/go" >"$WORK/import.log" || {
    cat "$WORK/import.log" >&2
    die "preflight vuln import failed"
}
head -n 1 "$WORK/import.log" >&2

# The ids to export, written to ids/: csaf.txt one advisory a line (its ids separated by
# spaces), osv.txt and stix.txt one id a line, stix-single.txt one single-record bundle a line.
"$PY" - "$VULN_DATA" "$WORK/ids" <<'PY'
import json
import pathlib
import sys

data, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])


def load(folder):
    return [json.loads(f.read_text()) for f in sorted((data / folder).glob("*.json"))]


# CISA advisories, each with the CVEs of its vulnerabilities.
cisa = [[v["cve"] for v in doc.get("vulnerabilities", []) if "cve" in v]
        for doc in load("csaf/cisa")]
cisa = [cves for cves in cisa if cves]
seen = {}
for cves in cisa:
    for cve in set(cves):
        seen[cve] = seen.get(cve, 0) + 1
csaf_merged = sorted(cve for cve, n in seen.items() if n > 1)

# Go OSV records; a CVE JSON 5 record with the CVE of one of them merges with it.
go = [(doc["id"], doc.get("aliases", [])) for doc in load("osv/go")]
go_of_alias = {alias: go_id for go_id, aliases in go for alias in aliases}
cve5 = sorted(doc["cveMetadata"]["cveId"] for doc in load("cve5/go"))
cve5_merged = [cve for cve in cve5 if cve in go_of_alias]
cve5_alone = [cve for cve in cve5 if cve not in go_of_alias]
go_taken = {go_of_alias[cve] for cve in cve5_merged}
go_alone = [go_id for go_id, _ in go if go_id not in go_taken]

advisories = []
advisories += cisa[::10]  # whole CISA advisories, most with several CVEs
advisories += [[cve] for cve in csaf_merged]  # the same CVE in several CISA advisories
advisories += [[go_id] for go_id in go_alone[::150]]
advisories += [go_alone[i : i + 3] for i in range(75, 75 + 5 * 300, 300)]
advisories += [[cve] for cve in cve5_merged[::10]]  # OSV and CVE JSON 5 merged
advisories += [[cve] for cve in cve5_alone[::5]]
advisories += [[cisa[i][0], go_alone[i * 7], cve5_merged[i]] for i in range(1, 4)]

osv = [go_id for go_id, _ in go][::15]
osv += [cve for cve in cve5_merged[::8] if go_of_alias[cve] not in osv]
osv += cve5_alone[::6]
osv += [cves[0] for cves in cisa[5::20]] + csaf_merged
osv = list(dict.fromkeys(osv))
single = [cisa[3][0], go_alone[0], cve5_merged[0], cve5_alone[0], csaf_merged[0]]

(out / "csaf.txt").write_text("".join(" ".join(ids) + "\n" for ids in advisories))
(out / "osv.txt").write_text("".join(i + "\n" for i in osv))
(out / "stix.txt").write_text("".join(i + "\n" for i in dict.fromkeys(osv + single)))
(out / "stix-single.txt").write_text("".join(i + "\n" for i in single))
PY

log "exporting"
advisories=0
while read -r -a ids; do
    advisories=$((advisories + 1))
    # Named by number and first id, so that a failure names the records.
    "$BIN" vuln export --data-dir "$DATA_DIR" --format csaf \
        --out "$WORK/csaf/$(printf '%03d' "$advisories")-${ids[0]}.json" "${ids[@]}" >/dev/null
done <"$WORK/ids/csaf.txt"
mapfile -t osv_ids <"$WORK/ids/osv.txt"
"$BIN" vuln export --data-dir "$DATA_DIR" --format osv --out "$WORK/osv" "${osv_ids[@]}" >/dev/null
mapfile -t stix_ids <"$WORK/ids/stix.txt"
"$BIN" vuln export --data-dir "$DATA_DIR" --format stix --out "$WORK/stix/all.json" \
    "${stix_ids[@]}" >/dev/null
singles=0
while read -r id; do
    singles=$((singles + 1))
    "$BIN" vuln export --data-dir "$DATA_DIR" --format stix \
        --out "$WORK/stix/single-$id.json" "$id" >/dev/null
done <"$WORK/ids/stix-single.txt"

log "exported $advisories CSAF advisories ($(grep -c ' ' "$WORK/ids/csaf.txt") of several" \
    "records), ${#osv_ids[@]} OSV records, a STIX bundle of ${#stix_ids[@]} records and" \
    "$singles of one"

failed=0

node "$PREFLIGHT_ROOT/scripts/csaf_validate.mjs" "$WORK"/csaf/*.json || failed=1

"$PY" - "$OSV_SCHEMA" "$WORK"/osv/*.json <<'PY' || failed=1
import json
import sys
from importlib.metadata import version

import jsonschema

schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
files = sys.argv[2:]
invalid = 0
for name in files:
    errors = sorted(validator.iter_errors(json.load(open(name))), key=lambda e: e.json_path)
    invalid += bool(errors)
    for e in errors:
        print(f"{name}: {e.json_path}: {e.message}")
print(f"jsonschema {version('jsonschema')} ({cls.__name__}): "
      f"{len(files) - invalid} of {len(files)} OSV records valid against the OSV schema")
sys.exit(1 if invalid or not files else 0)
PY

"$PY" - "$WORK"/stix/*.json <<'PY' || failed=1
import json
import sys
from importlib.metadata import version

from stix2validator import ValidationOptions, validate_file

# Every recommendation is an error but two the export departs from on purpose: 103 (UUIDv4
# ids: its ids are UUIDv5 of the record, the same on every export, as the specification
# allows) and 302 (hashes of referenced web pages, which change under them).
options = ValidationOptions(version="2.1", strict=True, enforce_refs=True, silent=True,
                            disabled="103,302")
files = sys.argv[1:]
invalid = objects = 0
for name in files:
    objects += sum(o.get("type") == "vulnerability" for o in json.load(open(name))["objects"])
    result = validate_file(name, options)
    if result.is_valid:
        continue
    invalid += 1
    if result.fatal:
        print(f"{name}: {result.fatal}")
    for obj in result.object_results or []:
        for e in obj.errors:
            print(f"{name}: {e}")
print(f"stix2-validator {version('stix2-validator')}: {len(files) - invalid} of {len(files)} "
      f"STIX bundles valid ({objects} vulnerabilities; strict, references enforced)")
sys.exit(1 if invalid or not files else 0)
PY

[[ $failed -eq 0 ]] || die "some exports failed their validators (above)"
