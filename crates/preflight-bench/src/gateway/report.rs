//! The gateway benchmark's one table: a column per way to the model, the
//! targets in the last one. Every timed figure is the median over rounds;
//! added latency is a gateway's percentile minus the direct one of the same
//! round.

use super::memory::megabytes;
use super::{Measured, PlainRound, Plan, Setting, StreamRound};
use crate::stats::{count, duration};
use std::time::Duration;

const COLUMNS: [&str; 3] = ["direct", "Preflight", "LiteLLM"];

/// The targets Preflight is held to, and LiteLLM's figures measured here before.
const ADDED_P50: Duration = Duration::from_micros(300);
const ADDED_P99: Duration = Duration::from_millis(1);
const RATE: f64 = 10_000.0;
const STREAM_RSS: u64 = 50_000_000;

pub fn render(plan: &Plan, names: &[String], measured: &[Measured], setting: &Setting) -> String {
    let find = |name: &str| names.iter().position(|n| n == name).map(|i| &measured[i]);
    let direct = find("direct");
    let by_column: Vec<Option<&Measured>> = COLUMNS.iter().map(|c| find(c)).collect();
    let litellm_header = match &setting.litellm {
        Ok((version, _)) => format!("LiteLLM {version}"),
        Err(_) => "LiteLLM".to_owned(),
    };
    // Why a column is empty, said in full in its first row.
    let absent = |column: usize, first: bool| match (&setting.litellm, COLUMNS[column]) {
        (Err(why), "LiteLLM") if first => why.clone(),
        _ => "not run".to_owned(),
    };
    let mut rows: Vec<[String; 5]> = Vec::new();
    let mut row = |label: String, cell: &dyn Fn(usize, &Measured) -> String, target: String| {
        let mut cells = [label, String::new(), String::new(), String::new(), target];
        for (i, m) in by_column.iter().enumerate() {
            cells[i + 1] = match m {
                Some(m) => cell(i, m),
                None => absent(i, rows.is_empty()),
            };
        }
        rows.push(cells);
    };

    for &clients in &plan.clients {
        let base = direct.map(|d| rounds(d, clients)).unwrap_or_default();
        let s = if clients == 1 { "" } else { "s" };
        let verdict = if clients == 1 {
            let preflight = find("Preflight").map(|m| added(base, rounds(m, clients)));
            let met = preflight.is_some_and(|(p50, p99)| {
                p50 <= ADDED_P50.as_secs_f64() && p99 <= ADDED_P99.as_secs_f64()
            });
            format!(
                "Preflight ≤ +0.3 ms · ≤ +1 ms: {}; \
                 LiteLLM measured here before: +8.9 ms · +10.9 ms",
                met_or_not(met)
            )
        } else {
            "—".to_owned()
        };
        row(
            format!(
                "plain calls, {clients} keep-alive client{s}: added latency p50 · p99 \
                 (direct: the latency itself)"
            ),
            &|column, m| {
                let own = rounds(m, clients);
                if own.iter().any(|r| r.samples == 0) {
                    return "no call answered in the timed window".to_owned();
                }
                if column == 0 {
                    format!(
                        "p50 {} · p99 {}",
                        duration(median_duration(own.iter().map(|r| r.p50))),
                        duration(median_duration(own.iter().map(|r| r.p99)))
                    )
                } else {
                    let (p50, p99) = added(base, own);
                    format!("{} · {}", signed(p50), signed(p99))
                }
            },
            verdict,
        );
        row(
            format!("plain calls, {clients} client{s}: requests/s"),
            &|_, m| count(median(rounds(m, clients).iter().map(|r| r.per_second))),
            "—".to_owned(),
        );
    }

    let best = |m: &Measured| {
        m.plain
            .iter()
            .map(|(clients, r)| (median(r.iter().map(|r| r.per_second)), *clients))
            .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
    };
    let preflight_best = find("Preflight").map(|m| best(m).0).unwrap_or(0.0);
    row(
        "maximum requests/s (best client count)".to_owned(),
        &|_, m| {
            let (rate, clients) = best(m);
            format!("{} (at {clients} clients)", count(rate))
        },
        format!(
            "Preflight ≥ 10,000/s: {}; LiteLLM measured here before: ~120/s",
            met_or_not(preflight_best >= RATE)
        ),
    );
    row(
        "plain calls that failed (all rounds)".to_owned(),
        &|_, m| {
            let all: Vec<&PlainRound> = m.plain.iter().flat_map(|(_, r)| r).collect();
            let failed: u64 = all.iter().map(|r| r.failures).sum();
            match all.iter().find_map(|r| r.first_failure.as_deref()) {
                Some(first) if failed > 0 => {
                    format!(
                        "{failed} (first: {})",
                        first.chars().take(120).collect::<String>()
                    )
                }
                _ => failed.to_string(),
            }
        },
        "none".to_owned(),
    );

    let n = count(plan.streams as f64);
    let streams_label = format!(
        "{n} concurrent streams × {} chunks {} ms apart",
        plan.shape.chunks,
        plan.shape.delay.as_millis()
    );
    let base_streams = direct.map(|d| d.streams.as_slice()).unwrap_or_default();
    row(
        format!("{streams_label}: added time to first token p50 · p99 (direct: the time itself)"),
        &|column, m| {
            if column == 0 {
                format!(
                    "p50 {} · p99 {}",
                    duration(median_duration(m.streams.iter().map(|r| r.first_p50))),
                    duration(median_duration(m.streams.iter().map(|r| r.first_p99)))
                )
            } else {
                let (p50, p99) = added_first(base_streams, &m.streams);
                format!("{} · {}", signed(p50), signed(p99))
            }
        },
        "—".to_owned(),
    );
    row(
        format!("{streams_label}: gap between chunks p99 (longest)"),
        &|_, m| {
            format!(
                "{} ({})",
                duration(median_duration(m.streams.iter().map(|r| r.gap_p99))),
                duration(
                    m.streams
                        .iter()
                        .map(|r| r.gap_max)
                        .max()
                        .unwrap_or_default()
                )
            )
        },
        format!("{} ms from the fake model", plan.shape.delay.as_millis()),
    );
    let preflight_stalled =
        find("Preflight").map(|m| m.streams.iter().map(|r| r.stalled).sum::<usize>());
    row(
        format!(
            "{streams_label}: stalled (a gap > 1 s, or not done in {} s), per round",
            plan.stream_limit.as_secs()
        ),
        &|_, m| {
            let each: Vec<String> = m.streams.iter().map(stalled).collect();
            format!("{} of {n}", each.join(" · "))
        },
        format!(
            "Preflight none: {}",
            met_or_not(preflight_stalled == Some(0))
        ),
    );
    row(
        format!("{streams_label}: all done after"),
        &|_, m| duration(median_duration(m.streams.iter().map(|r| r.wall))),
        format!(
            "≥ {} ms: one stream's own length",
            plan.shape.delay.as_millis() * (plan.shape.chunks as u128 - 1)
        ),
    );

    let memory = |m: &Measured, f: &dyn Fn(&Measured) -> Option<u64>| {
        f(m).map_or_else(|| "— (not a server of its own)".to_owned(), megabytes)
    };
    row(
        "RSS idle, after start-up and one call (VmRSS)".to_owned(),
        &|_, m| memory(m, &|m| m.idle.map(|x| x.rss)),
        "LiteLLM measured here before: ~350 MB".to_owned(),
    );
    row(
        "RSS under plain-call load, highest seen (VmRSS)".to_owned(),
        &|_, m| memory(m, &|m| m.idle.map(|_| m.under_load)),
        "—".to_owned(),
    );
    let preflight_streams_rss = find("Preflight").and_then(|m| m.with_streams.first().copied());
    row(
        format!(
            "RSS with {n} streams open, highest seen: first round (fresh server) · \
             all rounds (VmRSS)"
        ),
        &|_, m| match (m.idle, m.with_streams.first(), m.with_streams.iter().max()) {
            (Some(_), Some(&first), Some(&all)) => {
                format!("{} · {}", megabytes(first), megabytes(all))
            }
            _ => "— (not a server of its own)".to_owned(),
        },
        format!(
            "Preflight < 50 MB: {}",
            met_or_not(preflight_streams_rss.is_some_and(|b| b > 0 && b < STREAM_RSS))
        ),
    );
    row(
        "peak RSS over the whole run (VmHWM)".to_owned(),
        &|_, m| memory(m, &|m| m.at_end.map(|x| x.peak)),
        "—".to_owned(),
    );

    let mut out = format!(
        "Preflight gateway benchmark: {} round{} (figures are medians), plain calls timed {} s \
         after {} s of warm-up per cell, rounds interleaved (direct, Preflight, LiteLLM, ...).\n\n",
        plan.rounds,
        if plan.rounds == 1 { "" } else { "s" },
        plan.run.as_secs_f64(),
        plan.warm_up.as_secs_f64()
    );
    let header = [
        "measurement",
        COLUMNS[0],
        COLUMNS[1],
        &litellm_header,
        "target / reference",
    ];
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    out.push_str(&format!("| {} |\n", header.map(cell).join(" | ")));
    out.push_str("|---|---|---|---|---|\n");
    for r in &rows {
        out.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let key = match &setting.litellm {
        Ok((_, key)) => format!("LiteLLM is called with {key}; one worker, no database."),
        Err(_) => "LiteLLM: not run (see its column).".to_owned(),
    };
    let serve = if setting.preflight_args.is_empty() {
        "`preflight serve` with its default settings".to_owned()
    } else {
        format!("`preflight serve {}`", setting.preflight_args.join(" "))
    };
    out.push_str(&format!(
        "\nFake model: nginx {} (one worker) answering a fixed chat.completion for plain calls; \
         an SSE server in the bench process (tokio + hyper) for streams. Preflight: \
         {serve} (release) as a child process, SQLite store in a temp dir \
         (WAL, synchronous=FULL), every call's start committed with its ledger entry before it \
         goes upstream (synced with the ledger's next commit unless \
         `--gateway-sync-each-call`) and its sealed transcript written behind it; the caller \
         is a government evaluator in the government phase. {key} Clients: hyper HTTP/1.1 keep-alive \
         connections with TCP_NODELAY in the bench process, one request at a time each; \
         latency is to the last byte of the answer. RSS is the server process's own. \
         {cores} cores shared by the clients, the fake model and the server under test. \
         Load average (1, 5, 15 min) before: {}, after: {}. Total run time {}.\n",
        setting.nginx,
        setting.load_before,
        setting.load_after,
        duration(setting.elapsed)
    ));
    out
}

fn rounds(m: &Measured, clients: usize) -> &[PlainRound] {
    m.plain
        .iter()
        .find(|(c, _)| *c == clients)
        .map(|(_, r)| r.as_slice())
        .unwrap_or_default()
}

/// Median over rounds of (own − direct), for p50 and p99, in seconds.
fn added(direct: &[PlainRound], own: &[PlainRound]) -> (f64, f64) {
    let diff = |f: fn(&PlainRound) -> Duration| {
        median(
            own.iter()
                .zip(direct)
                .map(|(o, d)| f(o).as_secs_f64() - f(d).as_secs_f64()),
        )
    };
    (diff(|r| r.p50), diff(|r| r.p99))
}

fn added_first(direct: &[StreamRound], own: &[StreamRound]) -> (f64, f64) {
    let diff = |f: fn(&StreamRound) -> Duration| {
        median(
            own.iter()
                .zip(direct)
                .map(|(o, d)| f(o).as_secs_f64() - f(d).as_secs_f64()),
        )
    };
    (diff(|r| r.first_p50), diff(|r| r.first_p99))
}

fn stalled(r: &StreamRound) -> String {
    if r.unfinished > 0 {
        format!("{} ({} not done)", r.stalled, r.unfinished)
    } else {
        r.stalled.to_string()
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

fn median_duration(values: impl Iterator<Item = Duration>) -> Duration {
    Duration::from_secs_f64(median(values.map(|d| d.as_secs_f64())).max(0.0))
}

/// `+1.20 ms`, `−40 µs`.
fn signed(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "−" } else { "+" };
    format!("{sign}{}", duration(Duration::from_secs_f64(seconds.abs())))
}

fn met_or_not(met: bool) -> &'static str {
    if met { "met" } else { "not met" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0].into_iter()), 2.5);
        assert_eq!(median(std::iter::empty()), 0.0);
    }

    #[test]
    fn added_latency_is_signed() {
        assert_eq!(signed(0.0012), "+1.20 ms");
        assert_eq!(signed(-0.00004), "−40 µs");
    }
}
