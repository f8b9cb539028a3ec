//! The clearinghouse's assessments as its analysts work them: listing and
//! reading, imports, opening one from an outside report, coordination
//! (report state, embargo, case flags), publication and export. Every
//! change is an event on the ledger, in the transaction of the change.

use crate::auth::Caller;
use crate::clearinghouse::notify;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::OrgId;
use preflight_core::org::{Role, Sector};
use preflight_core::sharing::Audience;
use preflight_store::{
    AssessmentChange, AssessmentFilter, Publication, StoreError, StoredAssessment,
};
use preflight_vuln::csaf::{CsafMeta, Publisher};
use preflight_vuln::stix::StixMeta;
use preflight_vuln::{
    Alias, Assessment, CaseFlag, EmbargoAction, ReportState, Source, Text, Tlp, VulnError,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Only clearinghouse analysts work assessments.
fn analyst(caller: &Caller) -> Result<(), ApiError> {
    if caller.actor.role == Role::ClearinghouseAnalyst {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only clearinghouse analysts work assessments; organisations read what is released to them at /advisories",
        ))
    }
}

/// Analysts, and admins who read everything.
fn reader(caller: &Caller) -> Result<(), ApiError> {
    if matches!(caller.actor.role, Role::ClearinghouseAnalyst | Role::Admin) {
        Ok(())
    } else {
        analyst(caller)
    }
}

pub(crate) fn vuln_error(err: VulnError) -> ApiError {
    match &err {
        VulnError::Transition { .. } => ApiError::conflict(err.to_string()),
        VulnError::Value { field, .. } => ApiError::invalid(field.to_string(), err.to_string()),
        _ => ApiError::invalid("body", err.to_string()),
    }
}

/// An assessment with its place in this store.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub assessment_id: Uuid,
    /// The record: aliases, sources, products, CWE, CVSS, AI taxonomy,
    /// TLP label and coordination state.
    #[schema(value_type = Object)]
    pub record: Value,
    pub published_at: Option<DateTime<Utc>>,
    pub shared_at: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    pub audience: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub row_version: i64,
}

pub(crate) fn view(s: &StoredAssessment) -> AssessmentView {
    AssessmentView {
        assessment_id: s.id,
        record: serde_json::to_value(&s.assessment).unwrap_or(Value::Null),
        published_at: s.publication.published_at,
        shared_at: s.publication.shared_at,
        audience: serde_json::to_value(&s.publication.audience).unwrap_or(Value::Null),
        created_at: s.created_at,
        updated_at: s.updated_at,
        row_version: s.row_version,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// TLP labels, comma-separated (`CLEAR,GREEN,AMBER,AMBER+STRICT,RED`).
    pub tlp: Option<String>,
    /// Report states, comma-separated (`received,valid,...`).
    pub state: Option<String>,
    /// Highest CVSS base score at least this.
    pub min_cvss: Option<f64>,
    /// Text in the id or an alias.
    pub q: Option<String>,
    /// Only published (`true`) or only drafts (`false`).
    pub published: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

fn split<T>(
    field: &'static str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ApiError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| parse(t).ok_or_else(|| ApiError::invalid(field, format!("invalid {field} {t:?}"))))
        .collect()
}

/// Assessments, newest first, with filters.
#[utoipa::path(get, path = "/assessments", tag = "clearinghouse", params(ListQuery),
    responses((status = 200, body = Vec<AssessmentView>), ErrorResponses))]
pub async fn list_assessments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<AssessmentView>>, ApiError> {
    reader(&caller)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("invalid limit {limit}: between 1 and 1000"),
        ));
    }
    if let Some(min) = q.min_cvss
        && !(0.0..=10.0).contains(&min)
    {
        return Err(ApiError::invalid(
            "min_cvss",
            format!("invalid min_cvss {min}: between 0 and 10"),
        ));
    }
    let filter = AssessmentFilter {
        tlp: split("tlp", q.tlp.as_deref(), |t| {
            t.trim_start_matches("TLP:").parse::<Tlp>().ok()
        })?,
        report_states: split("state", q.state.as_deref(), |t| {
            ReportState::ALL.into_iter().find(|s| s.as_str() == t)
        })?,
        min_cvss: q.min_cvss,
        text: q.q,
        published: q.published,
        limit,
        offset: q.offset.unwrap_or(0),
    };
    let found = state.store.assessments(&filter).await?;
    Ok(Json(found.iter().map(view).collect()))
}

