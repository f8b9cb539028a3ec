//! The stream of released assessments in the order they were shared, as
//! TAXII collections and subscribers page through it.

use super::{COLUMNS, StoredAssessment, decode};
use crate::{Store, StoreError, time};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where a reader stopped: the last assessment it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedCursor {
    pub shared_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Store {
    /// Published assessments in sharing order: shared strictly after
    /// `added_after`, and after `cursor`; at most `limit`.
    pub async fn shared_assessments(
        &self,
        added_after: Option<DateTime<Utc>>,
        cursor: Option<SharedCursor>,
        limit: u32,
    ) -> Result<Vec<StoredAssessment>, StoreError> {
        let mut sql = format!(
            "SELECT {COLUMNS} FROM assessments WHERE published_at IS NOT NULL AND shared_at IS NOT NULL"
        );
        let mut binds: Vec<String> = Vec::new();
        if let Some(after) = added_after {
            binds.push(time::encode(after));
            sql.push_str(&format!(" AND shared_at > ${}", binds.len()));
        }
        if let Some(c) = cursor {
            binds.push(time::encode(c.shared_at));
            binds.push(c.id.to_string());
            let (t, i) = (binds.len() - 1, binds.len());
            sql.push_str(&format!(
                " AND (shared_at > ${t} OR (shared_at = ${t} AND id > ${i}))"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY shared_at, id LIMIT ${}",
            binds.len() + 1
        ));
        let mut query = sqlx::query(&sql);
        for bind in binds {
            query = query.bind(bind);
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(decode).collect()
    }
}
