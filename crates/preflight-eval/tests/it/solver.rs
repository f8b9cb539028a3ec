//! Prompt building: system prompts, few-shot turns, templates, lettered
//! options, and shuffles reproducible from a seed that map back to the
//! dataset's options.

use std::path::Path;

use preflight_eval::scorer::ScorerConfig;
use preflight_eval::solver::{FewShotExample, sample_seed};
use preflight_eval::{
    ChatMessage, ChoiceLayout, Error, GeneratePlan, Input, ModelOutput, Plan, PostProcess, Role,
    Sample, ScoreValue, Scorer, ScorerKind, Scoring, Solver, SolverConfig, SolverKind, Target,
};

use crate::fixtures::{TempDir, mc_sample, text_sample};

fn config(kind: SolverKind) -> SolverConfig {
    SolverConfig {
        kind,
        system_prompt: None,
        few_shot: Vec::new(),
        few_shot_file: None,
        template: None,
        multiple_answers: false,
        shuffle_choices: false,
        seed: None,
    }
}

fn plan(solver: &Solver, sample: &Sample) -> GeneratePlan {
    match solver.plan(sample).expect("plans") {
        Plan::Generate(plan) => plan,
        Plan::Agent(_) => panic!("no agent plans yet"),
    }
}

fn solver(config: &SolverConfig) -> Solver {
    Solver::from_config(config, Path::new(".")).expect("builds")
}

#[test]
fn generate_sends_system_prompt_few_shot_then_the_templated_prompt() {
    let mut c = config(SolverKind::Generate);
    c.system_prompt = Some("You are terse.".into());
    c.template = Some("Q: {prompt}\nA:".into());
    c.few_shot = vec![FewShotExample {
        user: "Q: 1+1\nA:".into(),
        assistant: "2".into(),
    }];
    let p = plan(&solver(&c), &text_sample("2+2", &["4"]));
    assert_eq!(
        p.messages,
        [
            ChatMessage::system("You are terse."),
            ChatMessage::user("Q: 1+1\nA:"),
            ChatMessage::assistant("2"),
            ChatMessage::user("Q: 2+2\nA:"),
        ]
    );
    assert_eq!(p.post, PostProcess::Completion);
}

#[test]
fn chat_inputs_keep_their_system_message_first_and_template_the_last_user_turn() {
    let mut c = config(SolverKind::Generate);
    c.system_prompt = Some("Solver system.".into());
    c.template = Some("[{prompt}]".into());
    c.few_shot = vec![FewShotExample {
        user: "u".into(),
        assistant: "a".into(),
    }];
    let mut sample = text_sample("", &[]);
    sample.input = Input::Messages(vec![
        ChatMessage::system("Secret is Piano."),
        ChatMessage::user("first"),
        ChatMessage::assistant("ok"),
        ChatMessage::user("What is the {secret}?"),
    ]);
    let p = plan(&solver(&c), &sample);
    let got: Vec<(Role, &str)> = p
        .messages
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Role::System, "Solver system."),
            (Role::System, "Secret is Piano."),
            (Role::User, "u"),
            (Role::Assistant, "a"),
            (Role::User, "first"),
            (Role::Assistant, "ok"),
            (Role::User, "[What is the {secret}?]"),
        ],
        "braces inside the sample stay as written"
    );

    sample.input = Input::Messages(vec![ChatMessage::system("only a system message")]);
    let err = solver(&c).plan(&sample).expect_err("no user message");
    assert!(err.to_string().contains("has no user message"), "{err}");
}

#[test]
fn multiple_choice_letters_the_options_and_says_how_to_answer() {
    let mut single = config(SolverKind::MultipleChoice);
    let p = plan(&solver(&single), &mc_sample("q", 3, &["B"]));
    let [
        ChatMessage {
            role: Role::User,
            content,
            ..
        },
    ] = p.messages.as_slice()
    else {
        panic!("one user message: {:?}", p.messages);
    };
    assert!(content.contains("'ANSWER: $LETTER'"), "{content}");
    assert!(content.contains("one of A, B, C."), "{content}");
    assert!(
        content.ends_with("question q\n\nA) o0\nB) o1\nC) o2"),
        "{content}"
    );
    assert_eq!(
        p.post,
        PostProcess::ChoiceLetters {
            layout: ChoiceLayout::identity(3),
            multiple_answers: false
        }
    );

    single.multiple_answers = true;
    let p = plan(&solver(&single), &mc_sample("q", 2, &["A", "B"]));
    assert!(p.messages[0].content.contains("'ANSWER: $LETTERS'"));

    let err = solver(&single)
        .plan(&text_sample("no choices", &["x"]))
        .expect_err("unfit");
    assert!(matches!(err, Error::SampleUnfit { .. }), "{err}");
    let err = solver(&single)
        .plan(&mc_sample("big", 27, &["A"]))
        .expect_err("too many");
    assert!(err.to_string().contains("27 choices, at most 26"), "{err}");
}

