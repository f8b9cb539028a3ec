//! The live progress line of `preflight eval run`, on stderr: samples done
//! of the total, rate, ETA, tokens, errors and retries. Hidden when stderr
//! is not a terminal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressDrawTarget, ProgressStyle};
use preflight_eval::ClientError;
use preflight_eval::log::{SampleRecord, SampleStatus};
use preflight_eval::runner::Progress;

#[derive(Debug)]
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
    tokens: AtomicU64,
    errors: AtomicU64,
    retries: AtomicU64,
}

impl ProgressBar {
    pub fn new() -> ProgressBar {
        let bar = indicatif::ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} samples  {per_sec}  ETA {eta}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        ProgressBar {
            bar,
            tokens: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        }
    }

    fn show(&self) {
        self.bar.set_message(format!(
            "tokens {}  errors {}  retries {}",
            self.tokens.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
        ));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for ProgressBar {
    fn start(&self, total: u64, done: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        // The rate and ETA count only this run's samples.
        self.bar.reset_eta();
        self.show();
    }

    fn record(&self, record: &SampleRecord) {
        let mut tokens = record.usage.input_tokens + record.usage.output_tokens;
        if let Some(judge) = record.judge_usage {
            tokens += judge.input_tokens + judge.output_tokens;
        }
        self.tokens.fetch_add(tokens, Ordering::Relaxed);
        if record.status == SampleStatus::Error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.bar.inc(1);
        self.show();
    }

    fn retry(&self, _error: &ClientError, _delay: Duration) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        self.show();
    }
}