/// One assessment, by its id or any alias (CVE-..., GHSA-..., GO-...).
#[utoipa::path(get, path = "/assessments/{assessment_id}", tag = "clearinghouse",
    params(("assessment_id" = String, Path, description = "Assessment id (UUID) or an alias")),
    responses((status = 200, body = AssessmentView), ErrorResponses))]
pub async fn get_assessment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AssessmentView>, ApiError> {
    reader(&caller)?;
    Ok(Json(view(&find(&state, &id).await?)))
}

pub(crate) async fn find(state: &AppState, id: &str) -> Result<StoredAssessment, ApiError> {
    if let Ok(uuid) = id.parse::<Uuid>() {
        return Ok(state.store.assessment(uuid).await?);
    }
    state
        .store
        .assessment_by_alias(id)
        .await?
        .ok_or_else(|| ApiError::not_found("assessment", id))
}

/// One document of an import.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportDocument {
    /// The file name it is reported under.
    pub name: String,
    /// The document: CSAF 2.0, OSV, CVE JSON 5 or SARIF 2.1.0.
    #[schema(value_type = Object)]
    pub document: Value,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub documents: Vec<ImportDocument>,
}

/// Imports documents as one batch: every document lands or none does.
/// Records sharing an alias merge; the answer says what merged.
#[utoipa::path(post, path = "/assessments/import", tag = "clearinghouse", request_body = ImportRequest,
    responses((status = 201, body = Object), ErrorResponses))]
