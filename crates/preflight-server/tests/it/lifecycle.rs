//! A review from start to finish, and the record of events it leaves: every
//! state change writes exactly its events, in order, naming who acted.

use crate::harness::{Harness, Resp, api};
use crate::world::{Lab, Review, Who, World, now};
use chrono::Duration;
use serde_json::json;

/// One step of the happy path: who did it and the events it must write.
struct Step {
    what: &'static str,
    who: Who,
    /// `(kind, action)` of each event, `action` for `transitioned` only.
    events: &'static [(&'static str, Option<&'static str>)],
}

const HAPPY_PATH: &[Step] = &[
    Step {
        what: "create",
        who: Who::DevOwn,
        events: &[("submission_created", None)],
    },
    Step {
        what: "submit",
        who: Who::DevOwn,
        events: &[("transitioned", Some("submit"))],
    },
    Step {
        what: "propose terms",
        who: Who::DevOwn,
        events: &[("terms_proposed", None)],
    },
    Step {
        what: "sign (developer)",
        who: Who::DevOwn,
        events: &[("terms_signed", None)],
    },
    Step {
        what: "sign (government)",
        who: Who::Gov,
        events: &[
            ("terms_signed", None),
            ("transitioned", Some("agree_terms")),
        ],
    },
    Step {
        what: "start government phase",
        who: Who::Gov,
        events: &[("transitioned", Some("start_government_phase"))],
    },
    Step {
        what: "start partner phase",
        who: Who::Gov,
        events: &[("transitioned", Some("start_partner_phase"))],
    },
    Step {
        what: "file finding",
        who: Who::PartnerListed,
        events: &[("finding_filed", None)],
    },
    Step {
        what: "answer finding",
        who: Who::DevOwn,
        events: &[("finding_answered", None)],
    },
    Step {
        what: "deliver report",
        who: Who::Gov,
        events: &[("report_delivered", None)],
    },
    Step {
        what: "record release",
        who: Who::DevOwn,
        events: &[("transitioned", Some("record_release"))],
    },
];

/// Does one step of the happy path and returns its response.
async fn step(h: &Harness, w: &World, s: &Step, id: &mut String, finding: &mut String) -> Resp {
    let who = s.who;
    let release = now() + Duration::days(20);
    let at = |rest: &str| api(&format!("/submissions/{id}{rest}"));
    match s.what {
        "create" => {
            let resp = h
                .post(
                    &api("/submissions"),
                    w.token(who),
                    w.submission_body(release),
                )
                .await;
            *id = resp.expect(201)["id"].as_str().expect("id").to_owned();
            assert_eq!(resp.json["stage"], "draft");
            assert_eq!(resp.json["has_upstream_credential"], true);
            resp
        }
        "submit" => w.transition(h, id, who, "submit").await,
        "propose terms" => {
            let sub = h.get(&at(""), w.token(who)).await;
            let release = sub.expect(200)["planned_release_at"]
                .as_str()
                .expect("release")
                .parse()
                .expect("time");
            h.post(&at("/terms"), w.token(who), w.terms_body(Lab::Own, release))
                .await
        }
        "sign (developer)" => w.sign(h, id, 1, who, "developer").await,
        "sign (government)" => w.sign(h, id, 1, who, "government").await,
        "start government phase" => w.transition(h, id, who, "start_government_phase").await,
        "start partner phase" => w.transition(h, id, who, "start_partner_phase").await,
        "file finding" => {
            let resp = h
                .post(&at("/findings"), w.token(who), w.finding_body("critical"))
                .await;
            *finding = resp.expect(201)["id"].as_str().expect("id").to_owned();
            resp
        }
        "answer finding" => {
            h.post(
                &at(&format!("/findings/{finding}/responses")),
                w.token(who),
                json!({ "status": "mitigated", "comment": "refusal training added" }),
            )
            .await
        }
        "deliver report" => {
            h.call(reqwest::Method::POST, &at("/report"), w.token(who), None)
                .await
        }
        "record release" => w.transition(h, id, who, "record_release").await,
        other => panic!("no step {other}"),
    }
}

