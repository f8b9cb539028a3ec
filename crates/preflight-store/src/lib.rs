//! Persistence for the review program and the clearinghouse: SQLite
//! (embedded default, one file, WAL) or PostgreSQL, behind one API and one
//! set of migrations. Every mutating method writes its event in the same
//! transaction as the change.

mod assessments;
mod calls_under_way;
mod envelope;
mod error;
mod escalations;
mod evaluations;
mod events;
mod findings;
mod gateway;
mod gateway_sqlite;
mod group_commit;
mod inline_sqlite;
mod ledger;
mod orgs;
mod sharing;
mod sql;
mod store;
mod submissions;
mod terms;
mod time;
mod token_cache;
mod tokens;
mod users;
mod vetting;
mod web;

pub use assessments::{
    AssessmentChange, AssessmentFilter, FormatCount, ImportReport, NewDelivery, Publication,
    SharedCursor, StoredAssessment, StoredMerge,
};
pub use envelope::MasterKey;
pub use error::StoreError;
pub use escalations::Escalation;
pub use evaluations::{ClaimedRun, EvaluationRun, RunState};
pub use gateway::{
    CallFinished, CallOrigin, CallStarted, GATEWAY_TOKEN_PREFIX, GatewayGrant, GatewayTokenRecord,
    GrantLookup, ModelCall, Transcript, UsageRow,
};
pub use ledger::{LedgerEvent, StoredTile};
pub use sharing::{Delivery, Subscription};
pub use store::{Backend, Store, redact_url};
pub use submissions::Stored;
pub use tokens::{NewToken, TokenPepper, TokenRecord};
pub use web::NewSession;