pub async fn import_assessments(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ImportRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    analyst(&caller)?;
    if body.documents.is_empty() {
        return Err(ApiError::invalid(
            "documents",
            "invalid documents []: at least one document",
        ));
    }
    let files = body
        .documents
        .into_iter()
        .map(|d| (d.name, d.document.to_string().into_bytes()))
        .collect();
    match state
        .store
        .import_assessments(Some(caller.user.id), files, Utc::now())
        .await
    {
        Ok(report) => Ok((
            StatusCode::CREATED,
            Json(serde_json::to_value(&report).unwrap_or(Value::Null)),
        )),
        Err(StoreError::ImportRejected { files, errors }) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Err(ApiError::invalid(
                "documents",
                format!(
                    "{} of {files} document(s) rejected, nothing imported: {}",
                    errors.len(),
                    list.join("; ")
                ),
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// A report from outside the program, as an analyst records it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutsideReport {
    /// Who reported it.
    pub reporter: String,
    pub title: String,
    pub description: String,
    /// Known ids (CVE-..., GHSA-...); a new assessment gets one of its own when empty.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Defaults to AMBER.
    #[schema(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
}

/// Opens an assessment from an outside reporter's report.
#[utoipa::path(post, path = "/assessments", tag = "clearinghouse", request_body = OutsideReport,
    responses((status = 201, body = AssessmentView), ErrorResponses))]
pub async fn create_assessment(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<OutsideReport>,
) -> Result<(StatusCode, Json<AssessmentView>), ApiError> {
    analyst(&caller)?;
    for (field, value) in [
        ("reporter", &body.reporter),
        ("title", &body.title),
        ("description", &body.description),
    ] {
        if value.trim().is_empty() {
            return Err(ApiError::invalid(
                field,
                format!("invalid {field} \"\": must not be empty"),
            ));
        }
    }
    let id = Uuid::now_v7();
    let mut aliases = body
        .aliases
        .iter()
        .map(|a| {
            Alias::parse(a)
                .map_err(|e| ApiError::invalid("aliases", format!("invalid aliases {a:?}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let first = aliases
        .next()
        .unwrap_or_else(|| Alias::vendor("preflight", &id.to_string()));
    let mut a = Assessment::new(
        first,
        Source::outside_reporter(body.reporter.trim()),
        body.tlp.unwrap_or_default(),
    );
    for alias in aliases {
        a.add_alias(alias);
    }
    a.title = Some(body.title.trim().to_owned());
    a.descriptions.push(Text {
        text: body.description.trim().to_owned(),
        from: 0,
    });
    let now = Utc::now();
    let event = Event::new(
        EventKind::AssessmentCreated,
        None,
        Some(caller.user.id),
        now,
        json!({ "assessment_id": id, "origin": "outside_reporter" }),
    );
    let publication = Publication::default();
    let stored = state
        .store
        .create_assessment(
            id,
            AssessmentChange {
                assessment: &a,
                publication: &publication,
                event: &event,
                deliveries: &[],
            },
            now,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view(&stored))))
}

/// Applies `change` to assessment `id` and saves it with an
/// `AssessmentUpdated` event (details from `change`). A published
/// assessment is shared again, and its subscribers told.
async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    change: impl FnOnce(&mut Assessment, &mut Publication, DateTime<Utc>) -> Result<Value, ApiError>,
) -> Result<Json<AssessmentView>, ApiError> {
    analyst(caller)?;
    let stored = find(state, id).await?;
    let now = Utc::now();
    let mut next = stored.clone();
    let details = change(&mut next.assessment, &mut next.publication, now)?;
    let published_now = next.publication.is_published();
    let kind = if published_now && !stored.publication.is_published() {
        EventKind::AssessmentPublished
    } else {
        EventKind::AssessmentUpdated
    };
    if published_now {
        next.publication.shared_at = Some(now);
        next.assessment.modified = Some(now);
    }
    let deliveries = if published_now {
        notify::deliveries(state, &next, now).await?
    } else {
        Vec::new()
    };
    let mut details = details;
    details["assessment_id"] = json!(stored.id);
    details["notified"] = json!(deliveries.len());
    let event = Event::new(kind, None, Some(caller.user.id), now, details);
    let saved = state
        .store
        .save_assessment(
            stored.id,
            stored.row_version,
            AssessmentChange {
                assessment: &next.assessment,
                publication: &next.publication,
                event: &event,
                deliveries: &deliveries,
            },
            now,
        )
        .await?;
    if !deliveries.is_empty() {
        state.webhook_wakeup.notify_one();
    }
    Ok(Json(view(&saved)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportStateChange {
    /// received, valid, invalid, deferred, accepted or closed.
    #[schema(value_type = String)]
    pub state: ReportState,
}

/// Moves the report state (CERT/CC report management: received → valid or
/// invalid → accepted or deferred → closed).
#[utoipa::path(post, path = "/assessments/{assessment_id}/report-state", tag = "clearinghouse",
    request_body = ReportStateChange, params(("assessment_id" = String, Path)),
    responses((status = 200, body = AssessmentView), ErrorResponses))]
pub async fn set_report_state(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReportStateChange>,
) -> Result<Json<AssessmentView>, ApiError> {
    update(&state, &caller, &id, |a, _, _| {
        let from = a.coordination.report;
        a.coordination.report = from.transition(body.state).map_err(vuln_error)?;
        Ok(json!({ "change": "report_state", "from": from.as_str(), "to": body.state.as_str() }))
    })
    .await
}

/// An embargo action: `{"action": "propose", "ends_at": "2027-01-01T00:00:00Z"}`,
/// `{"action": "accept"}`, `{"action": "reject"}` or `{"action": "terminate"}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(value_type = Object)]
#[serde(transparent)]
pub struct EmbargoChange(pub EmbargoAction);

/// Proposes, accepts, rejects or ends an embargo (CERT/CC embargo management).
#[utoipa::path(post, path = "/assessments/{assessment_id}/embargo", tag = "clearinghouse",
    request_body = EmbargoChange, params(("assessment_id" = String, Path)),
    responses((status = 200, body = AssessmentView), ErrorResponses))]
pub async fn change_embargo(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(EmbargoChange(action)): ApiJson<EmbargoChange>,
) -> Result<Json<AssessmentView>, ApiError> {
    update(&state, &caller, &id, |a, _, now| {
        let from = a.coordination.embargo;
        a.coordination.embargo = from.apply(action, now).map_err(vuln_error)?;
        Ok(json!({
            "change": "embargo",
            "action": action,
            "from": from.state.as_str(),
            "to": a.coordination.embargo.state.as_str(),
            "ends_at": a.coordination.embargo.ends_at,
        }))
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagChange {
    /// vendor_aware, fix_ready, fix_deployed, public_aware, exploit_public or attacks_observed.
    #[schema(value_type = String)]
    pub flag: CaseFlag,
}

/// Sets one of the six case flags (they are never unset).
#[utoipa::path(post, path = "/assessments/{assessment_id}/flags", tag = "clearinghouse",
    request_body = FlagChange, params(("assessment_id" = String, Path)),
    responses((status = 200, body = AssessmentView), ErrorResponses))]
pub async fn set_flag(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FlagChange>,
) -> Result<Json<AssessmentView>, ApiError> {
    update(&state, &caller, &id, |a, _, _| {
        a.coordination.flags = a.coordination.flags.set(body.flag).map_err(vuln_error)?;
        Ok(json!({ "change": "flag", "flag": body.flag.as_str() }))
    })
    .await
}

/// The label and audience of a release.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicationRequest {
    /// CLEAR, GREEN, AMBER, AMBER+STRICT or RED.
    #[schema(value_type = String)]
    pub tlp: Tlp,
    /// Organisations named as recipients (the only readers of RED).
    #[serde(default)]
    pub recipients: BTreeSet<OrgId>,
    /// Sectors addressed; none addresses every operator.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub sectors: BTreeSet<Sector>,
}

/// Publishes an assessment under a TLP 2.0 label to an audience, or
/// changes the label and audience of a published one; subscribers who
/// receive it are notified.
#[utoipa::path(post, path = "/assessments/{assessment_id}/publication", tag = "clearinghouse",
    request_body = PublicationRequest, params(("assessment_id" = String, Path)),
    responses((status = 200, body = AssessmentView), ErrorResponses))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PublicationRequest>,
) -> Result<Json<AssessmentView>, ApiError> {
    analyst(&caller)?;
    if body.tlp == Tlp::Red && body.recipients.is_empty() {
        return Err(ApiError::invalid(
            "recipients",
            "invalid recipients []: TLP:RED goes to named recipients only; name at least one",
        ));
    }
    super::orgs::require_known(&state, "recipients", &body.recipients).await?;
    update(&state, &caller, &id, |a, p, now| {
        if a.coordination.report == ReportState::Invalid
            || a.coordination.report == ReportState::Received
        {
            return Err(ApiError::conflict(format!(
                "the report is {}: validate it before publishing",
                a.coordination.report.as_str()
            )));
        }
        a.tlp = body.tlp;
        p.audience = Audience {
            recipients: body.recipients,
            sectors: body.sectors,
        };
        if p.published_at.is_none() {
            p.published_at = Some(now);
        }
        Ok(json!({
            "change": "publication",
            "tlp": a.tlp.as_str(),
            "recipients": p.audience.recipients.len(),
            "sectors": p.audience.sectors,
        }))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// csaf, osv, cve5 or stix.
    pub format: String,
    /// CVE JSON 5: the CNA's organisation UUID.
    pub cna_org_id: Option<Uuid>,
}

/// The assessment as a CSAF 2.0 advisory, an OSV or CVE JSON 5 record, or
/// a STIX 2.1 bundle.
#[utoipa::path(get, path = "/assessments/{assessment_id}/export", tag = "clearinghouse",
    params(("assessment_id" = String, Path), ExportQuery),
    responses((status = 200, body = Object), ErrorResponses))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Json<Value>, ApiError> {
    reader(&caller)?;
    let stored = find(&state, &id).await?;
    let now = Utc::now();
    let a = std::slice::from_ref(&stored.assessment);
    let doc = match q.format.as_str() {
        "csaf" => {
            preflight_vuln::csaf::export(
                a,
                &CsafMeta {
                    id: format!("PF-{}-{}", now.format("%Y%m%d"), stored.assessment.id),
                    title: stored.assessment.title.clone().unwrap_or_else(|| {
                        format!("Vulnerability advisory: {}", stored.assessment.id)
                    }),
                    publisher: Publisher {
                        category: "coordinator".to_owned(),
                        name: state.clearinghouse_name.clone(),
                        namespace: state.clearinghouse_namespace.clone(),
                    },
                    revisions: vec![(now, "Initial version".to_owned())],
                    lang: "en".to_owned(),
                },
            )
            .map_err(vuln_error)?
        }
        "osv" => preflight_vuln::osv::export(&stored.assessment, stored.updated_at),
        "cve5" => {
            let Some(cna) = q.cna_org_id else {
                return Err(ApiError::invalid(
                    "cna_org_id",
                    "invalid cna_org_id (missing): CVE JSON 5 needs the CNA's organisation UUID",
                ));
            };
            preflight_vuln::cve5::export(&stored.assessment, cna, stored.updated_at)
                .map_err(vuln_error)?
        }
        "stix" => preflight_vuln::stix::export(
            a,
            &StixMeta {
                publisher: state.clearinghouse_name.clone(),
                report_name: stored
                    .assessment
                    .title
                    .clone()
                    .unwrap_or_else(|| stored.assessment.id.clone()),
                created: now,
            },
        ),
        other => {
            return Err(ApiError::invalid(
                "format",
                format!("invalid format {other:?}: csaf, osv, cve5 or stix"),
            ));
        }
    };
    Ok(Json(doc))
}
