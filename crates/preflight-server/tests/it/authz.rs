//! Who may do what. The authorization matrix walks every route of the
//! OpenAPI document (so a new route cannot be forgotten) as every role, on
//! the own lab's review and on another lab's, against a world in which the
//! call would otherwise succeed.

use crate::harness::{Harness, api};
use crate::world::{At, Lab, Review, Who, World, now, rfc3339};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

/// Who may get a 2xx, by role and the lab whose review is the target (the
/// lab is `Own` for routes without a review).
type Allow = fn(Who, Lab) -> bool;

#[derive(Clone, Copy)]
enum Body {
    None,
    Json(fn(&Cx<'_>) -> Value),
    /// A signature over terms version 1 for this side, made with the
    /// caller's own registered key.
    Sign(&'static str),
}

/// What a request body may depend on.
struct Cx<'a> {
    w: &'a World,
    who: Who,
    review: Option<&'a Review>,
}

/// One row of the expectation table.
struct Row {
    method: &'static str,
    /// The path as the OpenAPI document spells it.
    path: &'static str,
    /// Which use of the route this row is, when a route has several.
    what: &'static str,
    /// For review routes: the stage of a review on which the call succeeds
    /// for whoever may make it.
    at: Option<At>,
    /// Whether a successful call changes the review (it is then not reused).
    mutates: bool,
    allow: Allow,
    /// The refusal for a caller who may know the target exists. A caller who
    /// may not see the review gets 404; a caller without a token 401.
    refused: u16,
    body: Body,
}

fn owner(who: Who, lab: Lab) -> bool {
    matches!(
        (who, lab),
        (Who::DevOwn, Lab::Own) | (Who::DevOther, Lab::Other)
    )
}

fn signed_in(who: Who, _: Lab) -> bool {
    who != Who::Anonymous
}

fn developer(who: Who) -> bool {
    matches!(who, Who::DevOwn | Who::DevOther)
}

fn partner(who: Who) -> bool {
    matches!(who, Who::PartnerListed | Who::PartnerUnlisted)
}

/// Whether `who` may know that a review of `lab` at `at` exists: admins;
/// its developer; the government once it is submitted; a partner whose
/// organisation the agreed terms list. Nobody else.
fn clearinghouse_reader(who: Who, _: Lab) -> bool {
    matches!(who, Who::Admin | Who::Analyst)
}

fn in_an_org(who: Who, _: Lab) -> bool {
    !matches!(who, Who::Admin | Who::Anonymous)
}

/// Members of the own lab (the organisation the `{org_id}` rows name) and admins.
fn own_lab_or_admin(who: Who, _: Lab) -> bool {
    matches!(who, Who::Admin | Who::DevOwn)
}

/// A small OSV record to import.
fn osv_record() -> Value {
    json!({
        "schema_version": "1.7.0",
        "id": "GO-2099-0001",
        "modified": "2026-01-01T00:00:00Z",
        "aliases": ["CVE-2099-0001"],
        "summary": "A test record",
        "affected": [{
            "package": { "ecosystem": "Go", "name": "example.com/module" },
            "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.2.3" }] }]
        }]
    })
}

fn sees(who: Who, lab: Lab, at: At) -> bool {
    match who {
        Who::Admin => true,
        Who::DevOwn | Who::DevOther => owner(who, lab),
        Who::Gov => at != At::Draft,
        Who::PartnerListed => lab == Lab::Own && at >= At::Agreed,
        Who::PartnerUnlisted | Who::Analyst | Who::Operator | Who::Anonymous => false,
    }
}

