//! Capture-the-flag tasks: the InterCode-CTF importer, the native
//! task-folder format, flags (matching and redaction) and the validation
//! of tasks against their reference solutions.

pub mod flag;
pub mod intercode;
mod task;
pub mod task_dir;
pub mod validate;

pub use task::{CtfTask, METADATA_KEY, TaskFile, slug};