/// Drives a review of the own lab from creation to release, checking every
/// step's status and how many events it wrote. Returns the review.
pub async fn happy_path(h: &Harness, w: &World) -> Review {
    let mut id = String::new();
    let mut finding = String::new();
    for s in HAPPY_PATH {
        let before = h.event_count().await;
        let resp = step(h, w, s, &mut id, &mut finding).await;
        assert!(
            resp.is_success(),
            "{} by {}: {} {}",
            s.what,
            s.who.name(),
            resp.status,
            resp.text
        );
        let written = h.event_count().await - before;
        assert_eq!(
            written,
            s.events.len() as i64,
            "{} wrote {written} events",
            s.what
        );
    }
    let sub = h
        .get(&api(&format!("/submissions/{id}")), w.token(Who::DevOwn))
        .await;
    let sub = sub.expect(200);
    assert_eq!(sub["stage"], "report_delivered");
    assert_eq!(sub["outcome"]["kind"], "released");
    assert_eq!(sub["agreed_terms_version"], 1);
    let report = h
        .get(
            &api(&format!("/submissions/{id}/report")),
            w.token(Who::DevOwn),
        )
        .await;
    let report = report.expect(200);
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["unanswered_findings"], 0);
    Review {
        release: sub["planned_release_at"]
            .as_str()
            .expect("release")
            .parse()
            .expect("time"),
        id,
        lab: Lab::Own,
        gov_finding: None,
        partner_finding: Some(finding),
    }
}

async fn every_state_change_writes_its_event(h: &Harness) {
    let w = World::build(h).await;
    let review = happy_path(h, &w).await;
    let events = h.get(&review.path("/events"), w.token(Who::DevOwn)).await;
    let events = events.expect(200).as_array().expect("events").clone();

    let expected: Vec<(&str, Option<&str>, Who)> = HAPPY_PATH
        .iter()
        .flat_map(|s| {
            s.events
                .iter()
                .map(move |(kind, action)| (*kind, *action, s.who))
        })
        .collect();
    let seen: Vec<(String, Option<String>)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("?").to_owned(),
                e["details"]["action"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let want: Vec<(String, Option<String>)> = expected
        .iter()
        .map(|(k, a, _)| ((*k).to_owned(), a.map(str::to_owned)))
        .collect();
    assert_eq!(seen, want, "events of the review, oldest first");

    for (event, (kind, _, who)) in events.iter().zip(&expected) {
        let actor = &w.person(*who).expect("person").id;
        assert_eq!(
            event["actor"].as_str(),
            Some(actor.as_str()),
            "actor of {kind}: {event}"
        );
        assert_eq!(event["submission_id"].as_str(), Some(review.id.as_str()));
    }
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["at"].as_str().unwrap_or(""))
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "events are in time order");

    // The moves the events describe, stage by stage.
    let moves: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["kind"] == "transitioned")
        .map(|e| {
            (
                e["details"]["from"].as_str().unwrap_or("?"),
                e["details"]["to"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("draft", "submitted"),
            ("submitted", "terms_agreed"),
            ("terms_agreed", "government_phase"),
            ("government_phase", "partner_phase"),
            ("report_delivered", "report_delivered"),
        ]
    );
    let delivered = events
        .iter()
        .find(|e| e["kind"] == "report_delivered")
        .expect("delivery");
    assert_eq!(delivered["details"]["to"], "report_delivered");

    // The government reads the same record; a partner, another lab and an
    // operator do not.
    let gov = h.get(&review.path("/events"), w.token(Who::Gov)).await;
    assert_eq!(gov.expect(200).as_array().map(Vec::len), Some(events.len()));
    h.get(&review.path("/events"), w.token(Who::PartnerListed))
        .await
        .expect(403);
    h.get(&review.path("/events"), w.token(Who::DevOther))
        .await
        .expect(404);
    h.get(&review.path("/events"), w.token(Who::Operator))
        .await
        .expect(404);
}

on_both_backends!(every_state_change_writes_its_event => sqlite_events_of_the_happy_path, postgres_events_of_the_happy_path);
