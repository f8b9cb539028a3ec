//! The OpenAPI 3.1 document, built from the route handlers themselves.

use crate::AppState;
use crate::routes::{
    advisories, assessments, escalations, evaluations, findings, gateway, health, ledger, me, orgs,
    partners, report, submissions, subscriptions, terms, users,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Preflight API",
        description = "Pre-release cybersecurity review of frontier AI models: submissions, \
                       signed terms, phases, findings and reports. The developer keeps the final say on release.",
        version = "1"
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    components(schemas(crate::ApiErrorBody, crate::error::ApiErrorDetail)),
    security(("bearer" = [])),
    tags(
        (name = "identity", description = "The caller, organisations, people and tokens"),
        (name = "partners", description = "The trusted-partner registry"),
        (name = "reviews", description = "Submissions and their lifecycle"),
        (name = "terms", description = "Versioned, signed terms"),
        (name = "findings", description = "Findings and the developer's answers"),
        (name = "reports", description = "The review report"),
        (name = "gateway", description = "Gateway tokens, calls to the model, usage and transcripts; the model itself is at /v1/chat/completions"),
        (name = "evaluations", description = "Benchmark suites the government runs against the model, through the gateway"),
        (name = "clearinghouse", description = "Vulnerability assessments, their coordination and release; advisories as each organisation receives them (also over TAXII 2.1 at /taxii2/); subscriptions and signed webhooks"),
        (name = "ledger", description = "Proofs from the tamper-evident audit ledger; the signed checkpoint and tiles are at /ledger/checkpoint and /ledger/tile/..."),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The largest import body accepted at once.
const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::me))
        .routes(routes!(me::register_key))
        .routes(routes!(me::create_token, me::list_tokens))
        .routes(routes!(me::revoke_token))
        .routes(routes!(orgs::create_org, orgs::list_orgs))
        .routes(routes!(orgs::get_org))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::create_token_for))
        .routes(routes!(partners::list_partners))
        .routes(routes!(partners::get_vetting, partners::set_vetting))
        .routes(routes!(
            submissions::create_submission,
            submissions::list_submissions
        ))
        .routes(routes!(submissions::get_submission))
        .routes(routes!(submissions::transition))
        .routes(routes!(submissions::list_events))
        .routes(routes!(terms::propose_terms, terms::list_terms))
        .routes(routes!(terms::get_terms_version))
        .routes(routes!(terms::agreed_terms))
        .routes(routes!(terms::sign_terms))
        .routes(routes!(findings::file_finding, findings::list_findings))
        .routes(routes!(findings::get_finding))
        .routes(routes!(findings::answer_finding))
        .routes(routes!(report::get_report, report::deliver_report))
        .routes(routes!(report::get_report_html))
        .routes(routes!(ledger::inclusion))
        .routes(routes!(ledger::consistency))
        .routes(routes!(ledger::review_events))
        .routes(routes!(
            gateway::create_gateway_token,
            gateway::list_gateway_tokens
        ))
        .routes(routes!(gateway::revoke_gateway_token))
        .routes(routes!(gateway::list_calls))
        .routes(routes!(gateway::usage))
        .routes(routes!(gateway::transcript))
        .routes(routes!(evaluations::list_suites))
        .routes(routes!(
            evaluations::queue_evaluation,
            evaluations::list_evaluations
        ))
        .routes(routes!(evaluations::get_evaluation))
        .routes(routes!(escalations::escalate_finding))
        .routes(routes!(escalations::list_escalations))
        .routes(routes!(
            assessments::list_assessments,
            assessments::create_assessment
        ))
        .routes({
            let (schemas, paths, method) = routes!(assessments::import_assessments);
            let limit = axum::extract::DefaultBodyLimit::max(IMPORT_BODY_LIMIT);
            (schemas, paths, method.layer(limit))
        })
        .routes(routes!(assessments::get_assessment))
        .routes(routes!(assessments::set_report_state))
        .routes(routes!(assessments::change_embargo))
        .routes(routes!(assessments::set_flag))
        .routes(routes!(assessments::publish))
        .routes(routes!(assessments::export))
        .routes(routes!(advisories::list_advisories))
        .routes(routes!(advisories::get_advisory))
        .routes(routes!(
            subscriptions::get_subscription,
            subscriptions::set_subscription
        ))
        .routes(routes!(subscriptions::set_clients))
        .routes(routes!(subscriptions::list_deliveries))
        .routes(routes!(health::version))
}

/// The OpenAPI document as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}
