//! An OpenAI request as a Messages API request.

use serde_json::{Map, Value, json};

use super::{TranslateError, shown, shown_str};
use crate::anthropic::{self, ContentBlock, ImageSource, ToolResultContent};
use crate::openai::{self, ContentPart, MessageContent, Role, ToolChoice, ToolChoiceMode};

type Result<T> = std::result::Result<T, TranslateError>;

/// Translates `req` into a Messages API request for `upstream_model`.
///
/// - `system` and `developer` messages become `system`, in order;
/// - consecutive messages of the same role are merged into one turn, as the
///   API wants user and assistant turns to alternate;
/// - assistant `tool_calls` become `tool_use` blocks, their JSON arguments
///   parsed (an empty string is `{}`);
/// - `tool` messages become `tool_result` blocks of a user turn, placed
///   before that turn's other blocks;
/// - `image_url` parts become base64 images (`data:` URLs) or URL images;
/// - `max_completion_tokens`, else `max_tokens`, else `default_max_tokens`
///   becomes `max_tokens`;
/// - `tool_choice` `auto`/`required`/`none`/named becomes
///   `auto`/`any`/`none`/`tool`, and `parallel_tool_calls: false` becomes
///   `disable_parallel_tool_use`;
/// - `stop` becomes `stop_sequences` and `user` becomes `metadata.user_id`.
///
/// Errors name the field: `n` above 1, a `response_format` other than text,
/// a `function` message, non-text parts in a system message, audio or file
/// parts, tool-call arguments that are not a JSON object, a `tool` message
/// without `tool_call_id`, an image URL that is neither `data:` nor http(s).
pub fn openai_to_anthropic(
    req: &openai::ChatRequest,
    upstream_model: &str,
    default_max_tokens: u32,
) -> Result<anthropic::MessagesRequest> {
    if let Some(n) = req.n
        && n > 1
    {
        return Err(unsupported("n", shown(&n)));
    }
    if let Some(format) = &req.response_format
        && format.get("type").and_then(Value::as_str) != Some("text")
    {
        return Err(unsupported("response_format", shown(format)));
    }

    let mut system = Vec::new();
    let mut turns: Vec<(anthropic::Role, Vec<ContentBlock>)> = Vec::new();
    for (i, message) in req.messages.iter().enumerate() {
        let at = format!("messages[{i}]");
        let (role, blocks) = match message.role {
            Role::System | Role::Developer => {
                system.extend(system_texts(message.content.as_ref(), &at)?);
                continue;
            }
            Role::User => (
                anthropic::Role::User,
                content_blocks(message.content.as_ref(), &at)?,
            ),
            Role::Assistant => (anthropic::Role::Assistant, assistant_blocks(message, &at)?),
            Role::Tool => (anthropic::Role::User, vec![tool_result(message, &at)?]),
            Role::Function => {
                return Err(unsupported(format!("{at}.role"), shown_str("function")));
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, merged)) if *last == role => merged.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }

    let system = match system.len() {
        0 => None,
        1 => system.pop().map(anthropic::System::Text),
        _ => Some(anthropic::System::Blocks(
            system.into_iter().map(ContentBlock::text).collect(),
        )),
    };
    let messages = turns
        .into_iter()
        .map(|(role, blocks)| anthropic::Message {
            role,
            content: content(blocks),
        })
        .collect();
    let tools = req
        .tools
        .as_ref()
        .map(|tools| {
            tools
                .iter()
                .enumerate()
                .map(|(k, tool)| tool_declaration(tool, k))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    let tool_choice = tool_choice(req)?;
    let stop_sequences = req
        .stop
        .as_ref()
        .map(openai::Stop::to_vec)
        .filter(|stop| !stop.is_empty());

    Ok(anthropic::MessagesRequest {
        model: upstream_model.to_owned(),
        messages,
        max_tokens: req
            .max_completion_tokens
            .or(req.max_tokens)
            .unwrap_or(default_max_tokens),
        system,
        stop_sequences,
        temperature: req.temperature,
        top_p: req.top_p,
        top_k: None,
        tools,
        tool_choice,
        stream: req.stream,
        metadata: req.user.as_ref().map(|user| anthropic::Metadata {
            user_id: Some(user.clone()),
        }),
        extra: Map::new(),
    })
}

/// A turn's blocks as content: a lone text block as a string. In a user
/// turn, tool results come first, as the API requires.
fn content(mut blocks: Vec<ContentBlock>) -> anthropic::Content {
    blocks.sort_by_key(|block| !matches!(block, ContentBlock::ToolResult { .. }));
    match blocks.as_slice() {
        [ContentBlock::Text { text }] => anthropic::Content::Text(text.clone()),
        _ => anthropic::Content::Blocks(blocks),
    }
}

fn system_texts(content: Option<&MessageContent>, at: &str) -> Result<Vec<String>> {
    let texts = match content {
        None => Vec::new(),
        Some(MessageContent::Text(text)) => vec![text.clone()],
        Some(MessageContent::Parts(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, part)| match part {
                ContentPart::Text(part) => Ok(part.text.clone()),
                other => Err(unsupported_part(other, &format!("{at}.content[{j}]"))),
            })
            .collect::<Result<_>>()?,
    };
    Ok(texts.into_iter().filter(|text| !text.is_empty()).collect())
}

/// Text and image blocks; empty text is dropped, since the API refuses it.
fn content_blocks(content: Option<&MessageContent>, at: &str) -> Result<Vec<ContentBlock>> {
    match content {
        None => Ok(Vec::new()),
        Some(MessageContent::Text(text)) if text.is_empty() => Ok(Vec::new()),
        Some(MessageContent::Text(text)) => Ok(vec![ContentBlock::text(text.clone())]),
        Some(MessageContent::Parts(parts)) => {
            let mut blocks = Vec::with_capacity(parts.len());
            for (j, part) in parts.iter().enumerate() {
                let field = format!("{at}.content[{j}]");
                match part {
                    ContentPart::Text(part) if part.text.is_empty() => {}
                    ContentPart::Text(part) => blocks.push(ContentBlock::text(part.text.clone())),
                    ContentPart::ImageUrl(part) => blocks.push(image_block(
                        &part.image_url.url,
                        format!("{field}.image_url.url"),
                    )?),
                    other => return Err(unsupported_part(other, &field)),
                }
            }
            Ok(blocks)
        }
    }
}

fn unsupported_part(part: &ContentPart, field: &str) -> TranslateError {
    let value = serde_json::to_value(part).unwrap_or(Value::Null);
    match value.get("type").and_then(Value::as_str) {
        Some(kind @ ("text" | "image_url")) if matches!(part, ContentPart::Other(_)) => {
            TranslateError::Invalid {
                field: field.to_owned(),
                value: shown(&value),
                reason: format!("not a valid {kind} part"),
            }
        }
        Some(kind) => unsupported(format!("{field}.type"), shown_str(kind)),
        None => TranslateError::Missing {
            field: format!("{field}.type"),
        },
    }
}

fn image_block(url: &str, field: String) -> Result<ContentBlock> {
    let source = if let Some(rest) = url.strip_prefix("data:") {
        let invalid = |reason: &str| TranslateError::Invalid {
            field: field.clone(),
            value: shown_str(url),
            reason: reason.to_owned(),
        };
        let (meta, data) = rest
            .split_once(',')
            .ok_or_else(|| invalid("a data url needs a comma before its data"))?;
        let media_type = meta
            .strip_suffix(";base64")
            .ok_or_else(|| invalid("only base64 data urls are supported"))?
            .split(';')
            .next()
            .unwrap_or_default();
        if media_type.is_empty() {
            return Err(invalid("the data url names no media type"));
        }
        ImageSource::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        }
    } else {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        if !scheme
            .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
        {
            return Err(TranslateError::Invalid {
                field,
                value: shown_str(url),
                reason: "expected a data: url or an http(s) url".to_owned(),
            });
        }
        ImageSource::Url {
            url: url.to_owned(),
        }
    };
    Ok(ContentBlock::Image { source })
}

fn assistant_blocks(message: &openai::Message, at: &str) -> Result<Vec<ContentBlock>> {
    let mut blocks = content_blocks(message.content.as_ref(), at)?;
    for (k, call) in message.tool_calls.iter().flatten().enumerate() {
        let field = format!("{at}.tool_calls[{k}]");
        if call.kind != "function" {
            return Err(unsupported(format!("{field}.type"), shown_str(&call.kind)));
        }
        blocks.push(ContentBlock::ToolUse {
            id: call.id.clone(),
            name: call.function.name.clone(),
            input: arguments(
                &call.function.arguments,
                format!("{field}.function.arguments"),
            )?,
        });
    }
    Ok(blocks)
}

/// Tool-call arguments as a JSON object; an empty string is `{}`.
fn arguments(arguments: &str, field: String) -> Result<Value> {
    if arguments.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let invalid = |reason: String| TranslateError::Invalid {
        field: field.clone(),
        value: shown_str(arguments),
        reason,
    };
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(invalid("expected a json object".to_owned())),
        Err(error) => Err(invalid(format!("not json ({error})"))),
    }
}

