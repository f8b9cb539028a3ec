//! The clearinghouse's vulnerability assessments: each a
//! `preflight_vuln::Assessment` stored whole as JSON, with the columns a
//! listing filters on, and every alias it is known by in
//! `assessment_aliases` (one owner an alias, so records sharing one merge).
//! `import.rs` brings documents in; this file reads them back.

mod change;
mod fold;
mod import;
mod report;
mod shared;
mod write;

pub(crate) use change::insert as insert_change;
pub use change::{AssessmentChange, NewDelivery};
pub use report::{FormatCount, ImportReport, StoredMerge};
pub use shared::SharedCursor;

use crate::{Store, StoreError, time};
use chrono::{DateTime, Utc};
use preflight_core::sharing::Audience;
use preflight_vuln::{Alias, Assessment, ReportState, Tlp};
use sqlx::Row;
use uuid::Uuid;

/// An assessment as stored: its id in this store (UUIDv7, so ids sort by
/// creation), the record, and the version that guards concurrent updates.
#[derive(Clone, Debug)]
pub struct StoredAssessment {
    pub id: Uuid,
    pub assessment: Assessment,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub row_version: i64,
    pub publication: Publication,
}

/// Whether and to whom an assessment is released.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Publication {
    /// When it was first published; `None` while it is a draft.
    pub published_at: Option<DateTime<Utc>>,
    /// When the released version was last shared: the first publication or
    /// a change after it. Subscribers read in this order.
    pub shared_at: Option<DateTime<Utc>>,
    /// Who it is for, beyond its label.
    pub audience: Audience,
}

impl Publication {
    pub fn is_published(&self) -> bool {
        self.published_at.is_some()
    }
}

/// Which assessments [`Store::assessments`] lists, newest first.
#[derive(Clone, Debug)]
pub struct AssessmentFilter {
    /// Any of these TLP labels; empty for every label.
    pub tlp: Vec<Tlp>,
    /// Any of these report states; empty for every state.
    pub report_states: Vec<ReportState>,
    /// Only records whose highest CVSS base score is at least this.
    pub min_cvss: Option<f64>,
    /// Text contained (case-insensitively) in the display id or an alias.
    pub text: Option<String>,
    /// Only published ones (`Some(true)`) or only drafts (`Some(false)`).
    pub published: Option<bool>,
    pub limit: u32,
    pub offset: u32,
}

impl Default for AssessmentFilter {
    fn default() -> Self {
        Self {
            tlp: Vec::new(),
            report_states: Vec::new(),
            min_cvss: None,
            text: None,
            published: None,
            limit: 100,
            offset: 0,
        }
    }
}

const COLUMNS: &str =
    "id, body, created_at, updated_at, row_version, published_at, shared_at, audience";

impl Store {
    pub async fn assessment(&self, id: Uuid) -> Result<StoredAssessment, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM assessments WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "assessment",
                id: id.to_string(),
            })?;
        decode(&row)
    }

    /// The assessment known by `alias`: a CVE, GHSA, GO or OSV database id
    /// in any case, or a vendor id written `system:ID`.
    pub async fn assessment_by_alias(
        &self,
        alias: &str,
    ) -> Result<Option<StoredAssessment>, StoreError> {
        let row = sqlx::query(
            "SELECT a.id, a.body, a.created_at, a.updated_at, a.row_version, \
             a.published_at, a.shared_at, a.audience FROM assessment_aliases k JOIN assessments a ON a.id = k.assessment_id \
             WHERE k.alias = $1",
        )
        .bind(alias_key(alias))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Assessments matching `filter`, newest first.
    pub async fn assessments(
        &self,
        filter: &AssessmentFilter,
    ) -> Result<Vec<StoredAssessment>, StoreError> {
        enum Arg {
            Text(String),
            Int(i64),
        }
        let mut sql = format!("SELECT {COLUMNS} FROM assessments WHERE 1 = 1");
        let mut args: Vec<Arg> = Vec::new();
        let mut any_of = |sql: &mut String, column: &str, values: Vec<String>| {
            if values.is_empty() {
                return;
            }
            let first = args.len() + 1;
            let marks: Vec<String> = (first..first + values.len())
                .map(|i| format!("${i}"))
                .collect();
            sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
            args.extend(values.into_iter().map(Arg::Text));
        };
        any_of(
            &mut sql,
            "tlp",
            filter.tlp.iter().map(|t| t.as_str().to_owned()).collect(),
        );
        any_of(
            &mut sql,
            "report_state",
            filter
                .report_states
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
        );
        if let Some(min) = filter.min_cvss {
            args.push(Arg::Int(tenths(min)));
            sql.push_str(&format!(" AND cvss_tenths >= ${}", args.len()));
        }
        if let Some(text) = filter.text.as_deref().map(str::trim)
            && !text.is_empty()
        {
            let escaped = text
                .to_uppercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(Arg::Text(format!("%{escaped}%")));
            let n = args.len();
            sql.push_str(&format!(
                " AND (UPPER(display_id) LIKE ${n} ESCAPE '\\' OR id IN \
                 (SELECT assessment_id FROM assessment_aliases WHERE UPPER(alias) LIKE ${n} ESCAPE '\\'))"
            ));
        }
        match filter.published {
            Some(true) => sql.push_str(" AND published_at IS NOT NULL"),
            Some(false) => sql.push_str(" AND published_at IS NULL"),
            None => {}
        }
        args.push(Arg::Int(i64::from(filter.limit)));
        args.push(Arg::Int(i64::from(filter.offset)));
        sql.push_str(&format!(
            " ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
            args.len() - 1,
            args.len()
        ));
        let mut query = sqlx::query(&sql);
        for arg in args {
            query = match arg {
                Arg::Text(t) => query.bind(t),
                Arg::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(decode).collect()
    }

    pub async fn count_assessments(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM assessments")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// How many aliases are stored, over every assessment.
    pub async fn count_assessment_aliases(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM assessment_aliases")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}

/// The `assessment_aliases` key of an id as a person writes it.
fn alias_key(alias: &str) -> String {
    let alias = alias.trim();
    if let Ok(known) = Alias::parse(alias) {
        return known.key();
    }
    match alias.split_once(':') {
        Some((system, id)) => Alias::vendor(system, id).key(),
        None => alias.to_ascii_uppercase(),
    }
}

/// A CVSS score as stored: tenths, exact (scores have one decimal).
fn tenths(score: f64) -> i64 {
    (score * 10.0).round() as i64
}

pub(crate) fn decode(row: &sqlx::any::AnyRow) -> Result<StoredAssessment, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("assessment", e);
    Ok(StoredAssessment {
        id: row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|e| bad(&e))?,
        assessment: serde_json::from_str(&row.try_get::<String, _>("body")?)
            .map_err(|e| bad(&e))?,
        created_at: time::decode(&row.try_get::<String, _>("created_at")?)?,
        updated_at: time::decode(&row.try_get::<String, _>("updated_at")?)?,
        row_version: row.try_get("row_version")?,
        publication: Publication {
            published_at: time::decode_opt(row.try_get("published_at")?)?,
            shared_at: time::decode_opt(row.try_get("shared_at")?)?,
            audience: serde_json::from_str(&row.try_get::<String, _>("audience")?)
                .map_err(|e| bad(&e))?,
        },
    })
}