#[test]
fn the_per_sample_seed_is_pinned() {
    // First eight bytes, little-endian, of SHA-256(seed as u64 LE || id), from
    // Python: struct.unpack('<Q', hashlib.sha256(struct.pack('<Q', 0) + b'q1').digest()[:8]).
    // A change here changes every recorded shuffle.
    let seeds = [
        sample_seed(0, "q1"),
        sample_seed(0, "q2"),
        sample_seed(1, "q1"),
    ];
    assert_eq!(seeds[0], 12_306_378_969_183_370_551);
    assert_eq!(sample_seed(7, "q1"), 6_193_259_926_853_476_508);
    assert_ne!(seeds[0], seeds[1]);
    assert_ne!(seeds[0], seeds[2]);
    let layout = ChoiceLayout::shuffled(6, seeds[0]);
    assert_eq!(layout, ChoiceLayout::shuffled(6, seeds[0]));
    assert_eq!(layout.seed(), Some(seeds[0]));
}

fn shuffling(seed: u64, multiple: bool) -> Solver {
    let mut c = config(SolverKind::MultipleChoice);
    c.shuffle_choices = true;
    c.seed = Some(seed);
    c.multiple_answers = multiple;
    solver(&c)
}

fn layout_of(p: &GeneratePlan) -> ChoiceLayout {
    p.choice_layout().expect("multiple choice").clone()
}

#[test]
fn shuffles_are_reproducible_and_recorded_per_sample() {
    let sample = mc_sample("q1", 6, &["C"]);
    let a = layout_of(&plan(&shuffling(7, false), &sample));
    let b = layout_of(&plan(&shuffling(7, false), &sample));
    assert_eq!(a, b, "same seed and id, same order");
    assert_eq!(a.seed(), Some(sample_seed(7, "q1")));
    assert_eq!(a, ChoiceLayout::shuffled(6, sample_seed(7, "q1")));
    let mut order = a.order().to_vec();
    order.sort_unstable();
    assert_eq!(order, [0, 1, 2, 3, 4, 5]);

    let other_seed = layout_of(&plan(&shuffling(8, false), &sample));
    let other_id = layout_of(&plan(&shuffling(7, false), &mc_sample("q2", 6, &["C"])));
    assert!(
        a != other_seed || a != other_id,
        "seeds and ids change the order"
    );
    let distinct: std::collections::HashSet<Vec<usize>> = (0..20)
        .map(|i| {
            layout_of(&plan(
                &shuffling(7, false),
                &mc_sample(&format!("q{i}"), 6, &["A"]),
            ))
            .order()
            .to_vec()
        })
        .collect();
    assert!(
        distinct.len() > 10,
        "orders vary across samples: {}",
        distinct.len()
    );

    // The recorded plan survives a log round trip.
    let p = plan(&shuffling(7, false), &sample);
    let json = serde_json::to_string(&Plan::Generate(p.clone())).expect("serialises");
    let back: Plan = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, Plan::Generate(p));
}

