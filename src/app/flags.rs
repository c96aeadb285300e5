//! The flags tab's own state and keys: the flag under the cursor; the evaluation box, where
//! a context typed as JSON is evaluated against every flag of the release as it is typed;
//! and flag edits, from choosing one to the confirmation. Pure like the rest of `app`: the
//! text typed lives here, the ui only draws it, and edits leave as effects.

use super::{Effect, Level, Overlay, State, Tab, View};
use crate::action::Action;
use crate::config::keymap::Section;
use crate::flags::edit::{self, Edit};
use crate::flags::flip::{FlagRequest, Prepared, Written};
use crate::model::text::inert;
use crate::model::ReleaseKey;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use tui_textarea::TextArea;

/// What the flags tab keeps between frames.
#[derive(Debug, Clone)]
pub struct FlagsTab {
    /// The flag under the cursor, by position in the release's flags.
    pub cursor: usize,
    /// The evaluation context as typed; kept when the box closes, for next time.
    pub context: TextArea<'static>,
    /// Whether the evaluation box is open (and takes the keys).
    pub evaluating: bool,
    /// What the typed context reads as: an object, or why not, with its line and column.
    pub parsed: Result<Value, String>,
    /// A choice an edit needs before it is checked (a variant, weights).
    pub prompt: Option<FlagPrompt>,
}

/// An edit being chosen for one flag.
#[derive(Debug, Clone)]
pub struct FlagPrompt {
    pub key: ReleaseKey,
    pub source: String,
    pub flag: String,
    /// The flag's variants, those of its split first.
    pub variants: Vec<String>,
    pub choice: Choice,
}

#[derive(Debug, Clone)]
pub enum Choice {
    /// The new default variant, among the flag's variants; `current` is the default now.
    Variant {
        variants: Vec<String>,
        at: usize,
        current: Option<usize>,
    },
    /// The split's weights, typed as `on=25,off=75`.
    Weights(Box<TextArea<'static>>),
}

/// A flag edit waiting for its reason and the user's `y`, with the diff against what is
/// stored now.
#[derive(Debug, Clone)]
pub struct FlagConfirm {
    pub prepared: Prepared,
    /// Production: the flag's key must be typed too.
    pub guarded: bool,
    pub name_input: TextArea<'static>,
    pub reason_input: TextArea<'static>,
    /// 0: the name field (production only), 1: the reason field.
    pub field: usize,
    /// The reason is given: the dialog waits for `y`.
    pub ready: bool,
    /// Shown again because someone else changed the flag after it was read.
    pub changed: bool,
    /// Whether the dialog, as it asks now, has been on screen.
    pub shown: bool,
    pub error: Option<String>,
}

impl Default for FlagsTab {
    fn default() -> Self {
        FlagsTab {
            cursor: 0,
            context: TextArea::default(),
            evaluating: false,
            parsed: Ok(Value::Object(Default::default())),
            prompt: None,
        }
    }
}

/// Reads an evaluation context: empty is `{}`; anything else must be a JSON object. A
/// syntax error says where, as `line L, column C`.
pub fn parse_context(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("the evaluation context must be a JSON object".into()),
        Err(e) => {
            let what = e.to_string();
            // serde_json ends its message with the position; it is said first instead.
            let what = what
                .rsplit_once(" at line ")
                .map_or(what.as_str(), |(head, _)| head)
                .to_owned();
            Err(format!("line {}, column {}: {what}", e.line(), e.column()))
        }
    }
}

/// The flag under the cursor of the flags tab, when the detail view shows one.
pub fn selected(state: &State) -> Option<&crate::flags::Flag> {
    let View::Detail(key) = &state.view else {
        return None;
    };
    let flags = &state.flags_of(key).flags;
    flags.get(state.flags_tab.cursor.min(flags.len().saturating_sub(1)))
}

