//! The import's SQL, in batches: alias look-ups and row reads in chunks,
//! multi-row inserts (one prepared statement a chunk size, reused), and
//! row-version-guarded updates.

use super::fold::{Retire, StoredRow, Update};
use super::tenths;
use crate::sql::placeholders;
use crate::{StoreError, time};
use chrono::{DateTime, Utc};
use preflight_vuln::Assessment;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use uuid::Uuid;

/// Keys a look-up asks for at once.
const LOOKUP_CHUNK: usize = 500;
/// Assessment rows an insert writes at once (11 values a row).
const INSERT_CHUNK: usize = 100;
/// Alias rows an insert writes at once (2 values a row).
const ALIAS_CHUNK: usize = 500;

fn parse_id(text: &str) -> Result<Uuid, StoreError> {
    text.parse()
        .map_err(|e| StoreError::corrupt("assessment id", format!("{text:?}: {e}")))
}

/// The owners of those of `keys` that are stored.
pub(super) async fn lookup_aliases(
    conn: &mut AnyConnection,
    keys: &[&str],
) -> Result<HashMap<String, Uuid>, StoreError> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT alias, assessment_id FROM assessment_aliases WHERE alias IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = query.bind(*key);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let owner: String = row.try_get("assessment_id")?;
            found.insert(row.try_get("alias")?, parse_id(&owner)?);
        }
    }
    Ok(found)
}

/// The stored assessments `ids`, with their row versions.
pub(super) async fn load(
    conn: &mut AnyConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, StoredRow>, StoreError> {
    let mut rows = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, body, row_version FROM assessments WHERE id IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id = parse_id(&row.try_get::<String, _>("id")?)?;
            let assessment = serde_json::from_str(&row.try_get::<String, _>("body")?)
                .map_err(|e| StoreError::corrupt("assessment", format!("{id}: {e}")))?;
            rows.insert(
                id,
                StoredRow {
                    assessment,
                    row_version: row.try_get("row_version")?,
                },
            );
        }
    }
    Ok(rows)
}

/// The columns copied out of the record for filtering, and the record.
struct Columns {
    display_id: String,
    tlp: &'static str,
    cvss_tenths: Option<i64>,
    report_state: &'static str,
    embargo_state: &'static str,
    embargo_ends_at: Option<String>,
    body: String,
}

fn columns(a: &Assessment) -> Result<Columns, StoreError> {
    let cvss = a
        .scores
        .iter()
        .map(|s| s.cvss.base_score())
        .fold(None, |best: Option<f64>, s| {
            Some(best.map_or(s, |b| b.max(s)))
        });
    Ok(Columns {
        display_id: a.id.clone(),
        tlp: a.tlp.as_str(),
        cvss_tenths: cvss.map(tenths),
        report_state: a.coordination.report.as_str(),
        embargo_state: a.coordination.embargo.state.as_str(),
        embargo_ends_at: a.coordination.embargo.ends_at.map(time::encode),
        body: serde_json::to_string(a).map_err(|e| StoreError::corrupt("assessment", e))?,
    })
}

/// Inserts new assessments, `INSERT_CHUNK` rows a statement.
pub(super) async fn insert_assessments(
    conn: &mut AnyConnection,
    rows: &[(Uuid, Assessment)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = time::encode(now);
    for chunk in rows.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO assessments (id, display_id, tlp, cvss_tenths, report_state, embargo_state, \
             embargo_ends_at, body, created_at, updated_at, row_version) VALUES {}",
            placeholders(chunk.len(), 11)
        );
        let mut query = sqlx::query(&sql);
        for (id, a) in chunk {
            let c = columns(a)?;
            query = query
                .bind(id.to_string())
                .bind(c.display_id)
                .bind(c.tlp)
                .bind(c.cvss_tenths)
                .bind(c.report_state)
                .bind(c.embargo_state)
                .bind(c.embargo_ends_at)
                .bind(c.body)
                .bind(now.clone())
                .bind(now.clone())
                .bind(1i64);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts `(alias key, owner)` rows, `ALIAS_CHUNK` a statement.
pub(super) async fn insert_aliases(
    conn: &mut AnyConnection,
    aliases: &[(String, Uuid)],
) -> Result<(), StoreError> {
    for chunk in aliases.chunks(ALIAS_CHUNK) {
        let sql = format!(
            "INSERT INTO assessment_aliases (alias, assessment_id) VALUES {}",
            placeholders(chunk.len(), 2)
        );
        let mut query = sqlx::query(&sql);
        for (key, id) in chunk {
            query = query.bind(key.as_str()).bind(id.to_string());
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::on_unique(e, "alias", &chunk[0].0))?;
    }
    Ok(())
}

/// Rewrites a stored assessment if it is still at the version read.
pub(super) async fn update(
    conn: &mut AnyConnection,
    update: &Update,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    rewrite(conn, update.id, update.row_version, &update.assessment, now).await
}

/// Rewrites assessment `id` with `assessment` if it is still at `row_version`.
pub(super) async fn rewrite(
    conn: &mut AnyConnection,
    id: Uuid,
    row_version: i64,
    assessment: &Assessment,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let c = columns(assessment)?;
    let done = sqlx::query(
        "UPDATE assessments SET display_id = $1, tlp = $2, cvss_tenths = $3, report_state = $4, \
         embargo_state = $5, embargo_ends_at = $6, body = $7, updated_at = $8, \
         row_version = row_version + 1 WHERE id = $9 AND row_version = $10",
    )
    .bind(c.display_id)
    .bind(c.tlp)
    .bind(c.cvss_tenths)
    .bind(c.report_state)
    .bind(c.embargo_state)
    .bind(c.embargo_ends_at)
    .bind(c.body)
    .bind(time::encode(now))
    .bind(id.to_string())
    .bind(row_version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Concurrent("assessment"));
    }
    Ok(())
}

/// Hands a stored assessment's aliases to the one it merged into, then
/// removes it, if it is still at the version read.
pub(super) async fn retire(conn: &mut AnyConnection, retire: &Retire) -> Result<(), StoreError> {
    sqlx::query("UPDATE assessment_aliases SET assessment_id = $1 WHERE assessment_id = $2")
        .bind(retire.into.to_string())
        .bind(retire.id.to_string())
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM assessments WHERE id = $1 AND row_version = $2")
        .bind(retire.id.to_string())
        .bind(retire.row_version)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Concurrent("assessment"));
    }
    Ok(())
}
