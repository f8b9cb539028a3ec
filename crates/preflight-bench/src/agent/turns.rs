//! A sample's turns taken apart from its trajectory: each turn's wall time,
//! its model call, its tools, and what is left, which is the loop's own
//! overhead. Turn `k` starts at its model call and ends where turn `k + 1`
//! starts; the last ends at the end of the loop, the record's end less the
//! sandbox's teardown.

use anyhow::{Context, Result, ensure};
use preflight_eval::SampleRecord;

/// One turn, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub wall: f64,
    pub model: f64,
    /// Each tool call: its input (the command or the flag) and its time.
    pub tools: Vec<(String, f64)>,
    /// Whether this is the sample's last turn.
    pub last: bool,
}

impl Turn {
    /// Wall time less the model call and the tools.
    pub fn overhead(&self) -> f64 {
        self.wall - self.model - self.tools.iter().map(|(_, s)| s).sum::<f64>()
    }
}

/// The turns of `record`.
pub fn of(record: &SampleRecord) -> Result<Vec<Turn>> {
    let trajectory = record
        .trajectory
        .as_ref()
        .with_context(|| format!("sample {} has no trajectory", record.id))?;
    let end = record.seconds - trajectory.sandbox_teardown_seconds;
    let turns = &trajectory.turns;
    let mut out = Vec::with_capacity(turns.len());
    for (i, turn) in turns.iter().enumerate() {
        let next = turns.get(i + 1);
        let until = next.map_or(end, |n| n.model.started);
        ensure!(
            until >= turn.model.started,
            "sample {}: turn {} ends ({until} s) before it starts ({} s)",
            record.id,
            i + 1,
            turn.model.started
        );
        out.push(Turn {
            wall: until - turn.model.started,
            model: turn.model.seconds,
            tools: turn
                .tools
                .iter()
                .map(|t| (t.input.clone(), t.seconds))
                .collect(),
            last: next.is_none(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A record of two turns: a bash call, then a submission.
    fn record() -> SampleRecord {
        let turn = |started: f64, model: f64, tool: (&str, &str, f64, f64)| {
            json!({
                "model": {"started": started, "seconds": model, "usage": {"input_tokens": 1, "output_tokens": 1}, "completion": ""},
                "tools": [{"call_id": "c", "tool": tool.0, "input": tool.1, "result": "", "started": tool.2, "seconds": tool.3}],
            })
        };
        serde_json::from_value(json!({
            "id": "t", "epoch": 1, "status": "scored", "input": "p", "attempts": 2,
            "started": "2026-01-01T00:00:00Z", "completed": "2026-01-01T00:00:01Z",
            "seconds": 0.100,
            "trajectory": {
                "turns": [
                    turn(0.020, 0.001, ("bash", "true", 0.0212, 0.013)),
                    turn(0.035, 0.001, ("submit", "flag{x}", 0.0362, 0.0001)),
                ],
                "stop": "solved",
                "sandbox_ready_seconds": 0.015,
                "sandbox_teardown_seconds": 0.004,
            },
        }))
        .expect("a sample record")
    }

    #[test]
    fn a_turn_runs_to_the_next_and_the_last_to_the_loop_end() {
        let turns = of(&record()).expect("turns");
        assert_eq!(turns.len(), 2);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(turns[0].wall, 0.015), "{turns:?}");
        assert!(close(turns[0].overhead(), 0.001), "{turns:?}");
        assert!(!turns[0].last);
        // The loop ends at 0.100 − 0.004 s.
        assert!(close(turns[1].wall, 0.061), "{turns:?}");
        assert!(close(turns[1].overhead(), 0.0599), "{turns:?}");
        assert!(turns[1].last);
        assert_eq!(turns[1].tools[0].0, "flag{x}");
    }
}
