//! Reading and appending a log file.
//!
//! Every record is one `write` of its JSON and a new line, so a process
//! killed mid-write leaves at most one torn last line, without its new line.
//! Reading stops before it, and resuming cuts it off before appending. A
//! line that ends in a new line but is not a record is corruption, reported
//! with its number, never skipped.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::LogError;
use super::aggregate::Aggregate;
use super::record::{Header, Record, SampleRecord, SummaryRecord};

/// A log read from its start: the header, then sample records one by one.
#[derive(Debug)]
pub struct LogReader {
    lines: Lines,
    header: Header,
    summary: Option<SummaryRecord>,
}

/// The lines of a log file and where reading is.
#[derive(Debug)]
struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    line: u64,
    offset: u64,
    /// Where the last header or sample record ends.
    good_end: u64,
    torn: bool,
    buf: Vec<u8>,
}

impl LogReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<LogReader, LogError> {
        let file = File::open(path).map_err(|source| LogError::io(path, source))?;
        let mut lines = Lines {
            path: path.to_owned(),
            reader: BufReader::with_capacity(256 << 10, file),
            line: 0,
            offset: 0,
            good_end: 0,
            torn: false,
            buf: Vec::new(),
        };
        match lines.next()? {
            Some(Record::Header(header)) => {
                lines.good_end = lines.offset;
                Ok(LogReader {
                    lines,
                    header: *header,
                    summary: None,
                })
            }
            _ => Err(LogError::NoHeader {
                path: path.to_owned(),
            }),
        }
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn path(&self) -> &Path {
        &self.lines.path
    }

    /// The next sample record; `None` at the end (or at a torn last line).
    pub fn next_sample(&mut self) -> Result<Option<SampleRecord>, LogError> {
        loop {
            match self.lines.next()? {
                None => return Ok(None),
                Some(Record::Sample(sample)) => {
                    self.lines.good_end = self.lines.offset;
                    return Ok(Some(*sample));
                }
                Some(Record::Summary(summary)) => self.summary = Some(*summary),
                Some(Record::Header(_)) => {
                    return Err(LogError::Corrupt {
                        path: self.lines.path.clone(),
                        line: self.lines.line,
                        reason: "a second header".to_owned(),
                    });
                }
            }
        }
    }

    /// Every remaining sample record, counted.
    pub fn aggregate(&mut self) -> Result<Aggregate, LogError> {
        let mut aggregate = Aggregate::default();
        while let Some(record) = self.next_sample()? {
            aggregate.add(&record);
        }
        Ok(aggregate)
    }

    /// The summary record, once read past.
    pub fn summary(&self) -> Option<&SummaryRecord> {
        self.summary.as_ref()
    }

    /// Whether the last line was cut short.
    pub fn torn(&self) -> bool {
        self.lines.torn
    }
}

impl Lines {
    fn next(&mut self) -> Result<Option<Record>, LogError> {
        loop {
            self.buf.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| LogError::io(&self.path, source))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.buf.last() != Some(&b'\n') {
                // Killed while writing the record or before its new line:
                // either way it is not trusted.
                self.torn = true;
                return Ok(None);
            }
            self.offset += read as u64;
            let text = self.buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            return match Record::parse(text) {
                Ok(record) => Ok(Some(record)),
                Err(e) => Err(LogError::Corrupt {
                    path: self.path.clone(),
                    line: self.line,
                    reason: e.to_string(),
                }),
            };
        }
    }
}

/// Appends records to a log, flushing each to the kernel and syncing to
/// disk at most every `sync_interval`, and at the end.
#[derive(Debug)]
pub struct LogWriter {
    path: PathBuf,
    file: File,
    sync_interval: Duration,
    last_sync: Instant,
    unsynced: bool,
    line: Vec<u8>,
}

