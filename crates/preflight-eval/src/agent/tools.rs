//! The agent's tools: their definitions, reading calls out of an answer,
//! and the text a tool's result is shown to the model as.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use super::config::ToolName;
use crate::model::ModelOutput;
use crate::sample::ToolCall;

/// Tool definitions in OpenAI's shape, for the tools offered.
pub fn definitions(tools: &[ToolName]) -> Vec<Value> {
    tools
        .iter()
        .map(|tool| {
            let (description, parameter, about) = match tool {
                ToolName::Bash => (
                    "Run a bash command in the task's sandbox. The working directory holds the task files; there is no network. Processes end with the command.",
                    "cmd",
                    "The bash command to run.",
                ),
                ToolName::Python => (
                    "Run a Python 3 program in the task's sandbox, in the working directory that holds the task files.",
                    "code",
                    "The Python program; print what you want to see.",
                ),
                ToolName::Submit => (
                    "Submit the flag. The task ends when the flag is right or no submissions are left.",
                    "answer",
                    "The flag, exactly as found.",
                ),
            };
            json!({
                "type": "function",
                "function": {
                    "name": tool.as_str(),
                    "description": description,
                    "parameters": {
                        "type": "object",
                        "properties": { parameter: { "type": "string", "description": about } },
                        "required": [parameter],
                        "additionalProperties": false,
                    },
                },
            })
        })
        .collect()
}

/// What the model asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolRequest {
    Bash(String),
    Python(String),
    Submit(String),
    /// A call that cannot run, with the reason shown to the model.
    Invalid {
        name: String,
        problem: String,
    },
}

/// One call: its id (the API's, or one made up for text calls) and request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub id: String,
    pub request: ToolRequest,
    /// The call as the conversation keeps it.
    pub call: ToolCall,
}

/// The native tool calls of an answer (OpenAI's shape, as the clients
/// give them), checked against the tools offered.
pub fn parse_native(output: &ModelOutput, offered: &[ToolName]) -> Vec<Invocation> {
    output
        .tool_calls
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let id = value["id"]
                .as_str()
                .filter(|id| !id.is_empty())
                .map_or_else(|| format!("call_{i}"), str::to_owned);
            let name = value["function"]["name"].as_str().unwrap_or("").to_owned();
            let arguments = value["function"]["arguments"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            let request = native_request(&name, &arguments, offered);
            Invocation {
                call: ToolCall {
                    id: id.clone(),
                    name,
                    arguments,
                },
                id,
                request,
            }
        })
        .collect()
}

fn native_request(name: &str, arguments: &str, offered: &[ToolName]) -> ToolRequest {
    let invalid = |problem: String| ToolRequest::Invalid {
        name: name.to_owned(),
        problem,
    };
    let Some(tool) = offered.iter().find(|t| t.as_str() == name) else {
        let names: Vec<&str> = offered.iter().map(|t| t.as_str()).collect();
        return invalid(format!(
            "there is no tool {name:?}; the tools are {}",
            names.join(", ")
        ));
    };
    let parameter = match tool {
        ToolName::Bash => "cmd",
        ToolName::Python => "code",
        ToolName::Submit => "answer",
    };
    let parsed: Value = match serde_json::from_str(if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    }) {
        Ok(value) => value,
        Err(e) => return invalid(format!("the arguments are not a JSON object: {e}")),
    };
    let Some(text) = parsed.get(parameter).and_then(Value::as_str) else {
        return invalid(format!(
            "{name} needs a string argument {parameter:?}, got {arguments}"
        ));
    };
    match tool {
        ToolName::Bash => ToolRequest::Bash(text.to_owned()),
        ToolName::Python => ToolRequest::Python(text.to_owned()),
        ToolName::Submit => ToolRequest::Submit(text.to_owned()),
    }
}

/// A fenced code block: its language tag (capture 1) and body (capture 2).
pub(crate) static FENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)```").expect("valid pattern")
});
static SUBMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^[ \t>*]*submit[ \t]*(?::[ \t]*(\S.*?)|\([ \t]*(\S.*?)[ \t]*\))[ \t]*$")
        .expect("valid pattern")
});

/// The call written as text: a `submit: FLAG` (or `submit(FLAG)`) line,
/// which wins over everything else, or else the first ```bash (```sh, or
/// no language) or ```python block. One call a turn: a model writing calls
/// as text sees each result before its next step. `turn` numbers the
/// made-up ids.
pub fn parse_text(text: &str, offered: &[ToolName], turn: u32) -> Vec<Invocation> {
    let offers = |tool: ToolName| offered.contains(&tool);
    let make = |i: usize, name: &str, argument: &str, request: ToolRequest| {
        let id = format!("text_{turn}_{i}");
        let key = match name {
            "bash" => "cmd",
            "python" => "code",
            _ => "answer",
        };
        Invocation {
            call: ToolCall {
                id: id.clone(),
                name: name.to_owned(),
                arguments: json!({ key: argument }).to_string(),
            },
            id,
            request,
        }
    };
    if offers(ToolName::Submit)
        && let Some(found) = SUBMIT.captures(text)
        && let Some(flag) = found.get(1).or_else(|| found.get(2))
    {
        let flag = flag.as_str().trim().trim_matches('`').to_owned();
        return vec![make(0, "submit", &flag, ToolRequest::Submit(flag.clone()))];
    }
    let mut calls = Vec::new();
    for block in FENCE.captures_iter(text) {
        let language = block[1].to_lowercase();
        let body = block[2].trim_end().to_owned();
        if body.trim().is_empty() {
            continue;
        }
        let i = calls.len();
        match language.as_str() {
            "" | "bash" | "sh" | "shell" | "console" if offers(ToolName::Bash) => {
                let script = strip_prompts(&body);
                calls.push(make(i, "bash", &script, ToolRequest::Bash(script.clone())));
            }
            "python" | "python3" | "py" if offers(ToolName::Python) => {
                calls.push(make(i, "python", &body, ToolRequest::Python(body.clone())));
            }
            _ => continue,
        }
        break;
    }
    calls
}

/// A console transcript's commands: when some lines start with `$ `, only
/// those lines, without it.
fn strip_prompts(script: &str) -> String {
    let prompted: Vec<&str> = script
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("$ "))
        .collect();
    if prompted.is_empty() {
        script.to_owned()
    } else {
        prompted.join("\n")
    }
}