fn table() -> Vec<Row> {
    use At::*;
    let row = |method, path, allow: Allow| Row {
        method,
        path,
        what: "",
        at: None,
        mutates: false,
        allow,
        refused: 403,
        body: Body::None,
    };
    let review = |method, path, at, allow: Allow| Row {
        at: Some(at),
        mutates: method != "GET",
        ..row(method, path, allow)
    };
    let transition = |what, at, allow: Allow| Row {
        what,
        body: Body::Json(match what {
            "submit" => |_| json!({ "action": "submit" }),
            "start_government_phase" => |_| json!({ "action": "start_government_phase" }),
            "start_partner_phase" => |_| json!({ "action": "start_partner_phase" }),
            "record_release" => |_| json!({ "action": "record_release" }),
            "withdraw" => |_| json!({ "action": "withdraw" }),
            "close" => |_| json!({ "action": "close" }),
            other => panic!("no transition {other}"),
        }),
        ..review(
            "POST",
            "/submissions/{submission_id}/transitions",
            at,
            allow,
        )
    };
    vec![
        // The caller.
        row("GET", "/me", signed_in),
        Row {
            body: Body::Json(
                |cx| json!({ "public_key": cx.w.person(cx.who).unwrap_or(&cx.w.admin).public_key() }),
            ),
            ..row("PUT", "/me/public-key", signed_in)
        },
        Row {
            body: Body::Json(|_| json!({ "label": "ci", "expires_at": null })),
            ..row("POST", "/me/tokens", signed_in)
        },
        row("GET", "/me/tokens", signed_in),
        row("DELETE", "/me/tokens/{token_id}", signed_in),
        // Organisations, people, tokens: admins make them.
        Row {
            body: Body::Json(
                |cx| json!({ "name": format!("Lab {}", cx.w.next()), "kind": "developer_lab" }),
            ),
            ..row("POST", "/orgs", |who, _| who == Who::Admin)
        },
        row("GET", "/orgs", signed_in),
        Row {
            refused: 404,
            ..row("GET", "/orgs/{org_id}", |who, _| {
                matches!(who, Who::Admin | Who::Gov) || developer(who)
            })
        },
        Row {
            body: Body::Json(|cx| {
                json!({
                    "org_id": cx.w.orgs.clearinghouse,
                    "name": "New Analyst",
                    "email": format!("analyst{}@clearinghouse.example", cx.w.next()),
                    "role": "clearinghouse_analyst",
                })
            }),
            ..row("POST", "/users", |who, _| who == Who::Admin)
        },
        row("GET", "/users", signed_in),
        Row {
            body: Body::Json(|_| json!({ "label": "issued", "expires_at": null })),
            ..row("POST", "/users/{user_id}/tokens", |who, _| {
                who == Who::Admin
            })
        },
        // The partner registry.
        row("GET", "/partners", |who, _| {
            matches!(who, Who::Admin | Who::Gov) || developer(who) || partner(who)
        }),
        Row {
            refused: 404,
            ..row("GET", "/partners/{org_id}/vetting", |who, _| {
                matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || developer(who)
            })
        },
        Row {
            body: Body::Json(|cx| {
                json!({
                    "status": "vetted",
                    "vetted_until": crate::world::rfc3339(cx.w.vetted_until),
                    "conflicts_with": [],
                    "notes": "background checks done",
                })
            }),
            ..row("PUT", "/partners/{org_id}/vetting", |who, _| {
                matches!(who, Who::Admin | Who::Gov)
            })
        },
        // Reviews.
        Row {
            body: Body::Json(|cx| {
                cx.w.submission_body(crate::world::now() + chrono::Duration::days(20))
            }),
            ..row("POST", "/submissions", |who, _| developer(who))
        },
        row("GET", "/submissions", signed_in),
        review(
            "GET",
            "/submissions/{submission_id}",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || owner(who, lab),
        ),
        transition("submit", Draft, owner),
        // Admins read every review but take no step in one.
        transition("start_government_phase", Agreed, |who, _| who == Who::Gov),
        transition("start_partner_phase", GovPhase, |who, _| who == Who::Gov),
        transition("record_release", GovPhase, owner),
        transition("withdraw", Submitted, owner),
        transition("close", Delivered, |who, lab| {
            who == Who::Gov || owner(who, lab)
        }),
        review(
            "GET",
            "/submissions/{submission_id}/events",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov) || owner(who, lab),
        ),
        // Terms.
        Row {
            body: Body::Json(|cx| {
                let r = cx.review.expect("review");
                cx.w.terms_body(r.lab, r.release)
            }),
            ..review(
                "POST",
                "/submissions/{submission_id}/terms",
                Submitted,
                |who, lab| who == Who::Gov || owner(who, lab),
            )
        },
        review(
            "GET",
            "/submissions/{submission_id}/terms",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov) || owner(who, lab),
        ),
        review(
            "GET",
            "/submissions/{submission_id}/terms/{version}",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov) || owner(who, lab),
        ),
        review(
            "GET",
            "/submissions/{submission_id}/terms/agreed",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || owner(who, lab),
        ),
        Row {
            what: "developer side",
            body: Body::Sign("developer"),
            ..review(
                "POST",
                "/submissions/{submission_id}/terms/{version}/signatures",
                Proposed,
                owner,
            )
        },
        Row {
            what: "government side",
            body: Body::Sign("government"),
            ..review(
                "POST",
                "/submissions/{submission_id}/terms/{version}/signatures",
                Proposed,
                |who, _| who == Who::Gov,
            )
        },
        // Findings.
        Row {
            body: Body::Json(|cx| cx.w.finding_body("low")),
            ..review(
                "POST",
                "/submissions/{submission_id}/findings",
                PartnerPhase,
                |who, _| matches!(who, Who::Gov | Who::PartnerListed),
            )
        },
        review(
            "GET",
            "/submissions/{submission_id}/findings",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || owner(who, lab),
        ),
        review(
            "GET",
            "/submissions/{submission_id}/findings/{finding_id}",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || owner(who, lab),
        ),
        Row {
            body: Body::Json(|_| json!({ "status": "acknowledged", "comment": "looking into it" })),
            ..review(
                "POST",
                "/submissions/{submission_id}/findings/{finding_id}/responses",
                PartnerPhase,
                owner,
            )
        },
        // The report.
        review(
            "GET",
            "/submissions/{submission_id}/report",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov) || owner(who, lab),
        ),
        review(
            "POST",
            "/submissions/{submission_id}/report",
            PartnerPhase,
            |who, _| who == Who::Gov,
        ),
        review(
            "GET",
            "/submissions/{submission_id}/report.html",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov) || owner(who, lab),
        ),
        // The ledger: proofs for every participant, a review's evidence for
        // those who read the review in full.
        row("GET", "/ledger/proofs/inclusion", signed_in),
        row("GET", "/ledger/proofs/consistency", signed_in),
        review(
            "GET",
            "/submissions/{submission_id}/ledger",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov) || owner(who, lab),
        ),
        // The gateway: tokens for reviewers on an access list; calls and
        // usage for whoever reads the review; transcripts only of real calls
        // (none here; the gateway tests cover who reads which).
        Row {
            body: Body::Json(|_| json!({ "label": "red team" })),
            mutates: false,
            ..review(
                "POST",
                "/submissions/{submission_id}/gateway-tokens",
                PartnerPhase,
                |who, _| matches!(who, Who::Gov | Who::PartnerListed),
            )
        },
        review(
            "GET",
            "/submissions/{submission_id}/gateway-tokens",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || owner(who, lab),
        ),
        Row {
            refused: 404,
            mutates: false,
            ..review(
                "DELETE",
                "/submissions/{submission_id}/gateway-tokens/{token_id}",
                PartnerPhase,
                |who, _| matches!(who, Who::Gov | Who::PartnerListed),
            )
        },
        review(
            "GET",
            "/submissions/{submission_id}/calls",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || owner(who, lab),
        ),
        review(
            "GET",
            "/submissions/{submission_id}/usage",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov | Who::PartnerListed) || owner(who, lab),
        ),
        Row {
            refused: 404,
            ..review(
                "GET",
                "/submissions/{submission_id}/calls/{call_id}/transcript",
                PartnerPhase,
                |_, _| false,
            )
        },
        // Evaluations: the government runs suites; the developer reads the
        // aggregate scores; partners see none.
        row("GET", "/suites", |who, _| {
            matches!(who, Who::Admin | Who::Gov)
        }),
        Row {
            body: Body::Json(|_| json!({ "suite": "smoke", "limit": 1 })),
            mutates: false,
            ..review(
                "POST",
                "/submissions/{submission_id}/evaluations",
                PartnerPhase,
                |who, _| who == Who::Gov,
            )
        },
        review(
            "GET",
            "/submissions/{submission_id}/evaluations",
            PartnerPhase,
            |who, lab| matches!(who, Who::Admin | Who::Gov) || owner(who, lab),
        ),
        Row {
            refused: 404,
            ..review(
                "GET",
                "/submissions/{submission_id}/evaluations/{run_id}",
                PartnerPhase,
                |_, _| false,
            )
        },
        // Escalation to the clearinghouse: the finder's organisation or
        // the government, once the terms allow (these allow it after the
        // release); every reader of the review sees that it happened.
        Row {
            body: Body::Json(|_| json!({ "tlp": "AMBER" })),
            ..review(
                "POST",
                "/submissions/{submission_id}/findings/{finding_id}/escalation",
                Released,
                |who, lab| who == Who::Gov || (who == Who::PartnerListed && lab == Lab::Own),
            )
        },
        review(
            "GET",
            "/submissions/{submission_id}/escalations",
            Released,
            |_, _| true,
        ),
        // The clearinghouse: analysts work assessments, admins read them.
        row("GET", "/assessments", clearinghouse_reader),
        Row {
            body: Body::Json(
                |_| json!({ "reporter": "A researcher", "title": "Prompt injection in a plug-in", "description": "Details." }),
            ),
            ..row("POST", "/assessments", |who, _| who == Who::Analyst)
        },
        Row {
            body: Body::Json(
                |_| json!({ "documents": [{ "name": "osv.json", "document": osv_record() }] }),
            ),
            ..row("POST", "/assessments/import", |who, _| who == Who::Analyst)
        },
        row("GET", "/assessments/{assessment_id}", clearinghouse_reader),
        Row {
            body: Body::Json(|_| json!({ "state": "valid" })),
            ..row(
                "POST",
                "/assessments/{assessment_id}/report-state",
                |who, _| who == Who::Analyst,
            )
        },
        Row {
            body: Body::Json(
                |_| json!({ "action": "propose", "ends_at": rfc3339(now() + chrono::Duration::days(30)) }),
            ),
            ..row("POST", "/assessments/{assessment_id}/embargo", |who, _| {
                who == Who::Analyst
            })
        },
        Row {
            body: Body::Json(|_| json!({ "flag": "vendor_aware" })),
            ..row("POST", "/assessments/{assessment_id}/flags", |who, _| {
                who == Who::Analyst
            })
        },
        Row {
            body: Body::Json(|_| json!({ "tlp": "GREEN", "sectors": ["healthcare"] })),
            ..row(
                "POST",
                "/assessments/{assessment_id}/publication",
                |who, _| who == Who::Analyst,
            )
        },
        row(
            "GET",
            "/assessments/{assessment_id}/export",
            clearinghouse_reader,
        ),
        // What is released, to every organisation it reaches (a CLEAR one
        // here); people without an organisation receive nothing.
        row("GET", "/advisories", in_an_org),
        row("GET", "/advisories/{assessment_id}", in_an_org),
        // An organisation's own sharing settings.
        row("GET", "/orgs/{org_id}/subscription", own_lab_or_admin),
        Row {
            body: Body::Json(
                |_| json!({ "sectors": ["finance"], "products": [], "webhook_url": null }),
            ),
            ..row("PUT", "/orgs/{org_id}/subscription", |who, _| {
                who == Who::DevOwn
            })
        },
        Row {
            body: Body::Json(|_| json!({ "clients": [] })),
            ..row("PUT", "/orgs/{org_id}/clients", |who, _| who == Who::Admin)
        },
        row("GET", "/orgs/{org_id}/deliveries", own_lab_or_admin),
        // Needs no token.
        row("GET", "/version", |_, _| true),
    ]
}