#[test]
fn shuffled_letters_map_back_to_the_dataset_options() {
    let scorer = Scorer::from_config(&ScorerConfig::new(ScorerKind::Choice)).expect("builds");
    for multiple in [false, true] {
        for i in 0..10 {
            let target: &[&str] = if multiple { &["B", "E"] } else { &["B"] };
            let sample = mc_sample(&format!("s{i}"), 5, target);
            let p = plan(&shuffling(3, multiple), &sample);
            let layout = layout_of(&p);
            // The rendered prompt shows option o1 (dataset B) at its shown letter.
            let shown_b = layout.shown(1).expect("shown");
            let letter = |shown: usize| char::from(b'A' + shown as u8);
            assert!(
                p.messages[0]
                    .content
                    .contains(&format!("{}) o1", letter(shown_b)))
            );
            let mut answer: Vec<char> = target
                .iter()
                .map(|t| {
                    letter(
                        layout
                            .shown(usize::from(t.as_bytes()[0] - b'A'))
                            .expect("shown"),
                    )
                })
                .collect();
            answer.sort_unstable();
            let answer: Vec<String> = answer.iter().map(|c| c.to_string()).collect();
            let completion = format!("ANSWER: {}", answer.join(", "));
            let Scoring::Done(score) = scorer
                .score(&sample, &p, &ModelOutput::text(&completion))
                .expect("scores")
            else {
                panic!("no judge for choice");
            };
            assert_eq!(
                score.value,
                ScoreValue::Correct,
                "{completion}: {}",
                score.explanation
            );
            assert_eq!(score.metadata["answer_original"], target.join(", "));

            // The dataset's own letters are wrong unless the shuffle left them in place.
            let literal = format!("ANSWER: {}", target.join(", "));
            let Scoring::Done(score) = scorer
                .score(&sample, &p, &ModelOutput::text(&literal))
                .expect("scores")
            else {
                panic!("no judge for choice");
            };
            let unmoved = target.iter().all(|t| {
                let i = usize::from(t.as_bytes()[0] - b'A');
                layout.original(i) == Some(i)
            });
            assert_eq!(score.value == ScoreValue::Correct, unmoved, "{literal}");
        }
    }
}

#[test]
fn few_shot_files_become_worked_examples() {
    let dir = TempDir::new();
    dir.write(
        "shots.jsonl",
        r#"{"id": "e1", "input": "Port of HTTPS?", "choices": ["80", "443"], "target": "B"}
{"id": "e2", "input": "Memory bugs?", "choices": ["UAF", "XSS", "OOB write"], "target": ["A", "C"]}
"#,
    );
    let mut c = config(SolverKind::MultipleChoice);
    c.few_shot_file = Some("shots.jsonl".into());
    c.template = Some("{prompt}\n{choices}".into());
    let solver = Solver::from_config(&c, dir.path()).expect("builds");
    let p = plan(&solver, &mc_sample("q", 2, &["A"]));
    let turns: Vec<(Role, &str)> = p
        .messages
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    assert_eq!(
        turns,
        [
            (Role::User, "Port of HTTPS?\nA) 80\nB) 443"),
            (Role::Assistant, "ANSWER: B"),
            (Role::User, "Memory bugs?\nA) UAF\nB) XSS\nC) OOB write"),
            (Role::Assistant, "ANSWER: A, C"),
            (Role::User, "question q\nA) o0\nB) o1"),
        ]
    );

    dir.write("bad.jsonl", "{\"id\": \"e\", \"input\": \"no target\"}\n");
    c.few_shot_file = Some("bad.jsonl".into());
    let err = Solver::from_config(&c, dir.path()).expect_err("no target");
    assert!(
        err.to_string()
            .contains("as a few-shot example: needs a target"),
        "{err}"
    );
}

#[test]
fn the_agent_plan_offers_tools_and_never_shows_the_flag() {
    let agent = Solver::from_config(&config(SolverKind::Agent), Path::new(".")).expect("builds");
    let mut sample = Sample {
        id: "t".into(),
        input: Input::Prompt("Find the flag in notes.txt".into()),
        choices: Vec::new(),
        target: Target::one("picoCTF{hidden_flag_1}"),
        metadata: Default::default(),
        tags: Vec::new(),
    };
    let Plan::Agent(plan) = agent.plan(&sample).expect("plans") else {
        panic!("an agent plan");
    };
    let names: Vec<&str> = plan
        .tools
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    assert_eq!(names, ["bash", "python", "submit"]);
    assert_eq!(plan.messages[0].role, Role::System);
    assert_eq!(plan.messages[1].content, "Find the flag in notes.txt");
    sample.input = Input::Prompt("Is it picoCTF{hidden_flag_1}?".into());
    let err = agent.plan(&sample).expect_err("the flag is in the prompt");
    assert!(
        err.to_string().contains("the prompt contains the flag"),
        "{err}"
    );
}