/// A command's result as the model reads it: stdout, then stderr, each
/// followed by how many bytes were cut, then how it ended.
pub fn result_text(output: &preflight_sandbox::ExecOutput, limit: usize) -> String {
    let mut text = String::new();
    let mut part = |name: &str, body: &str, dropped: u64| {
        if body.is_empty() && dropped == 0 {
            return;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        if name == "stderr" {
            text.push_str("[stderr]\n");
        }
        text.push_str(body);
        if dropped > 0 {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!(
                "[{name} truncated: {dropped} more bytes were not shown; the limit is {limit} bytes]"
            ));
        }
    };
    part("stdout", &output.stdout, output.stdout_dropped);
    part("stderr", &output.stderr, output.stderr_dropped);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if output.timed_out {
        text.push_str(&format!(
            "[the command was stopped after {:.0} s, its time limit]",
            output.duration.as_secs_f64()
        ));
    } else if let Some(signal) = output.signal {
        text.push_str(&format!("[killed by signal {signal}]"));
    } else {
        text.push_str(&format!("[exit code {}]", output.exit_code.unwrap_or(-1)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ToolName; 3] = [ToolName::Bash, ToolName::Python, ToolName::Submit];

    #[test]
    fn text_calls_are_fenced_blocks_and_submit_lines() {
        let calls = parse_text(
            "Let me look.\n```bash\n$ ls -la\n$ cat flag.txt\n```\nand\n```python\nprint(1)\n```",
            &ALL,
            3,
        );
        assert_eq!(calls.len(), 1, "one call a turn");
        assert_eq!(
            calls[0].request,
            ToolRequest::Bash("ls -la\ncat flag.txt".into())
        );
        assert_eq!(calls[0].id, "text_3_0");
        let python = parse_text("```text\nnot code\n```\n```python\nprint(1)\n```", &ALL, 1);
        assert_eq!(python[0].request, ToolRequest::Python("print(1)".into()));
        let submitted = parse_text("I found it.\nsubmit: picoCTF{x_y}\n", &ALL, 1);
        assert_eq!(
            submitted[0].request,
            ToolRequest::Submit("picoCTF{x_y}".into())
        );
        let called = parse_text("submit(picoCTF{x_y})", &ALL, 1);
        assert_eq!(
            called[0].request,
            ToolRequest::Submit("picoCTF{x_y}".into())
        );
        assert!(parse_text("no calls here", &ALL, 1).is_empty());
        assert!(parse_text("```bash\nls\n```", &[ToolName::Submit], 1).is_empty());
    }

    #[test]
    fn native_calls_are_checked_against_the_tools() {
        let output = ModelOutput {
            tool_calls: vec![
                json!({"id": "a", "type": "function", "function": {"name": "bash", "arguments": "{\"cmd\": \"ls\"}"}}),
                json!({"id": "b", "type": "function", "function": {"name": "nmap", "arguments": "{}"}}),
                json!({"id": "c", "type": "function", "function": {"name": "submit", "arguments": "{\"flag\": 1}"}}),
            ],
            ..ModelOutput::default()
        };
        let calls = parse_native(&output, &ALL);
        assert_eq!(calls[0].request, ToolRequest::Bash("ls".into()));
        assert!(
            matches!(&calls[1].request, ToolRequest::Invalid { problem, .. } if problem.contains("no tool \"nmap\""))
        );
        assert!(
            matches!(&calls[2].request, ToolRequest::Invalid { problem, .. } if problem.contains("\"answer\""))
        );
    }

    #[test]
    fn results_say_what_was_cut_and_how_the_command_ended() {
        let output = preflight_sandbox::ExecOutput {
            exit_code: Some(2),
            stdout: "abc".into(),
            stdout_dropped: 10,
            stderr: "oops".into(),
            ..Default::default()
        };
        let text = result_text(&output, 3);
        assert_eq!(
            text,
            "abc\n[stdout truncated: 10 more bytes were not shown; the limit is 3 bytes]\n[stderr]\noops\n[exit code 2]"
        );
    }
}
