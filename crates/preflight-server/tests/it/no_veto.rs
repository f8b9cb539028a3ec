//! No veto: the developer records its release, or withdraws, at any stage,
//! whatever the findings say; afterwards access is closed.

use crate::harness::Harness;
use crate::world::{At, Lab, Who, World};
use reqwest::Method;
use serde_json::json;

async fn release_and_withdrawal_are_never_blocked(h: &Harness) {
    let w = World::build(h).await;
    let dev = w.token(Who::DevOwn);
    for at in At::ALL {
        for action in ["record_release", "withdraw"] {
            let review = w.review(h, Lab::Own, at).await;
            if at == At::GovPhase {
                // An open critical finding, unanswered.
                h.post(
                    &review.path("/findings"),
                    w.token(Who::Gov),
                    w.finding_body("critical"),
                )
                .await
                .expect(201);
                let report = h.get(&review.path("/report"), dev).await;
                assert_eq!(report.expect(200)["unanswered_findings"], 1);
            }
            let stage = h.get(&review.path(""), dev).await.expect(200)["stage"].clone();
            let resp = w.transition(h, &review.id, Who::DevOwn, action).await;
            let sub = resp.expect(200);
            let kind = if action == "record_release" {
                "released"
            } else {
                "withdrawn"
            };
            assert_eq!(sub["outcome"]["kind"], kind, "{action} at {at:?}: {sub}");
            assert_eq!(sub["stage"], stage, "{action} at {at:?} keeps the stage");
        }
    }

    // After the release of a review in the partner phase: reviewers are
    // out, terms are closed, the report still informs.
    let review = w.review(h, Lab::Own, At::PartnerPhase).await;
    w.transition(h, &review.id, Who::DevOwn, "record_release")
        .await
        .expect(200);
    for who in [Who::PartnerListed, Who::Gov] {
        let resp = h
            .post(
                &review.path("/findings"),
                w.token(who),
                w.finding_body("high"),
            )
            .await;
        assert_eq!(
            resp.status,
            403,
            "{} files after release: {}",
            who.name(),
            resp.text
        );
        assert!(
            resp.message()
                .contains("access closed: the model was released"),
            "the refusal names the rule: {}",
            resp.text
        );
    }
    let resp = h
        .post(
            &review.path("/terms"),
            dev,
            w.terms_body(Lab::Own, review.release),
        )
        .await;
    assert_eq!(resp.status, 409, "terms after release: {}", resp.text);
    assert_eq!(resp.json["error"]["code"], "conflict");
    let resp = w
        .transition(h, &review.id, Who::DevOwn, "record_release")
        .await;
    assert_eq!(resp.status, 409, "a second release: {}", resp.text);
    // A finding can still be answered, and the report delivered: advice continues.
    let finding = review.partner_finding.as_deref().expect("partner finding");
    h.post(
        &review.path(&format!("/findings/{finding}/responses")),
        dev,
        json!({ "status": "risk_accepted", "comment": "released as planned" }),
    )
    .await
    .expect(201);
    let delivered = h
        .call(
            Method::POST,
            &review.path("/report"),
            w.token(Who::Gov),
            None,
        )
        .await;
    assert_eq!(delivered.expect(201)["outcome"]["kind"], "released");
    w.transition(h, &review.id, Who::DevOwn, "close")
        .await
        .expect(200);

    // After a withdrawal of a review in the government phase, the same.
    let review = w.review(h, Lab::Own, At::GovPhase).await;
    w.transition(h, &review.id, Who::DevOwn, "withdraw")
        .await
        .expect(200);
    let resp = h
        .post(
            &review.path("/findings"),
            w.token(Who::Gov),
            w.finding_body("high"),
        )
        .await;
    assert_eq!(resp.status, 403, "{}", resp.text);
    assert!(resp.message().contains("withdrawn"), "{}", resp.text);
    let resp = w
        .transition(h, &review.id, Who::Gov, "start_partner_phase")
        .await;
    assert_eq!(resp.status, 409, "{}", resp.text);
    // Release after withdrawal is still the developer's to record.
    w.transition(h, &review.id, Who::DevOwn, "record_release")
        .await
        .expect(200);
}

on_both_backends!(release_and_withdrawal_are_never_blocked => sqlite_no_veto, postgres_no_veto);
