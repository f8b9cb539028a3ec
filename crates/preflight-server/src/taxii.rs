//! A read-only TAXII 2.1 server over the clearinghouse's releases:
//! discovery, one API root, one collection of STIX 2.1 `vulnerability`
//! objects, objects (with `added_after`, `limit`, `next`, `match[id]`,
//! `match[type]`, `match[version]`), one object, its versions, and the
//! manifest. Each organisation reads exactly what its TLP labels, audience
//! and embargoes let reach it; an object it may not receive does not exist
//! for it. Credentials: the API's bearer token, or HTTP Basic with the
//! token as the password.

use crate::clearinghouse::ReaderOrg;
use crate::{AppState, auth};
use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, SecondsFormat, Utc};
use preflight_store::{SharedCursor, StoredAssessment};
use preflight_vuln::stix::{StixMeta, stix_id};
use serde_json::{Value, json};
use uuid::Uuid;

pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
const API_ROOT: &str = "/taxii2/clearinghouse/";
/// Objects a page holds when the client asks for no limit, and at most.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// The one collection's id, the same on every instance.
pub fn collection_id() -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        b"https://preflight.invalid/taxii/advisories",
    )
}

/// The STIX id of the `vulnerability` object for a record id.
pub fn object_id(record_id: &str) -> String {
    stix_id("vulnerability", record_id)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route(API_ROOT, get(api_root))
        .route("/taxii2/clearinghouse/collections/", get(collections))
        .route(
            "/taxii2/clearinghouse/collections/{collection}/",
            get(collection),
        )
        .route(
            "/taxii2/clearinghouse/collections/{collection}/objects/",
            get(objects),
        )
        .route(
            "/taxii2/clearinghouse/collections/{collection}/objects/{object}/",
            get(object),
        )
        .route(
            "/taxii2/clearinghouse/collections/{collection}/objects/{object}/versions/",
            get(versions),
        )
        .route(
            "/taxii2/clearinghouse/collections/{collection}/manifest/",
            get(manifest),
        )
}

/// A TAXII error message.
struct TaxiiError {
    status: StatusCode,
    title: &'static str,
    description: String,
}

impl TaxiiError {
    fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            title,
            description: description.into(),
        }
    }
    fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", what)
    }
    fn bad(what: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", what)
    }
}

impl From<crate::ApiError> for TaxiiError {
    fn from(err: crate::ApiError) -> Self {
        let status = err.status();
        let title = match status {
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "Not found",
            _ => "Server error",
        };
        Self::new(status, title, title)
    }
}

impl From<preflight_store::StoreError> for TaxiiError {
    fn from(err: preflight_store::StoreError) -> Self {
        crate::ApiError::from(err).into()
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut resp = taxii_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"preflight\", Bearer"),
            );
        }
        resp
    }
}

fn taxii_json(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA_TYPE));
    resp
}

/// The organisation reading, from a bearer token or Basic credentials.
struct TaxiiReader(ReaderOrg);

impl FromRequestParts<AppState> for TaxiiReader {
    type Rejection = TaxiiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, TaxiiError> {
        accepts_taxii(&parts.headers)?;
        let unauthorized = || {
            TaxiiError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "a bearer token, or HTTP Basic with the token as the password",
            )
        };
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let secret = if let Some(basic) = header
            .strip_prefix("Basic ")
            .or_else(|| header.strip_prefix("basic "))
        {
            let decoded = STANDARD
                .decode(basic.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(unauthorized)?;
            let (_, password) = decoded.split_once(':').ok_or_else(unauthorized)?;
            password.to_owned()
        } else if let Some(bearer) = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
        {
            bearer.trim().to_owned()
        } else {
            return Err(unauthorized());
        };
        let caller = auth::authenticate(state, &secret)
            .await?
            .ok_or_else(unauthorized)?;
        let Some(org) = caller.actor.org_id else {
            return Err(TaxiiError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "advisories are released to organisations; this account belongs to none",
            ));
        };
        Ok(Self(ReaderOrg::load(state, org).await?))
    }
}

/// A client that names what it accepts must accept TAXII 2.1.
fn accepts_taxii(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let ok = accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or("").trim();
        let version = part
            .split(';')
            .skip(1)
            .find_map(|p| p.trim().strip_prefix("version="));
        match media {
            "*/*" | "application/*" => true,
            "application/taxii+json" => version.is_none_or(|v| v.trim() == "2.1"),
            _ => false,
        }
    });
    if ok {
        Ok(())
    } else {
        Err(TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this server answers {TAXII_MEDIA_TYPE}, not {accept:?}"),
        ))
    }
}

async fn discovery(State(state): State<AppState>, _reader: TaxiiReader) -> Response {
    taxii_json(
        StatusCode::OK,
        &json!({
            "title": format!("{} TAXII server", state.clearinghouse_name),
            "description": "Advisories released by the clearinghouse, as each organisation may receive them.",
            "default": API_ROOT,
            "api_roots": [API_ROOT],
        }),
    )
}

