//! The clearinghouse over HTTP: imports that land whole or not at all,
//! coordination steps on the ledger, releases that reach exactly the
//! organisations their TLP label, audience and embargo allow (through the
//! API and through TAXII), signed webhooks, and escalation of review
//! findings only as the signed terms allow.

use crate::harness::{Harness, api};
use crate::world::{At, Lab, Who, World, create_org, create_person, now, rfc3339};
use axum::body::Bytes;
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const LABELS: [&str; 5] = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];

/// The organisations that read releases, and the people reading for them.
struct Readers {
    /// name → (token, org id)
    orgs: BTreeMap<&'static str, (String, String)>,
}

async fn person_in(h: &Harness, w: &World, org: &str, role: &str) -> String {
    let n = w.next();
    create_person(
        h,
        org,
        &format!("Reader {n}"),
        &format!("reader{n}@example.org"),
        role,
        true,
    )
    .await
    .token
}

/// Every kind of recipient: an operator in the addressed sector; one in
/// another sector subscribed to it; one neither addressed nor subscribed;
/// a named recipient (a managed-security provider) and its client; a
/// developer lab and the government, which belong to the community only.
async fn readers(h: &Harness, w: &World) -> Readers {
    let mut orgs = BTreeMap::new();
    let hospital = w.orgs.hospital.clone();
    orgs.insert(
        "hospital",
        (
            w.token(Who::Operator).unwrap_or_default().to_owned(),
            hospital,
        ),
    );
    for (name, sector) in [
        ("bank", "finance"),
        ("water", "water"),
        ("msp", "other"),
        ("msp_client", "water"),
    ] {
        let id = create_org(h, &format!("{name} {}", w.next()), "operator", Some(sector)).await;
        let token = person_in(h, w, &id, "operator").await;
        orgs.insert(name, (token, id));
    }
    orgs.insert(
        "lab",
        (
            w.token(Who::DevOwn).unwrap_or_default().to_owned(),
            w.orgs.own_lab.clone(),
        ),
    );
    orgs.insert(
        "government",
        (
            w.token(Who::Gov).unwrap_or_default().to_owned(),
            w.orgs.gov.clone(),
        ),
    );
    // The bank follows healthcare too.
    let (bank_token, bank) = &orgs["bank"];
    h.put(
        &api(&format!("/orgs/{bank}/subscription")),
        Some(bank_token),
        json!({ "sectors": ["healthcare"], "webhook_url": null }),
    )
    .await
    .expect(200);
    // The provider serves its client.
    let (_, msp) = &orgs["msp"];
    let (_, client) = &orgs["msp_client"];
    h.put(
        &api(&format!("/orgs/{msp}/clients")),
        w.token(Who::Admin),
        json!({ "clients": [client] }),
    )
    .await
    .expect(200);
    Readers { orgs }
}

/// Who must receive a release to healthcare with the provider named.
fn expected(label: &str, embargoed: bool) -> BTreeSet<&'static str> {
    let all = [
        "hospital",
        "bank",
        "water",
        "msp",
        "msp_client",
        "lab",
        "government",
    ];
    let names: &[&str] = if embargoed {
        &["msp"]
    } else {
        match label {
            "CLEAR" | "GREEN" => &all,
            "AMBER" => &["hospital", "bank", "msp", "msp_client"],
            "AMBER+STRICT" => &["hospital", "bank", "msp"],
            "RED" => &["msp"],
            other => panic!("no label {other}"),
        }
    };
    names.iter().copied().collect()
}

/// A webhook receiver on loopback that keeps what it is sent.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let got = self.got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let got = got.clone();
                async move {
                    got.lock()
                        .expect("lock")
                        .push((headers, String::from_utf8_lossy(&body).into_owned()));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hook")
    }

    fn received(&self) -> Vec<(HeaderMap, String)> {
        self.got.lock().expect("lock").clone()
    }
}

/// Checks a Standard Webhooks signature with the subscriber's secret.
fn verify(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    let key = B64
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret is base64");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(
        format!(
            "{}.{}.{}",
            header("webhook-id"),
            header("webhook-timestamp"),
            body
        )
        .as_bytes(),
    );
    let expected = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

