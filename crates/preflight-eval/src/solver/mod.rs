//! Solvers turn a sample into a [`Plan`]: the messages to send and how to
//! read the answer. Building a plan is pure; a runner executes it with a
//! model client and hands the output to a scorer together with the plan.

pub mod choices;
mod prompt;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use choices::{ChoiceLayout, sample_seed};

use crate::agent::AgentConfig;
use crate::dataset::{DatasetFormat, DatasetSource};
use crate::error::{Error, Result};
use crate::sample::{ChatMessage, Input, Role, Sample};
use crate::template::Template;

/// The placeholders a solver template may use.
pub const TEMPLATE_PLACEHOLDERS: [&str; 3] = ["prompt", "choices", "letters"];

/// A suite's `[solver]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolverConfig {
    pub kind: SolverKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Worked examples sent before the question, as user and assistant turns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub few_shot: Vec<FewShotExample>,
    /// More examples, from a native JSON Lines file (relative to the suite
    /// file): each sample's input goes through the template and its target
    /// is the answer. They come before `few_shot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub few_shot_file: Option<PathBuf>,
    /// Wraps the sample's prompt: `{prompt}`, `{choices}` (the lettered
    /// options), `{letters}` (`A, B, C`); `{{` and `}}` for braces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Multiple choice only: the answer is a set of letters.
    #[serde(default)]
    pub multiple_answers: bool,
    /// Multiple choice only: shuffle the options, drawing each sample's
    /// order from `seed` and its id (see [`sample_seed`]).
    #[serde(default)]
    pub shuffle_choices: bool,
    /// Multiple choice only; 0 when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolverKind {
    Generate,
    MultipleChoice,
    /// A tool-using agent in a sandbox, configured by the suite's
    /// `[agent]` table.
    Agent,
}

/// One worked example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FewShotExample {
    pub user: String,
    pub assistant: String,
}

const SINGLE_ANSWER_TEMPLATE: &str = "Answer the following multiple choice question. \
The last line of your response must be of the form 'ANSWER: $LETTER' (without quotes), \
where LETTER is one of {letters}.

{prompt}

{choices}";

const MULTIPLE_ANSWERS_TEMPLATE: &str = "Answer the following multiple choice question. \
One or more options may be correct. The last line of your response must be of the form \
'ANSWER: $LETTERS' (without quotes), where LETTERS lists every correct option among \
{letters}, separated by commas.

{prompt}

{choices}";

/// A solver ready to plan samples.
#[derive(Debug, Clone)]
pub struct Solver {
    multiple_choice: Option<MultipleChoice>,
    agent: Option<AgentConfig>,
    system_prompt: Option<String>,
    few_shot: Vec<ChatMessage>,
    template: Template,
}

#[derive(Debug, Clone, Copy)]
struct MultipleChoice {
    multiple_answers: bool,
    shuffle_seed: Option<u64>,
}

impl Solver {
    /// Builds the solver of `config`; `base` is the folder relative paths
    /// start from. Reads `few_shot_file` when given.
    pub fn from_config(config: &SolverConfig, base: &Path) -> Result<Solver> {
        let multiple_choice = match config.kind {
            SolverKind::Agent | SolverKind::Generate => None,
            SolverKind::MultipleChoice => Some(MultipleChoice {
                multiple_answers: config.multiple_answers,
                shuffle_seed: config.shuffle_choices.then_some(config.seed.unwrap_or(0)),
            }),
        };
        let default = match multiple_choice {
            None => "{prompt}",
            Some(mc) if mc.multiple_answers => MULTIPLE_ANSWERS_TEMPLATE,
            Some(_) => SINGLE_ANSWER_TEMPLATE,
        };
        let template = Template::parse(
            "solver",
            config.template.as_deref().unwrap_or(default),
            &TEMPLATE_PLACEHOLDERS,
        )?;
        let mut solver = Solver {
            multiple_choice,
            agent: (config.kind == SolverKind::Agent).then(AgentConfig::default),
            system_prompt: config.system_prompt.clone(),
            few_shot: Vec::new(),
            template,
        };
        if let Some(file) = &config.few_shot_file {
            let examples = DatasetSource::new(base.join(file), DatasetFormat::Jsonl).load_all()?;
            for example in &examples {
                let turns = solver.example_turns(example)?;
                solver.few_shot.extend(turns);
            }
        }
        for example in &config.few_shot {
            solver.few_shot.push(ChatMessage::user(&example.user));
            solver
                .few_shot
                .push(ChatMessage::assistant(&example.assistant));
        }
        Ok(solver)
    }

    /// An agent solver runs with `agent` (its default otherwise); other
    /// solvers ignore it.
    pub fn with_agent(mut self, agent: &AgentConfig) -> Solver {
        if self.agent.is_some() {
            self.agent = Some(agent.clone());
        }
        self
    }