async fn api_root(State(state): State<AppState>, _reader: TaxiiReader) -> Response {
    taxii_json(
        StatusCode::OK,
        &json!({
            "title": state.clearinghouse_name,
            "description": "Vulnerability advisories as STIX 2.1 objects.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": 1_048_576,
        }),
    )
}

fn collection_info() -> Value {
    json!({
        "id": collection_id(),
        "title": "Advisories",
        "description": "Vulnerability assessments released to your organisation, as STIX 2.1 vulnerability objects with TLP 2.0 markings.",
        "can_read": true,
        "can_write": false,
        "media_types": [STIX_MEDIA_TYPE],
    })
}

async fn collections(_reader: TaxiiReader) -> Response {
    taxii_json(
        StatusCode::OK,
        &json!({ "collections": [collection_info()] }),
    )
}

fn check_collection(id: &str) -> Result<(), TaxiiError> {
    if id == collection_id().to_string() {
        Ok(())
    } else {
        Err(TaxiiError::not_found(format!("no collection {id}")))
    }
}

async fn collection(_reader: TaxiiReader, Path(id): Path<String>) -> Result<Response, TaxiiError> {
    check_collection(&id)?;
    Ok(taxii_json(StatusCode::OK, &collection_info()))
}

/// The query parameters TAXII 2.1 defines for objects and manifests.
#[derive(Default)]
struct Filters {
    added_after: Option<DateTime<Utc>>,
    limit: usize,
    next: Option<SharedCursor>,
    ids: Option<Vec<String>>,
    types: Option<Vec<String>>,
    versions: Option<Vec<String>>,
}

fn filters(raw: Option<&str>) -> Result<Filters, TaxiiError> {
    let mut f = Filters {
        limit: DEFAULT_LIMIT,
        ..Filters::default()
    };
    let list = |v: &str| {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .collect::<Vec<_>>()
    };
    for (key, value) in url_pairs(raw.unwrap_or("")) {
        match key.as_str() {
            "added_after" => {
                f.added_after = Some(
                    DateTime::parse_from_rfc3339(&value)
                        .map_err(|e| TaxiiError::bad(format!("added_after {value:?}: {e}")))?
                        .with_timezone(&Utc),
                )
            }
            "limit" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| TaxiiError::bad(format!("limit {value:?}: a positive integer")))?;
                if n == 0 {
                    return Err(TaxiiError::bad("limit 0: a positive integer"));
                }
                f.limit = n.min(MAX_LIMIT);
            }
            "next" => f.next = Some(decode_next(&value)?),
            "match[id]" => f.ids = Some(list(&value)),
            "match[type]" => f.types = Some(list(&value)),
            "match[version]" => f.versions = Some(list(&value)),
            // Every object here is STIX 2.1.
            "match[spec_version]" if !list(&value).iter().any(|v| v == "2.1") => {
                f.types = Some(Vec::new())
            }
            _ => {}
        }
    }
    Ok(f)
}

fn url_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_next(c: &SharedCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", c.shared_at.timestamp_micros(), c.id))
}

fn decode_next(text: &str) -> Result<SharedCursor, TaxiiError> {
    let bad = || TaxiiError::bad(format!("next {text:?}: not a value this server gave"));
    let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (micros, id) = raw.split_once('|').ok_or_else(bad)?;
    Ok(SharedCursor {
        shared_at: DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?)
            .ok_or_else(bad)?,
        id: id.parse().map_err(|_| bad())?,
    })
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The STIX object of a released assessment; its version (`modified`) is
/// when it was last shared.
fn stix_object(stored: &StoredAssessment, publisher: &str) -> Value {
    let shared = stored.publication.shared_at.unwrap_or(stored.updated_at);
    let bundle = preflight_vuln::stix::export(
        std::slice::from_ref(&stored.assessment),
        &StixMeta {
            publisher: publisher.to_owned(),
            report_name: stored.assessment.id.clone(),
            created: stored.created_at,
        },
    );
    let mut object = bundle["objects"]
        .as_array()
        .and_then(|objects| {
            objects
                .iter()
                .find(|o| o["type"] == "vulnerability")
                .cloned()
        })
        .unwrap_or(Value::Null);
    let created = object["created"]
        .as_str()
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
        .map(|c| c.with_timezone(&Utc));
    let modified = created.map_or(shared, |c| c.max(shared));
    object["modified"] = json!(modified.to_rfc3339_opts(SecondsFormat::Millis, true));
    object
}

/// One selected object: the record, its STIX form, when it was added.
struct Selected {
    object: Value,
    added: DateTime<Utc>,
}