/// An assessment, validated, and released with `label` to healthcare with
/// the provider named; under an active embargo when `embargoed`.
async fn release(
    h: &Harness,
    w: &World,
    r: &Readers,
    label: &str,
    embargoed: bool,
) -> (String, String) {
    let id = w.assessment(h, true).await;
    let analyst = w.token(Who::Analyst);
    if embargoed {
        h.post(
            &api(&format!("/assessments/{id}/embargo")),
            analyst,
            json!({ "action": "propose", "ends_at": rfc3339(now() + chrono::Duration::days(14)) }),
        )
        .await
        .expect(200);
        h.post(
            &api(&format!("/assessments/{id}/embargo")),
            analyst,
            json!({ "action": "accept" }),
        )
        .await
        .expect(200);
    }
    let released = h
        .post(
            &api(&format!("/assessments/{id}/publication")),
            analyst,
            json!({ "tlp": label, "recipients": [r.orgs["msp"].1], "sectors": ["healthcare"] }),
        )
        .await;
    let name = released.expect(200)["record"]["id"]
        .as_str()
        .expect("record id")
        .to_owned();
    (id, name)
}

/// What `token` receives over TAXII, paging with `limit` and `next`.
async fn taxii_names(h: &Harness, token: &str) -> BTreeSet<String> {
    let collections = h
        .get("/taxii2/clearinghouse/collections/", Some(token))
        .await;
    let collection = collections.expect(200)["collections"][0]["id"]
        .as_str()
        .expect("collection id")
        .to_owned();
    let mut names = BTreeSet::new();
    let mut next: Option<String> = None;
    loop {
        let query = match &next {
            Some(n) => format!("?limit=3&next={n}"),
            None => "?limit=3".to_owned(),
        };
        let page = h
            .get(
                &format!("/taxii2/clearinghouse/collections/{collection}/objects/{query}"),
                Some(token),
            )
            .await;
        let body = page.expect(200);
        for o in body["objects"].as_array().cloned().unwrap_or_default() {
            assert_eq!(o["type"], "vulnerability");
            assert!(
                names.insert(o["name"].as_str().expect("name").to_owned()),
                "an object twice: {o}"
            );
        }
        if body["more"] == true {
            next = Some(body["next"].as_str().expect("next").to_owned());
        } else {
            return names;
        }
    }
}