/// `(METHOD, path)` of every operation in the OpenAPI document.
fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"]
        .as_object()
        .expect("paths in the OpenAPI document");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        for method in [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// What the table expects of one cell.
fn expected(row: &Row, who: Who, lab: Lab) -> Option<u16> {
    if (row.allow)(who, lab) && row.at.is_none_or(|at| sees(who, lab, at)) {
        return None;
    }
    if who == Who::Anonymous {
        return Some(401);
    }
    match row.at {
        Some(at) if !sees(who, lab, at) => Some(404),
        _ => Some(row.refused),
    }
}

/// A response body, cut short for a failure list.
fn clip(text: &str) -> String {
    if text.chars().count() > 300 {
        format!("{}...", text.chars().take(300).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// What the admin can read of a review: a refused call must leave it as it was.
async fn snapshot(h: &Harness, w: &World, review: &Review) -> Vec<Value> {
    let mut out = Vec::new();
    for rest in ["", "/events", "/terms", "/findings"] {
        let resp = h.get(&review.path(rest), w.token(Who::Admin)).await;
        out.push(resp.expect(200).clone());
    }
    out
}

async fn authorization_matrix(h: &Harness) {
    let w = World::build(h).await;
    let doc = h.get(&api("/openapi.json"), None).await;
    let documented = documented_routes(doc.expect(200));
    let table = table();
    let tabled: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&tabled).collect();
    assert!(
        missing.is_empty(),
        "routes in the OpenAPI document without a row in the authorization table: {missing:?}"
    );
    let stale: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows of the authorization table for routes the OpenAPI document lacks: {stale:?}"
    );

    let released = w.released_assessment(h).await;
    let mut fixtures: HashMap<(Lab, At), Review> = HashMap::new();
    let mut failures = Vec::new();
    let mut cells = 0;
    for row in &table {
        let labs: &[Lab] = if row.at.is_some() {
            &[Lab::Own, Lab::Other]
        } else {
            &[Lab::Own]
        };
        for &lab in labs {
            for who in Who::ALL {
                cells += 1;
                let review = match row.at {
                    Some(at) => {
                        if let Entry::Vacant(slot) = fixtures.entry((lab, at)) {
                            slot.insert(w.review(h, lab, at).await);
                        }
                        fixtures.get(&(lab, at))
                    }
                    None => None,
                };
                let token_id = match (row.path, w.person(who), review) {
                    (
                        "/submissions/{submission_id}/gateway-tokens/{token_id}",
                        Some(_),
                        Some(review),
                    ) if (row.allow)(who, lab) && sees(who, lab, At::PartnerPhase) => {
                        let made = h
                            .post(
                                &review.path("/gateway-tokens"),
                                w.token(who),
                                json!({ "label": "to revoke" }),
                            )
                            .await;
                        made.expect(201)["id"]
                            .as_str()
                            .expect("token id")
                            .to_owned()
                    }
                    _ => match (row.path, w.person(who)) {
                        ("/me/tokens/{token_id}", Some(p)) => {
                            let made = h
                                .post(
                                    &api(&format!("/users/{}/tokens", p.id)),
                                    w.token(Who::Admin),
                                    json!({ "label": "to revoke", "expires_at": null }),
                                )
                                .await;
                            made.expect(201)["id"]
                                .as_str()
                                .expect("token id")
                                .to_owned()
                        }
                        _ => uuid::Uuid::now_v7().to_string(),
                    },
                };
                let assessment_id = if row.path.starts_with("/advisories/") {
                    released.clone()
                } else if row.path.contains("{assessment_id}") {
                    // A fresh one a cell: coordination steps change it.
                    w.assessment(h, row.path.ends_with("/publication")).await
                } else {
                    String::new()
                };
                let path = row
                    .path
                    .replace("{assessment_id}", &assessment_id)
                    .replace("{submission_id}", review.map_or("", |r| r.id.as_str()))
                    .replace("{version}", "1")
                    .replace(
                        "{finding_id}",
                        review
                            .and_then(|r| match lab {
                                Lab::Own => r.partner_finding.as_deref(),
                                Lab::Other => r.gov_finding.as_deref(),
                            })
                            .unwrap_or(""),
                    )
                    .replace(
                        "{org_id}",
                        if row.path.starts_with("/partners") {
                            &w.orgs.vetted_partner
                        } else {
                            &w.orgs.own_lab
                        },
                    )
                    .replace("{user_id}", &w.dev_own.id)
                    .replace("{token_id}", &token_id)
                    .replace("{call_id}", &uuid::Uuid::now_v7().to_string())
                    .replace("{run_id}", &uuid::Uuid::now_v7().to_string())
                    + match row.path {
                        "/ledger/proofs/inclusion" => "?index=0&size=1",
                        "/ledger/proofs/consistency" => "?from=1&to=1",
                        "/assessments/{assessment_id}/export" => "?format=osv",
                        _ => "",
                    };
                let cx = Cx { w: &w, who, review };
                let body = match row.body {
                    Body::None => None,
                    Body::Json(make) => Some(make(&cx)),
                    Body::Sign(side) => {
                        let r = review.expect("a review to sign");
                        let key = &w.person(who).unwrap_or(&w.admin).key;
                        let signature = w.signature(h, &r.id, 1, key).await;
                        Some(json!({ "side": side, "signature": signature }))
                    }
                };
                let events_before = h.event_count().await;
                let before = match (row.mutates, review) {
                    (true, Some(r)) => Some(snapshot(h, &w, r).await),
                    _ => None,
                };
                let method = Method::from_bytes(row.method.as_bytes()).expect("method");
                let resp = h
                    .call(method, &api(&path), w.token(who), body.as_ref())
                    .await;
                let cell = format!(
                    "{} {}{} as {}{}",
                    row.method,
                    row.path,
                    if row.what.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", row.what)
                    },
                    who.name(),
                    if row.at.is_some() {
                        format!(" on the {}", lab.name())
                    } else {
                        String::new()
                    },
                );
                match expected(row, who, lab) {
                    None if !resp.is_success() => failures.push(format!(
                        "{cell}: should be allowed, got {}: {}",
                        resp.status,
                        clip(&resp.text)
                    )),
                    None => {}
                    Some(_) if resp.is_success() => failures.push(format!(
                        "{cell}: UNEXPECTEDLY ALLOWED ({}): {}",
                        resp.status,
                        clip(&resp.text)
                    )),
                    Some(status) => {
                        if resp.status != status {
                            failures.push(format!(
                                "{cell}: expected {status}, got {}: {}",
                                resp.status,
                                clip(&resp.text)
                            ));
                        }
                        if h.event_count().await != events_before {
                            failures.push(format!("{cell}: refused, yet an event was written"));
                        }
                        let changed = match (before, review) {
                            (Some(before), Some(r)) => snapshot(h, &w, r).await != before,
                            _ => false,
                        };
                        if changed {
                            failures.push(format!("{cell}: refused, yet the review changed"));
                        }
                    }
                }
                if resp.is_success() && row.mutates {
                    // Whatever the verdict, the review moved on: the next
                    // cell gets a fresh one.
                    if let Some(at) = row.at {
                        fixtures.remove(&(lab, at));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} authorization cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

on_both_backends!(authorization_matrix => sqlite_authorization_matrix, postgres_authorization_matrix);

/// Who finds which review in the list and by id; what a partner sees of one.
async fn who_sees_which_review(h: &Harness) {
    let w = World::build(h).await;
    let own = w.review(h, Lab::Own, At::PartnerPhase).await;
    let other = w.review(h, Lab::Other, At::PartnerPhase).await;
    let own_draft = w.review(h, Lab::Own, At::Draft).await;
    let own_submitted = w.review(h, Lab::Own, At::Submitted).await;
    let all = [&own, &other, &own_draft, &own_submitted];
    for who in Who::ALL {
        let visible: BTreeSet<&str> = match who {
            Who::Admin => all.iter().map(|r| r.id.as_str()).collect(),
            Who::DevOwn => [&own, &own_draft, &own_submitted]
                .iter()
                .map(|r| r.id.as_str())
                .collect(),
            Who::DevOther => [other.id.as_str()].into(),
            Who::Gov => [
                own.id.as_str(),
                other.id.as_str(),
                own_submitted.id.as_str(),
            ]
            .into(),
            Who::PartnerListed => [own.id.as_str()].into(),
            Who::PartnerUnlisted | Who::Analyst | Who::Operator | Who::Anonymous => BTreeSet::new(),
        };
        let list = h.get(&api("/submissions"), w.token(who)).await;
        if who == Who::Anonymous {
            list.expect(401);
            continue;
        }
        let listed: BTreeSet<&str> = list
            .expect(200)
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert_eq!(listed, visible, "GET /submissions as {}", who.name());
        for r in all {
            let one = h.get(&r.path(""), w.token(who)).await;
            let status = if visible.contains(r.id.as_str()) {
                200
            } else {
                404
            };
            one.expect(status);
            if status == 404 {
                assert_eq!(one.json["error"]["code"], "not_found", "{}", one.text);
            }
        }
    }

    // A partner sees the review, not the developer's endpoint.
    let seen = h.get(&own.path(""), w.token(Who::PartnerListed)).await;
    assert_eq!(seen.expect(200)["upstream"]["url"], "(confidential)");
    let seen = h.get(&own.path(""), w.token(Who::Gov)).await;
    assert_eq!(
        seen.expect(200)["upstream"]["url"],
        "https://models.lab.example/v1"
    );

    // A partner reads its own organisation's findings, not the government's.
    let findings = h
        .get(&own.path("/findings"), w.token(Who::PartnerListed))
        .await;
    let ids: Vec<&str> = findings
        .expect(200)
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [own.partner_finding.as_deref().expect("partner finding")]
    );
    let gov_finding = own.gov_finding.as_deref().expect("government finding");
    h.get(
        &own.path(&format!("/findings/{gov_finding}")),
        w.token(Who::PartnerListed),
    )
    .await
    .expect(404);
    let all_findings = h.get(&own.path("/findings"), w.token(Who::DevOwn)).await;
    assert_eq!(all_findings.expect(200).as_array().map(Vec::len), Some(2));

    // A finding is reached only through its own review.
    h.get(
        &other.path(&format!("/findings/{gov_finding}")),
        w.token(Who::Admin),
    )
    .await
    .expect(404);

    // A token is revoked only by its owner.
    let made = h
        .post(
            &api("/me/tokens"),
            w.token(Who::DevOwn),
            json!({ "label": "mine", "expires_at": null }),
        )
        .await;
    let token_id = made.str("id");
    let secret = made.str("token");
    h.call(
        Method::DELETE,
        &api(&format!("/me/tokens/{token_id}")),
        w.token(Who::DevOther),
        None,
    )
    .await
    .expect(404);
    h.get(&api("/me"), Some(&secret)).await.expect(200);
    h.call(
        Method::DELETE,
        &api(&format!("/me/tokens/{token_id}")),
        Some(&secret),
        None,
    )
    .await
    .expect(204);
    h.get(&api("/me"), Some(&secret)).await.expect(401);

    // Organisations: those who choose reviewers see all; others their own.
    for who in [Who::PartnerListed, Who::Analyst, Who::Operator] {
        let orgs = h.get(&api("/orgs"), w.token(who)).await;
        let orgs = orgs.expect(200).as_array().expect("orgs").clone();
        let mine = w.person(who).and_then(|p| p.org_id.clone()).expect("org");
        assert_eq!(orgs.len(), 1, "{} sees one organisation", who.name());
        assert_eq!(orgs[0]["id"].as_str(), Some(mine.as_str()));
        h.get(&api(&format!("/orgs/{mine}")), w.token(who))
            .await
            .expect(200);
    }
}

on_both_backends!(who_sees_which_review => sqlite_who_sees_which_review, postgres_who_sees_which_review);

/// A developer sees whether a partner declared a conflict with it, never a
/// conflict with another lab nor the vetting notes; the government sees all.
async fn partner_registry_as_developers_see_it(h: &Harness) {
    let w = World::build(h).await;
    let path = format!("/partners/{}/vetting", w.orgs.conflicted_partner);
    let w = &w;
    let seen = |who| {
        let path = path.clone();
        async move { h.get(&api(&path), w.token(who)).await.expect(200).clone() }
    };
    let own = seen(Who::DevOwn).await;
    assert_eq!(
        own["conflicts_with"],
        json!([w.orgs.own_lab]),
        "own lab's developer: {own}"
    );
    assert_eq!(own["notes"], json!(""), "notes shown to a developer: {own}");
    let other = seen(Who::DevOther).await;
    assert_eq!(
        other["conflicts_with"],
        json!([]),
        "another lab learned of the conflict: {other}"
    );
    assert_eq!(other["notes"], json!(""));
    let gov = seen(Who::Gov).await;
    assert_eq!(gov["conflicts_with"], json!([w.orgs.own_lab]));
    assert_eq!(gov["notes"], json!("background checks done"));

    let listed = h
        .get(&api("/partners"), w.token(Who::DevOther))
        .await
        .expect(200)
        .clone();
    let text = listed.to_string();
    assert!(
        !text.contains(&w.orgs.own_lab),
        "registry list told another lab of the conflict: {text}"
    );
    assert!(
        !text.contains("background checks done"),
        "registry list shows notes to a developer"
    );
}
on_both_backends!(partner_registry_as_developers_see_it => sqlite_partner_registry_as_developers_see_it, postgres_partner_registry_as_developers_see_it);