fn tool_result(message: &openai::Message, at: &str) -> Result<ContentBlock> {
    let tool_use_id = message
        .tool_call_id
        .clone()
        .ok_or_else(|| TranslateError::Missing {
            field: format!("{at}.tool_call_id"),
        })?;
    let content = match &message.content {
        None => None,
        Some(MessageContent::Text(text)) => Some(ToolResultContent::Text(text.clone())),
        Some(parts @ MessageContent::Parts(_)) => {
            let blocks = content_blocks(Some(parts), at)?;
            (!blocks.is_empty()).then_some(ToolResultContent::Blocks(blocks))
        }
    };
    Ok(ContentBlock::ToolResult {
        tool_use_id,
        content,
        is_error: None,
    })
}

fn tool_declaration(tool: &openai::Tool, k: usize) -> Result<anthropic::Tool> {
    if tool.kind != "function" {
        return Err(unsupported(
            format!("tools[{k}].type"),
            shown_str(&tool.kind),
        ));
    }
    let function = tool
        .function
        .as_ref()
        .ok_or_else(|| TranslateError::Missing {
            field: format!("tools[{k}].function"),
        })?;
    Ok(anthropic::Tool {
        name: function.name.clone(),
        description: function.description.clone(),
        input_schema: function
            .parameters
            .clone()
            .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
    })
}

fn tool_choice(req: &openai::ChatRequest) -> Result<Option<anthropic::ToolChoice>> {
    let disable_parallel_tool_use = (req.parallel_tool_calls == Some(false)).then_some(true);
    Ok(match &req.tool_choice {
        None if disable_parallel_tool_use.is_some() && req.tools.is_some() => {
            Some(anthropic::ToolChoice::Auto {
                disable_parallel_tool_use,
            })
        }
        None => None,
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => Some(anthropic::ToolChoice::Auto {
            disable_parallel_tool_use,
        }),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => Some(anthropic::ToolChoice::Any {
            disable_parallel_tool_use,
        }),
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => Some(anthropic::ToolChoice::None),
        Some(ToolChoice::Named(named)) => {
            if named.kind != "function" {
                return Err(unsupported("tool_choice.type", shown_str(&named.kind)));
            }
            Some(anthropic::ToolChoice::Tool {
                name: named.function.name.clone(),
                disable_parallel_tool_use,
            })
        }
    })
}

fn unsupported(field: impl Into<String>, value: String) -> TranslateError {
    TranslateError::Unsupported {
        field: field.into(),
        value,
    }
}