/// Every label × every kind of recipient × embargo on and off, plus
/// drafts: the API list, the API by id and TAXII each show a reader
/// exactly what it may receive; webhooks go, signed, only to those.
async fn release_matrix(h: &Harness) {
    let w = World::build(h).await;
    let r = readers(h, &w).await;
    let hooks = Receiver::default();
    let url = hooks.start().await;
    let mut secrets = BTreeMap::new();
    for name in ["hospital", "water", "msp_client"] {
        let (token, org) = &r.orgs[name];
        let set = h
            .put(
                &api(&format!("/orgs/{org}/subscription")),
                Some(token),
                json!({ "webhook_url": format!("{url}?org={name}") }),
            )
            .await;
        let secret = set.expect(200)["webhook_secret"]
            .as_str()
            .expect("secret issued")
            .to_owned();
        secrets.insert(name, secret);
        // Read back, the secret is never shown again.
        let again = h
            .get(&api(&format!("/orgs/{org}/subscription")), Some(token))
            .await;
        assert!(again.expect(200)["webhook_secret"].is_null());
    }

    let draft = w.assessment(h, true).await;
    let mut released: Vec<(String, String, &str, bool)> = Vec::new();
    for label in LABELS {
        for embargoed in [false, true] {
            let (id, name) = release(h, &w, &r, label, embargoed).await;
            released.push((id, name, label, embargoed));
        }
    }

    let mut failures = Vec::new();
    for (reader, (token, _)) in &r.orgs {
        let listed: BTreeSet<String> = h
            .get(&api("/advisories?limit=1000"), Some(token))
            .await
            .expect(200)
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a["assessment_id"].as_str().expect("id").to_owned())
            .collect();
        let over_taxii = taxii_names(h, token).await;
        if listed.contains(&draft) {
            failures.push(format!("{reader} sees a draft"));
        }
        let one = h
            .get(&api(&format!("/advisories/{draft}")), Some(token))
            .await;
        if one.status != 404 {
            failures.push(format!("{reader} reads a draft by id: {}", one.status));
        }
        for (id, name, label, embargoed) in &released {
            let may = expected(label, *embargoed).contains(reader);
            let cell = format!(
                "{label}{} to {reader}",
                if *embargoed { " under embargo" } else { "" }
            );
            if listed.contains(id) != may {
                failures.push(format!(
                    "{cell}: listed {} but may {}",
                    listed.contains(id),
                    may
                ));
            }
            if over_taxii.contains(name) != may {
                failures.push(format!(
                    "{cell}: TAXII {} but may {}",
                    over_taxii.contains(name),
                    may
                ));
            }
            let one = h.get(&api(&format!("/advisories/{id}")), Some(token)).await;
            let want = if may { 200 } else { 404 };
            if one.status != want {
                failures.push(format!("{cell}: by id {} not {want}", one.status));
            }
            if may && one.json.get("sources").is_some() {
                failures.push(format!("{cell}: the advisory carries its sources"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} release cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Webhooks: one signed notification per release the subscriber
    // received when it was published.
    let want: usize = ["hospital", "water", "msp_client"]
        .iter()
        .map(|n| {
            released
                .iter()
                .filter(|(_, _, l, e)| expected(l, *e).contains(n))
                .count()
        })
        .sum();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while hooks.received().len() < want && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Anything more would arrive within the sender's next round.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let got = hooks.received();
    assert_eq!(got.len(), want, "webhook notifications");
    for (headers, body) in &got {
        let parsed: Value = serde_json::from_str(body).expect("JSON body");
        let id = parsed["data"]["assessment_id"]
            .as_str()
            .expect("assessment id");
        let (_, _, label, embargoed) = released
            .iter()
            .find(|(i, ..)| i == id)
            .expect("a notification of a release");
        let to = secrets
            .iter()
            .find(|(_, secret)| verify(secret, headers, body))
            .map(|(name, _)| *name)
            .expect("a signature by one subscriber's secret");
        assert!(
            expected(label, *embargoed).contains(to),
            "{to} notified of {label} (embargo {embargoed})"
        );
        assert_eq!(parsed["type"], "advisory.released");
    }
    // The delivery log says so too.
    let (token, org) = &r.orgs["hospital"];
    let log = h
        .get(&api(&format!("/orgs/{org}/deliveries")), Some(token))
        .await;
    let log = log.expect(200).as_array().expect("deliveries").clone();
    assert!(
        !log.is_empty()
            && log
                .iter()
                .all(|d| d["delivered_at"].is_string() && d["last_status"] == "200")
    );
}

on_both_backends!(release_matrix => sqlite_release_matrix, postgres_release_matrix);

/// An import lands whole or not at all; coordination follows the CVD
/// state machines; each change is one event.
async fn import_and_coordinate(h: &Harness) {
    let w = World::build(h).await;
    let analyst = w.token(Who::Analyst);
    let osv = |id: &str, cve: &str| {
        json!({
            "schema_version": "1.7.0", "id": id, "modified": "2026-01-01T00:00:00Z",
            "aliases": [cve], "summary": "A test record",
            "affected": [{ "package": { "ecosystem": "Go", "name": "example.com/m" },
                "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.0.1" }] }] }]
        })
    };
    let before = h
        .get(&api("/assessments?limit=1000"), analyst)
        .await
        .expect(200)
        .as_array()
        .map(Vec::len);
    let events = h.event_count().await;
    let bad = h
        .post(
            &api("/assessments/import"),
            analyst,
            json!({ "documents": [
                { "name": "good.json", "document": osv("GO-2099-0101", "CVE-2099-0101") },
                { "name": "bad.json", "document": { "schema_version": "1.7.0", "id": "GO-2099-0102", "modified": "not a time" } },
            ]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.message().contains("bad.json"), "{}", bad.message());
    let after = h
        .get(&api("/assessments?limit=1000"), analyst)
        .await
        .expect(200)
        .as_array()
        .map(Vec::len);
    assert_eq!(before, after, "a rejected batch wrote assessments");
    assert_eq!(
        h.event_count().await,
        events,
        "a rejected batch wrote an event"
    );

    // Two records sharing a CVE merge.
    let report = h
        .post(
            &api("/assessments/import"),
            analyst,
            json!({ "documents": [
                { "name": "a.json", "document": osv("GO-2099-0101", "CVE-2099-0101") },
                { "name": "b.json", "document": osv("GHSA-aaaa-bbbb-cccc", "CVE-2099-0101") },
            ]}),
        )
        .await;
    assert_eq!(report.expect(201)["created"], 1, "{}", report.text);
    let one = h.get(&api("/assessments/CVE-2099-0101"), analyst).await;
    let id = one.expect(200)["assessment_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        one.json["record"]["sources"].as_array().map(Vec::len),
        Some(2)
    );

    let path = |rest: &str| api(&format!("/assessments/{id}{rest}"));
    // Report management: received → accepted is not a step.
    let skip = h
        .post(
            &path("/report-state"),
            analyst,
            json!({ "state": "accepted" }),
        )
        .await;
    assert_eq!(skip.status, 409, "{}", skip.text);
    // Publishing needs a validated report.
    let early = h
        .post(&path("/publication"), analyst, json!({ "tlp": "CLEAR" }))
        .await;
    assert_eq!(early.status, 409, "{}", early.text);
    let n = h.event_count().await;
    h.post(&path("/report-state"), analyst, json!({ "state": "valid" }))
        .await
        .expect(200);
    assert_eq!(h.event_count().await, n + 1);
    // An embargo must end in the future; the field is named.
    let past = h
        .post(
            &path("/embargo"),
            analyst,
            json!({ "action": "propose", "ends_at": "2001-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(past.status, 422, "{}", past.text);
    assert!(past.message().contains("2001"), "{}", past.message());
    // A fix is ready only once the vendor is aware.
    let unaware = h
        .post(&path("/flags"), analyst, json!({ "flag": "fix_ready" }))
        .await;
    assert_eq!(unaware.status, 409, "{}", unaware.text);
    h.post(&path("/flags"), analyst, json!({ "flag": "vendor_aware" }))
        .await
        .expect(200);
    h.post(&path("/flags"), analyst, json!({ "flag": "fix_ready" }))
        .await
        .expect(200);
    // A flag turns on once.
    let again = h
        .post(&path("/flags"), analyst, json!({ "flag": "fix_ready" }))
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    let red = h
        .post(&path("/publication"), analyst, json!({ "tlp": "RED" }))
        .await;
    assert_eq!(red.status, 422, "{}", red.text);
    assert_eq!(red.json["error"]["field"], "recipients");
    // Exports.
    for format in ["csaf", "osv", "stix"] {
        let doc = h
            .get(&path(&format!("/export?format={format}")), analyst)
            .await;
        assert!(doc.expect(200).is_object());
    }
    let cve = h.get(&path("/export?format=cve5"), analyst).await;
    assert_eq!(cve.status, 422);
    assert_eq!(cve.json["error"]["field"], "cna_org_id");
}

on_both_backends!(import_and_coordinate => sqlite_import_and_coordinate, postgres_import_and_coordinate);

/// A finding reaches the clearinghouse only as the signed terms allow, and
/// the developer sees when.
async fn escalation_follows_terms(h: &Harness) {
    let w = World::build(h).await;
    // These terms share findings after the release.
    let review = w.review(h, Lab::Own, At::Delivered).await;
    let finding = review.partner_finding.clone().expect("a partner finding");
    let escalate = review.path(&format!("/findings/{finding}/escalation"));
    let early = h
        .post(&escalate, w.token(Who::PartnerListed), json!({}))
        .await;
    assert_eq!(early.status, 409, "{}", early.text);
    assert!(early.message().contains("release"), "{}", early.message());
    let dev = h.post(&escalate, w.token(Who::DevOwn), json!({})).await;
    assert_eq!(dev.status, 403, "{}", dev.text);
    w.transition(h, &review.id, Who::DevOwn, "record_release")
        .await
        .expect(200);
    let done = h
        .post(
            &escalate,
            w.token(Who::PartnerListed),
            json!({ "tlp": "AMBER" }),
        )
        .await;
    let assessment = done.expect(201)["escalation"]["assessment_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let twice = h
        .post(&escalate, w.token(Who::PartnerListed), json!({}))
        .await;
    assert_eq!(twice.status, 409, "{}", twice.text);
    // The developer sees it among the review's events and escalations.
    let events = h.get(&review.path("/events"), w.token(Who::DevOwn)).await;
    assert!(
        events
            .expect(200)
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "finding_escalated"),
        "{}",
        events.text
    );
    let listed = h
        .get(&review.path("/escalations"), w.token(Who::DevOwn))
        .await;
    assert_eq!(listed.expect(200)[0]["finding_id"], finding.as_str());
    // The analyst holds an assessment of the model, summary only as these terms say.
    let a = h
        .get(
            &api(&format!("/assessments/{assessment}")),
            w.token(Who::Analyst),
        )
        .await;
    let record = &a.expect(200)["record"];
    assert_eq!(
        record["sources"][0]["origin"]["finding"],
        finding.as_str(),
        "{record}"
    );
    assert_eq!(
        record["descriptions"].as_array().map(Vec::len),
        Some(1),
        "summary only: {record}"
    );
    assert_eq!(record["coordination"]["flags"]["vendor_aware"], true);

    // Terms that share a finding days after it was filed.
    for (days, status) in [(0, 201), (30, 409)] {
        let review = w
            .review_with(h, Lab::Own, At::PartnerPhase, |w, r| w.submission_body(r), |t| {
                t["clearinghouse"] = json!({ "when": "after_days_from_report", "days": days, "what": "full_findings" });
            })
            .await;
        let finding = review.partner_finding.clone().expect("a partner finding");
        let resp = h
            .post(
                &review.path(&format!("/findings/{finding}/escalation")),
                w.token(Who::PartnerListed),
                json!({}),
            )
            .await;
        assert_eq!(resp.status, status, "after {days} days: {}", resp.text);
    }
}

on_both_backends!(escalation_follows_terms => sqlite_escalation_follows_terms, postgres_escalation_follows_terms);
