//! One evaluation item: what the model is asked, the options it may choose
//! from, what counts as right, and the labels results are broken down by.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A sample of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Unique within its dataset; paired comparisons match runs on it.
    pub id: String,
    pub input: Input,
    /// Options of a multiple-choice question, without letters, in the
    /// dataset's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// What counts as right: answer letters for multiple choice, reference
    /// strings for matching scorers, a criterion for a judge; may be empty.
    #[serde(default, skip_serializing_if = "Target::is_empty")]
    pub target: Target,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Labels results are broken down by, such as `difficulty:hard`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Sample {
    /// The input as one text: the prompt, or the messages as `role: content`
    /// paragraphs (for a judge's `{question}`).
    pub fn input_text(&self) -> String {
        match &self.input {
            Input::Prompt(prompt) => prompt.clone(),
            Input::Messages(messages) => messages
                .iter()
                .map(|m| format!("{}: {}", m.role.as_str(), m.content))
                .collect::<Vec<_>>()
                .join("\n\n"),
        }
    }
}

/// What the model is given: one user prompt, or a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Prompt(String),
    Messages(Vec<ChatMessage>),
}

/// A chat message, shaped like an OpenAI chat message with text content;
/// the model client converts it to its wire form. An assistant message may
/// call tools; a `tool` message answers one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a `tool` message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

/// A function call made by the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as the model wrote them: a JSON object, as text.
    pub arguments: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
    /// An assistant turn that calls `tool_calls`.
    pub fn assistant_calls(content: impl Into<String>, tool_calls: Vec<ToolCall>) -> Self {
        ChatMessage {
            tool_calls,
            ..Self::new(Role::Assistant, content)
        }
    }
    /// The result of the call `tool_call_id`.
    pub fn tool_result(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        ChatMessage {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::new(Role::Tool, content)
        }
    }
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// Who wrote a message, with OpenAI's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::System,
        Role::Developer,
        Role::User,
        Role::Assistant,
        Role::Tool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// One or many target strings. Written as a string when there is exactly
/// one, as an array otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target(Vec<String>);

impl Target {
    pub fn none() -> Self {
        Target(Vec::new())
    }
    pub fn one(text: impl Into<String>) -> Self {
        Target(vec![text.into()])
    }
    pub fn many(texts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Target(texts.into_iter().map(Into::into).collect())
    }
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The targets joined by new lines (a judge's `{criterion}`).
    pub fn text(&self) -> String {
        self.0.join("\n")
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(deserializer)? {
            OneOrMany::One(one) => Target(vec![one]),
            OneOrMany::Many(many) => Target(many),
        })
    }
}