/// The page of objects `reader` receives that match `f`, and whether more follow.
async fn select(
    state: &AppState,
    reader: &ReaderOrg,
    f: &Filters,
    only: Option<&str>,
) -> Result<(Vec<Selected>, Option<SharedCursor>), TaxiiError> {
    let now = Utc::now();
    let mut out = Vec::new();
    let mut cursor = f.next;
    let type_ok = f
        .types
        .as_ref()
        .is_none_or(|t| t.iter().any(|t| t == "vulnerability"));
    if !type_ok {
        return Ok((out, None));
    }
    loop {
        let page = state
            .store
            .shared_assessments(f.added_after, cursor, 500)
            .await?;
        let full = page.len() == 500;
        for stored in &page {
            let here = SharedCursor {
                shared_at: stored.publication.shared_at.unwrap_or(stored.updated_at),
                id: stored.id,
            };
            if reader.receives(stored, now).is_err() {
                cursor = Some(here);
                continue;
            }
            let id = object_id(&stored.assessment.id);
            let id_ok =
                only.is_none_or(|o| o == id) && f.ids.as_ref().is_none_or(|ids| ids.contains(&id));
            if !id_ok {
                cursor = Some(here);
                continue;
            }
            let object = stix_object(stored, &state.clearinghouse_name);
            let version_ok = f.versions.as_ref().is_none_or(|vs| {
                vs.iter().any(|v| {
                    matches!(v.as_str(), "last" | "first" | "all")
                        || Some(v.as_str()) == object["modified"].as_str()
                })
            });
            if !version_ok {
                cursor = Some(here);
                continue;
            }
            if out.len() == f.limit {
                // One more exists: the page ends at the one before.
                return Ok((out, cursor));
            }
            out.push(Selected {
                object,
                added: here.shared_at,
            });
            cursor = Some(here);
        }
        if !full {
            return Ok((out, None));
        }
    }
}

fn page_response(selected: &[Selected], more: Option<SharedCursor>, body: Value) -> Response {
    let mut body = body;
    body["more"] = json!(more.is_some());
    if let Some(c) = &more {
        body["next"] = json!(encode_next(c));
    }
    let mut resp = taxii_json(StatusCode::OK, &body);
    if let (Some(first), Some(last)) = (selected.first(), selected.last()) {
        for (name, at) in [
            ("x-taxii-date-added-first", first.added),
            ("x-taxii-date-added-last", last.added),
        ] {
            if let Ok(v) = HeaderValue::from_str(&stamp(at)) {
                resp.headers_mut().insert(name, v);
            }
        }
    }
    resp
}

async fn objects(
    State(state): State<AppState>,
    TaxiiReader(reader): TaxiiReader,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    check_collection(&id)?;
    let f = filters(query.as_deref())?;
    let (selected, more) = select(&state, &reader, &f, None).await?;
    let objects: Vec<Value> = selected.iter().map(|s| s.object.clone()).collect();
    Ok(page_response(
        &selected,
        more,
        json!({ "objects": objects }),
    ))
}

/// The versions of one object the reader receives (404 when none).
async fn select_one(
    state: &AppState,
    reader: &ReaderOrg,
    collection: &str,
    object: &str,
    query: Option<&str>,
) -> Result<(Vec<Selected>, Option<SharedCursor>), TaxiiError> {
    check_collection(collection)?;
    let f = filters(query)?;
    let (selected, more) = select(state, reader, &f, Some(object)).await?;
    if selected.is_empty() && f.next.is_none() {
        return Err(TaxiiError::not_found(format!("no object {object}")));
    }
    Ok((selected, more))
}

async fn object(
    State(state): State<AppState>,
    TaxiiReader(reader): TaxiiReader,
    Path((id, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    let (selected, more) = select_one(&state, &reader, &id, &object, query.as_deref()).await?;
    let objects: Vec<Value> = selected.iter().map(|s| s.object.clone()).collect();
    Ok(page_response(
        &selected,
        more,
        json!({ "objects": objects }),
    ))
}

async fn versions(
    State(state): State<AppState>,
    TaxiiReader(reader): TaxiiReader,
    Path((id, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    let (selected, more) = select_one(&state, &reader, &id, &object, query.as_deref()).await?;
    let versions: Vec<Value> = selected
        .iter()
        .map(|s| s.object["modified"].clone())
        .collect();
    Ok(page_response(
        &selected,
        more,
        json!({ "versions": versions }),
    ))
}

async fn manifest(
    State(state): State<AppState>,
    TaxiiReader(reader): TaxiiReader,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    check_collection(&id)?;
    let f = filters(query.as_deref())?;
    let (selected, more) = select(&state, &reader, &f, None).await?;
    let entries: Vec<Value> = selected
        .iter()
        .map(|s| {
            json!({
                "id": s.object["id"],
                "date_added": stamp(s.added),
                "version": s.object["modified"],
                "media_type": STIX_MEDIA_TYPE,
            })
        })
        .collect();
    Ok(page_response(
        &selected,
        more,
        json!({ "objects": entries }),
    ))
}