    /// The plan for `sample`.
    pub fn plan(&self, sample: &Sample) -> Result<Plan> {
        if let Some(agent) = &self.agent {
            return self.agent_plan(sample, agent);
        }
        let unfit = |reason: String| Error::SampleUnfit {
            id: sample.id.clone(),
            reason,
        };
        if sample.choices.len() > 26 {
            return Err(unfit(format!(
                "{} choices, at most 26 can be lettered",
                sample.choices.len()
            )));
        }
        let (layout, post) = match self.multiple_choice {
            None => {
                let layout = ChoiceLayout::identity(sample.choices.len());
                (layout, PostProcess::Completion)
            }
            Some(mc) => {
                if sample.choices.len() < 2 {
                    return Err(unfit(format!(
                        "multiple choice needs at least 2 choices, the sample has {}",
                        sample.choices.len()
                    )));
                }
                let layout = match mc.shuffle_seed {
                    Some(seed) => {
                        ChoiceLayout::shuffled(sample.choices.len(), sample_seed(seed, &sample.id))
                    }
                    None => ChoiceLayout::identity(sample.choices.len()),
                };
                let post = PostProcess::ChoiceLetters {
                    layout: layout.clone(),
                    multiple_answers: mc.multiple_answers,
                };
                (layout, post)
            }
        };
        let messages = prompt::messages(
            self.system_prompt.as_deref(),
            &self.few_shot,
            &self.template,
            sample,
            &layout,
        )
        .map_err(unfit)?;
        Ok(Plan::Generate(GeneratePlan { messages, post }))
    }

    fn agent_plan(&self, sample: &Sample, agent: &AgentConfig) -> Result<Plan> {
        let unfit = |reason: String| Error::SampleUnfit {
            id: sample.id.clone(),
            reason,
        };
        let instructions =
            crate::agent::system_prompt(agent.tool_calls, &agent.tools, agent.max_submissions);
        // Models that call tools as text are often small ones whose chat
        // templates drop system messages: their instructions open the task.
        let (system, preface) = match (&self.system_prompt, agent.tool_calls) {
            (Some(system), _) => (Some(system.clone()), None),
            (None, crate::agent::ToolCalling::Native) => (Some(instructions), None),
            (None, crate::agent::ToolCalling::Text) => (None, Some(instructions)),
        };
        let layout = ChoiceLayout::identity(sample.choices.len());
        let mut messages = prompt::messages(
            system.as_deref(),
            &self.few_shot,
            &self.template,
            sample,
            &layout,
        )
        .map_err(unfit)?;
        if let Some(preface) = preface
            && let Some(first) = messages.iter_mut().find(|m| m.role == Role::User)
        {
            first.content = format!("{preface}\n\nThe task:\n{}", first.content);
        }
        let flags = sample.target.as_slice();
        if messages
            .iter()
            .any(|m| crate::ctf::flag::reveals(&m.content, flags))
        {
            return Err(unfit("the prompt contains the flag".to_owned()));
        }
        messages.shrink_to_fit();
        let tools = match agent.tool_calls {
            crate::agent::ToolCalling::Native => crate::agent::definitions(&agent.tools),
            crate::agent::ToolCalling::Text => Vec::new(),
        };
        Ok(Plan::Agent(AgentPlan {
            messages,
            tools,
            config: agent.clone(),
        }))
    }

    /// A dataset sample as a worked example: its prompt through the
    /// template, then its answer.
    fn example_turns(&self, example: &Sample) -> Result<[ChatMessage; 2]> {
        let unfit = |reason: &str| Error::SampleUnfit {
            id: example.id.clone(),
            reason: format!("as a few-shot example: {reason}"),
        };
        let Input::Prompt(_) = &example.input else {
            return Err(unfit("needs input, a prompt, not messages"));
        };
        let targets = example.target.as_slice();
        if targets.is_empty() {
            return Err(unfit("needs a target to answer with"));
        }
        let layout = ChoiceLayout::identity(example.choices.len());
        let question = prompt::user_prompt(&self.template, example, &layout)
            .map_err(|reason| unfit(&reason))?;
        let answer = match self.multiple_choice {
            None => targets[0].clone(),
            Some(_) => {
                let mut letters = Vec::new();
                for target in targets {
                    let index = crate::scorer::choice::target_index(target, &example.choices)
                        .ok_or_else(|| unfit(&format!("target {target:?} names no choice")))?;
                    letters.extend(choices::letter(index));
                }
                letters.sort_unstable();
                let letters: Vec<String> = letters.into_iter().map(String::from).collect();
                format!("ANSWER: {}", letters.join(", "))
            }
        };
        Ok([ChatMessage::user(question), ChatMessage::assistant(answer)])
    }
}

/// What a runner does for one sample (and one epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// Send the messages once and score the answer.
    Generate(GeneratePlan),
    /// Run a tool-using agent in a sandbox.
    Agent(AgentPlan),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratePlan {
    pub messages: Vec<ChatMessage>,
    pub post: PostProcess,
}

impl GeneratePlan {
    /// The layout options were shown in, when the plan is multiple choice.
    pub fn choice_layout(&self) -> Option<&ChoiceLayout> {
        match &self.post {
            PostProcess::ChoiceLetters { layout, .. } => Some(layout),
            PostProcess::Completion => None,
        }
    }
}

/// The agentic solver's plan: the opening messages, the tool definitions
/// sent with every request (none when calls are written as text), and how
/// the loop runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentPlan {
    pub messages: Vec<ChatMessage>,
    pub tools: Vec<serde_json::Value>,
    pub config: AgentConfig,
}

/// How the answer is read from the completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PostProcess {
    /// The completion as it is.
    Completion,
    /// Answer letters refer to options as shown in `layout`.
    ChoiceLetters {
        layout: ChoiceLayout,
        multiple_answers: bool,
    },
}
