//! The messages of a plan: the solver's system prompt, the sample's own
//! system messages, the few-shot turns, then the sample's conversation with
//! its last user message (or its prompt) put through the template.

use super::ChoiceLayout;
use crate::sample::{ChatMessage, Input, Role, Sample};
use crate::template::Template;

pub(super) fn messages(
    system_prompt: Option<&str>,
    few_shot: &[ChatMessage],
    template: &Template,
    sample: &Sample,
    layout: &ChoiceLayout,
) -> Result<Vec<ChatMessage>, String> {
    let mut out = Vec::new();
    if let Some(system) = system_prompt {
        out.push(ChatMessage::system(system));
    }
    match &sample.input {
        Input::Prompt(prompt) => {
            out.extend_from_slice(few_shot);
            out.push(ChatMessage::user(fill(template, prompt, sample, layout)));
        }
        Input::Messages(messages) => {
            let leading = messages
                .iter()
                .take_while(|m| matches!(m.role, Role::System | Role::Developer))
                .count();
            let last_user = messages
                .iter()
                .rposition(|m| m.role == Role::User)
                .ok_or_else(|| "has no user message to put the prompt in".to_owned())?;
            out.extend_from_slice(&messages[..leading]);
            out.extend_from_slice(few_shot);
            for (i, message) in messages.iter().enumerate().skip(leading) {
                if i == last_user {
                    let content = fill(template, &message.content, sample, layout);
                    out.push(ChatMessage::user(content));
                } else {
                    out.push(message.clone());
                }
            }
        }
    }
    Ok(out)
}

/// The user prompt of a sample whose input is a prompt.
pub(super) fn user_prompt(
    template: &Template,
    sample: &Sample,
    layout: &ChoiceLayout,
) -> Result<String, String> {
    match &sample.input {
        Input::Prompt(prompt) => Ok(fill(template, prompt, sample, layout)),
        Input::Messages(_) => Err("needs input, a prompt, not messages".to_owned()),
    }
}

fn fill(template: &Template, prompt: &str, sample: &Sample, layout: &ChoiceLayout) -> String {
    template.render(|name| match name {
        "prompt" => prompt.to_owned(),
        "choices" => layout.render(&sample.choices),
        "letters" => layout.letters(),
        _ => String::new(),
    })
}