/// Moves the flag cursor in the flags tab.
pub fn move_cursor(state: &mut State, action: Action) {
    let View::Detail(key) = &state.view else {
        return;
    };
    let last = state.flags_of(key).flags.len().saturating_sub(1);
    // A flag takes about four lines: a page moves by the flags a page shows.
    let page = super::tabs::page(state) / 4 + 1;
    let cursor = state.flags_tab.cursor.min(last);
    state.flags_tab.cursor = match action {
        Action::Up => cursor.saturating_sub(1),
        Action::Down => (cursor + 1).min(last),
        Action::PageUp => cursor.saturating_sub(page),
        Action::PageDown => (cursor + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => cursor,
    };
}

/// `evaluate_flags`: the flags tab, with the evaluation box open on the text last typed.
pub fn open_evaluation(state: &mut State) -> Vec<Effect> {
    if !matches!(state.view, View::Detail(_)) {
        return Vec::new();
    }
    state.tab = Tab::Flags;
    state.flags_tab.evaluating = true;
    reparse(state);
    Vec::new()
}

fn reparse(state: &mut State) {
    let text = state.flags_tab.context.lines().join("\n");
    state.flags_tab.parsed = parse_context(&text);
}

/// A key while the evaluation box is open: `cancel` closes it (the text stays), PageUp and
/// PageDown move through the flags, every other key edits the text (Enter starts a new
/// line, the arrows move in it).
pub fn on_eval_key(state: &mut State, key: KeyEvent, answer: Option<Action>) -> Vec<Effect> {
    match (answer, key.code) {
        (Some(Action::Cancel), _) => {
            state.flags_tab.evaluating = false;
        }
        // As in a shell: Ctrl-U deletes back to the start of the line.
        (_, KeyCode::Char('u')) if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.flags_tab.context.delete_line_by_head();
            reparse(state);
        }
        (_, KeyCode::PageUp) => move_cursor(state, Action::PageUp),
        (_, KeyCode::PageDown) => move_cursor(state, Action::PageDown),
        _ => {
            state.flags_tab.context.input(key);
            reparse(state);
        }
    }
    Vec::new()
}

fn refuse(state: &mut State, text: String) -> Vec<Effect> {
    state.set_status(Level::Error, text);
    Vec::new()
}