impl LogWriter {
    /// Creates a new log at `path` with `header`; fails if it exists.
    pub fn create(
        path: &Path,
        header: &Header,
        sync_interval: Duration,
    ) -> Result<LogWriter, LogError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LogError::io(dir, source))?;
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| LogError::io(path, source))?;
        let mut writer = LogWriter::new(path, file, sync_interval);
        writer.append(&Record::Header(Box::new(header.clone())))?;
        writer.sync()?;
        sync_dir(path);
        Ok(writer)
    }

    /// Reopens the log at `path` for a run with `header`: checks it was
    /// written with the same settings, counts its sample records, cuts off
    /// a torn last line and the summary, and appends from there.
    pub fn resume(
        path: &Path,
        header: &Header,
        sync_interval: Duration,
    ) -> Result<(LogWriter, Header, Aggregate), LogError> {
        if !has_whole_line(path)? {
            // Killed before its header was whole: nothing was recorded yet.
            let file = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(path)
                .map_err(|source| LogError::io(path, source))?;
            let mut writer = LogWriter::new(path, file, sync_interval);
            writer.append(&Record::Header(Box::new(header.clone())))?;
            writer.sync()?;
            return Ok((writer, header.clone(), Aggregate::default()));
        }
        let mut reader = LogReader::open(path)?;
        let existing = reader.header().clone();
        check_same_run(path, &existing, header)?;
        let aggregate = reader.aggregate()?;
        let keep = reader.lines.good_end;
        drop(reader);
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|source| LogError::io(path, source))?;
        file.set_len(keep)
            .map_err(|source| LogError::io(path, source))?;
        let mut file = file;
        file.seek(SeekFrom::Start(keep))
            .map_err(|source| LogError::io(path, source))?;
        let mut writer = LogWriter::new(path, file, sync_interval);
        writer.sync()?;
        Ok((writer, existing, aggregate))
    }

    fn new(path: &Path, file: File, sync_interval: Duration) -> LogWriter {
        LogWriter {
            path: path.to_owned(),
            file,
            sync_interval,
            last_sync: Instant::now(),
            unsynced: false,
            line: Vec::with_capacity(4096),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `record` as one line, in one write at the end of the file.
    pub fn append(&mut self, record: &Record) -> Result<(), LogError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(|e| LogError::Corrupt {
            path: self.path.clone(),
            line: 0,
            reason: format!("cannot encode a record: {e}"),
        })?;
        self.line.push(b'\n');
        // The file is ours alone and its position is at its end.
        self.file
            .write_all(&self.line)
            .map_err(|source| LogError::io(&self.path, source))?;
        self.unsynced = true;
        if self.last_sync.elapsed() >= self.sync_interval {
            self.sync()?;
        }
        Ok(())
    }

    /// Forces what was written to disk.
    pub fn sync(&mut self) -> Result<(), LogError> {
        if self.unsynced || self.last_sync.elapsed() >= self.sync_interval {
            self.file
                .sync_data()
                .map_err(|source| LogError::io(&self.path, source))?;
        }
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Writes the summary and syncs.
    pub fn finish(mut self, summary: SummaryRecord) -> Result<(), LogError> {
        self.append(&Record::Summary(Box::new(summary)))?;
        self.sync()
    }
}

fn check_same_run(path: &Path, existing: &Header, wanted: &Header) -> Result<(), LogError> {
    if existing.config_hash == wanted.config_hash {
        return Ok(());
    }
    let mut differs = Vec::new();
    let mut check = |name: &str, same: bool| {
        if !same {
            differs.push(name.to_owned());
        }
    };
    // As written: a loaded suite also knows the path it was read from.
    let suite = |h: &Header| serde_json::to_value(&h.suite_config).ok();
    check("suite", suite(existing) == suite(wanted));
    check("dataset", existing.dataset_sha256 == wanted.dataset_sha256);
    check("model", existing.model == wanted.model);
    check("judge", existing.judge == wanted.judge);
    check("seed", existing.seed == wanted.seed);
    check("epochs", existing.epochs == wanted.epochs);
    check("samples", existing.samples == wanted.samples);
    check("generate", existing.generate == wanted.generate);
    if existing.format != wanted.format {
        differs.push(format!(
            "format ({} written, {} read)",
            existing.format, wanted.format
        ));
    }
    if differs.is_empty() {
        differs.push("config_hash".to_owned());
    }
    Err(LogError::Mismatch {
        path: path.to_owned(),
        differs,
    })
}

/// Whether the file at `path` holds at least one whole line.
fn has_whole_line(path: &Path) -> Result<bool, LogError> {
    let file = File::open(path).map_err(|source| LogError::io(path, source))?;
    let mut first = Vec::new();
    BufReader::new(file)
        .read_until(b'\n', &mut first)
        .map_err(|source| LogError::io(path, source))?;
    Ok(first.last() == Some(&b'\n'))
}

/// Syncs the folder holding `path`, so a new file's name survives a crash.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Best effort: not every platform can open a folder for syncing.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}