/// The flag edits' keys: enable or disable, a new default variant, new weights; each on
/// the flag under the cursor of the flags tab.
pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let on_tab = matches!(state.view, View::Detail(_)) && state.tab == Tab::Flags;
    let Some(key) = state.focused().map(|r| r.key.clone()).filter(|_| on_tab) else {
        let tab = state
            .keymap
            .keys_for(Section::Detail, Action::TabFlags)
            .map(|k| format!(" ({k})"))
            .unwrap_or_default();
        return refuse(
            state,
            format!("✖ choose a flag in a release's flags tab{tab} first"),
        );
    };
    let Some(flag) = selected(state).cloned() else {
        return refuse(state, "✖ no feature flags known for this release".into());
    };
    let name = inert(&flag.key).into_owned();
    if state.is_read_only(&key.context) {
        return refuse(
            state,
            format!("✖ cannot change {name}: {} is read-only", key.context),
        );
    }
    if flag.source.is_empty() {
        return refuse(
            state,
            format!("✖ cannot change {name}: where it is stored is not known"),
        );
    }
    let prompt = |choice| FlagPrompt {
        key: key.clone(),
        source: flag.source.clone(),
        flag: flag.key.clone(),
        variants: edit::variant_names(flag.variants.keys(), flag.targeting.as_ref()),
        choice,
    };
    match action {
        Action::FlagToggle => {
            let to = match flag.state {
                crate::flags::State::Enabled => crate::flags::State::Disabled,
                crate::flags::State::Disabled => crate::flags::State::Enabled,
            };
            let request = FlagRequest {
                key: key.clone(),
                source: flag.source.clone(),
                flag: flag.key.clone(),
                edit: Edit::State(to),
                reason: None,
            };
            prepare(state, request)
        }
        Action::FlagDefault => {
            let variants: Vec<String> = flag.variants.keys().cloned().collect();
            if variants.len() < 2 {
                return refuse(
                    state,
                    format!("✖ {name} has one variant: there is no other default"),
                );
            }
            // Starts on the current default, marked as such: the picker shows where it is.
            let current = flag
                .default_variant
                .as_ref()
                .and_then(|d| variants.iter().position(|v| v == d));
            let at = current.unwrap_or(0);
            state.flags_tab.prompt = Some(prompt(Choice::Variant {
                variants,
                at,
                current,
            }));
            Vec::new()
        }
        Action::FlagWeights => {
            let Some(weights) = flag.targeting.as_ref().and_then(edit::weights) else {
                return refuse(
                    state,
                    format!("✖ {name} has no fractional split of its own to change"),
                );
            };
            let mut input = TextArea::new(vec![edit::weights_text(&weights)]);
            input.move_cursor(tui_textarea::CursorMove::End);
            state.flags_tab.prompt = Some(prompt(Choice::Weights(Box::new(input))));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Asks the world in use to check the edit and read the flag as stored now.
fn prepare(state: &mut State, request: FlagRequest) -> Vec<Effect> {
    state.set_status(
        Level::Info,
        format!("reading {} to {}…", request.source, request.describe()),
    );
    vec![Effect::FlagPrepare(request)]
}

/// A key while a variant or the weights are being chosen.
pub fn on_prompt_key(state: &mut State, key: KeyEvent, answer: Option<Action>) -> Vec<Effect> {
    let Some(prompt) = state.flags_tab.prompt.as_mut() else {
        return Vec::new();
    };
    match (answer, &mut prompt.choice) {
        (Some(Action::Cancel), _) => {
            state.flags_tab.prompt = None;
            state.set_status(Level::Info, "cancelled");
            Vec::new()
        }
        (Some(Action::NextField), Choice::Variant { variants, at, .. }) => {
            *at = (*at + 1) % variants.len().max(1);
            Vec::new()
        }
        (Some(Action::Submit), choice) => {
            let edit = match choice {
                Choice::Variant {
                    variants,
                    at,
                    current,
                } => match variants.get(*at) {
                    // Nothing to write: the picker stays for another choice.
                    Some(v) if Some(*at) == *current => {
                        let text = format!(
                            "{} is already the default of {}: nothing to write",
                            inert(v),
                            inert(&prompt.flag)
                        );
                        state.set_status(Level::Info, text);
                        return Vec::new();
                    }
                    Some(v) => Edit::DefaultVariant(v.clone()),
                    None => return Vec::new(),
                },
                // Checked here, so that a refusal keeps the prompt and the text typed.
                Choice::Weights(input) => match edit::parse_weights(&input.lines().join(""))
                    .and_then(|w| {
                        edit::check_weights(&prompt.flag, &prompt.variants, &w).map(|()| w)
                    }) {
                    Ok(w) => Edit::Weights(w),
                    Err(e) => return refuse(state, format!("✖ weights: {}", inert(&e.0))),
                },
            };
            let Some(prompt) = state.flags_tab.prompt.take() else {
                return Vec::new();
            };
            let request = FlagRequest {
                key: prompt.key,
                source: prompt.source,
                flag: prompt.flag,
                edit,
                reason: None,
            };
            prepare(state, request)
        }
        (_, Choice::Weights(input)) => {
            if answer != Some(Action::NextField) {
                input.input(key);
            }
            Vec::new()
        }
        (_, Choice::Variant { .. }) => Vec::new(),
    }
}

/// The world's answer to a prepared edit: the confirmation, or why it cannot be made.
pub fn prepared(state: &mut State, request: FlagRequest, result: Result<Prepared, String>) {
    state.dirty = true;
    let prepared = match result {
        Ok(p) => p,
        Err(why) => {
            state.set_status(
                Level::Error,
                format!("✖ cannot {}: {why}", request.describe()),
            );
            return;
        }
    };
    // Another dialog keeps its place; this edit is asked for again later.
    if state.overlay.is_some() {
        state.set_status(
            Level::Warning,
            format!("⚠ {} not asked: another dialog is open", request.describe()),
        );
        return;
    }
    state.status = None;
    let guarded = state.settings.is_production(&request.key.context);
    state.overlay = Some(Overlay::FlagConfirm(Box::new(FlagConfirm {
        prepared,
        guarded,
        name_input: TextArea::default(),
        reason_input: TextArea::default(),
        field: if guarded { 0 } else { 1 },
        ready: false,
        changed: false,
        shown: false,
        error: None,
    })));
}

/// How a confirmed write ended: done, failed, or changed meanwhile (asked again).
pub fn written(state: &mut State, request: FlagRequest, written: Written) {
    state.dirty = true;
    match written {
        Written::Done(text) => state.set_status(Level::Success, format!("✔ {text}")),
        Written::Failed(why) => state.set_status(
            Level::Error,
            format!("✖ {} failed: {why}", request.describe()),
        ),
        Written::Changed(prepared) => {
            state.set_status(
                Level::Warning,
                format!(
                    "⚠ {} was changed by someone else meanwhile; nothing was written: \
                     confirm again against what is there now",
                    prepared.request.source
                ),
            );
            if state.overlay.is_some() {
                return;
            }
            // The reason given stands; the new state needs a new `y`.
            let guarded = state.settings.is_production(&request.key.context);
            let reason = request.reason.clone().unwrap_or_default();
            state.overlay = Some(Overlay::FlagConfirm(Box::new(FlagConfirm {
                prepared: *prepared,
                guarded,
                name_input: TextArea::new(vec![if guarded {
                    request.flag.clone()
                } else {
                    String::new()
                }]),
                reason_input: TextArea::new(vec![reason]),
                field: 1,
                ready: true,
                changed: true,
                shown: false,
                error: None,
            })));
        }
    }
}

/// A key in the flag edit's confirmation: first the reason (and in production the flag's
/// key) is typed and accepted, then only `y` writes. `answer` is what the key means in
/// the section of the step the dialog is at (`input`, then `confirm`).
pub fn on_confirm_key(state: &mut State, key: KeyEvent, answer: Option<Action>) -> Vec<Effect> {
    let Some(Overlay::FlagConfirm(c)) = &mut state.overlay else {
        return Vec::new();
    };
    if answer == Some(Action::Cancel) {
        state.overlay = None;
        state.set_status(Level::Info, "cancelled: nothing was written");
        return Vec::new();
    }
    if c.ready {
        return match answer {
            Some(Action::Confirm) if c.shown => {
                let mut request = c.prepared.request.clone();
                let reason = c.reason_input.lines().join(" ").trim().to_owned();
                request.reason = Some(reason);
                let version = c.prepared.version.clone();
                state.overlay = None;
                state.set_status(Level::Info, format!("writing {}…", request.source));
                vec![Effect::FlagWrite { request, version }]
            }
            _ => {
                c.error = Some(super::update::confirm_hint(&state.keymap));
                Vec::new()
            }
        };
    }
    match answer {
        Some(Action::NextField) => {
            if c.guarded {
                c.field = 1 - c.field;
            }
        }
        Some(Action::Submit) => {
            let typed = c.name_input.lines().join("");
            let reason = c.reason_input.lines().join(" ");
            if c.guarded && typed != c.prepared.request.flag {
                c.field = 0;
                c.error = Some(format!(
                    "type {} to confirm",
                    inert(&c.prepared.request.flag)
                ));
            } else if reason.trim().is_empty() {
                c.field = 1;
                c.error = Some("a flag change needs a reason".into());
            } else {
                c.ready = true;
                c.error = None;
                // `y` counts once the question it answers has been on screen.
                c.shown = false;
            }
        }
        _ => {
            let input = if c.field == 0 {
                &mut c.name_input
            } else {
                &mut c.reason_input
            };
            input.input(key);
            c.error = None;
        }
    }
    Vec::new()
}
