//! The confirmation box for dangerous actions and production targets.

use super::format::age;
use crate::app::{Confirm, RevisionBrief, State};
use crate::config::theme::{Slot, Theme};
use crate::model::ops::Operation;
use crate::model::text::inert;
use crate::model::{Kind, Strategy};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// What the operation will do, in the words an on-call engineer needs.
fn consequence(op: Operation, kind: Kind, blue_green: bool, flagger_phase: &str) -> &'static str {
    match op {
        // Blue-green: the active keeps serving until the preview is promoted.
        Operation::Promote if blue_green => "promote the preview: it becomes active",
        Operation::PromoteFull if blue_green => {
            "skip the remaining pause and analysis: the preview becomes active now"
        }
        Operation::Abort if blue_green => {
            "stop the update: the active keeps serving, the preview is scaled down"
        }
        Operation::Retry if blue_green => {
            "start the aborted update again: the preview comes back up, the active keeps serving"
        }
        // Flagger acts through its load tester's gates and its own next check; a Canary
        // already at the gate goes on at once, one still analysing when it gets there.
        Operation::Promote
            if kind == Kind::FlaggerCanary && flagger_phase == "WaitingPromotion" =>
        {
            "open the confirm gate: this approves the waiting promotion, Flagger promotes at \
             its next check"
        }
        Operation::Promote if kind == Kind::FlaggerCanary && flagger_phase == "Waiting" => {
            "open the confirm gate: this approves the waiting rollout, Flagger starts its \
             analysis at its next check"
        }
        Operation::Promote if kind == Kind::FlaggerCanary => {
            "open the confirm gate: the promotion is approved in advance, Flagger goes on \
             when its analysis reaches the gate"
        }
        Operation::PromoteFull if kind == Kind::FlaggerCanary => {
            "set spec.skipAnalysis: Flagger promotes at its next check, without analysis"
        }
        Operation::Abort | Operation::Rollback if kind == Kind::FlaggerCanary => {
            "open the rollback gate: Flagger rolls back at its next check, and only while \
             it analyses"
        }
        // An Argo canary's weight is its steps': set-weight moves the step, not replicas.
        Operation::SetWeight if kind == Kind::ArgoRollout => {
            "move the canary to the step that sets this weight"
        }
        Operation::Promote => "advance the canary to its next step",
        Operation::PromoteFull => {
            "skip every remaining step and analysis: the canary becomes stable now"
        }
        Operation::Pause => "stop the rollout where it is",
        Operation::Resume => "let the rollout continue",
        Operation::Abort => "send all traffic back to stable and scale the canary down",
        Operation::Retry => {
            "start the aborted update again from its first step: traffic goes back to the canary"
        }
        Operation::Rollback => "roll back to an earlier revision",
        Operation::Restart => "replace every pod, a few at a time",
        Operation::SetWeight => "move replicas between stable and canary",
    }
}

/// `#3 shop/web:1.2 (9d old)`: a revision as the user can recognise it.
fn revision_words(r: &RevisionBrief, state: &State) -> String {
    let images: Vec<String> = r.images.iter().map(|i| inert(i).into_owned()).collect();
    let images = if images.is_empty() {
        "no image".to_owned()
    } else {
        images.join(", ")
    };
    match r.created {
        Some(t) => format!("#{} {images} ({} old)", r.number, age(t, state.now)),
        None => format!("#{} {images}", r.number),
    }
}

/// The keys that answer the dialog, as the keymap binds them.
fn answer_line(keys: &[(String, &str)], theme: &Theme, gap: &str) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (key, what)) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(gap.to_owned()));
        }
        spans.push(Span::styled(key.clone(), theme.style(Slot::Key)));
        spans.push(Span::raw(format!(" {what}")));
    }
    Line::from(spans)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, c: &Confirm, theme: &Theme) {
    let req = &c.request;
    let target = format!("{}/{}", req.key.kind.target_prefix(), req.key.name);
    // What set-weight will do to this release as it stands now.
    let preview = match req.op {
        crate::model::ops::Op::SetWeight { weight } => state
            .releases
            .get(&req.key)
            .map(|r| r.set_weight_preview(weight))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let extra = u16::from(c.target.is_some())
        + u16::from(c.replaces.is_some())
        + u16::from(c.findings.is_some())
        + preview.len() as u16;
    let release = state.releases.get(&req.key);
    let blue_green = release
        .is_some_and(|r| r.key.kind == Kind::ArgoRollout && r.strategy == Strategy::BlueGreen);
    let flagger_phase = release
        .and_then(|r| r.flagger.as_ref())
        .map_or("", |f| f.phase.as_str());
    let consequence = format!(
        "This will {}.",
        consequence(req.op.kind(), req.key.kind, blue_green, flagger_phase)
    );
    let height = if c.guarded { 13 } else { 8 } + extra;
    let rect = super::centered(frame, area, 64, height);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", req.op.verb()), theme.style(Slot::Danger)),
            Span::styled(target.clone(), theme.style(Slot::Title)),
            // The number typed in the prompt, where the answer is given.
            Span::styled(
                match req.op {
                    crate::model::ops::Op::SetWeight { weight } => format!(" to {weight}%"),
                    _ => String::new(),
                },
                theme.style(Slot::Title),
            ),
            Span::raw(format!(" in {}/{}", req.key.context, req.key.namespace)),
        ]),
        Line::raw(consequence),
    ];
    lines.extend(
        preview
            .into_iter()
            .map(|l| Line::styled(l, theme.style(Slot::Canary))),
    );
    match &c.target {
        Some(t) => lines.push(Line::from(vec![
            Span::styled("to       ", theme.style(Slot::Muted)),
            Span::styled(revision_words(t, state), theme.style(Slot::Healthy)),
        ])),
        None => {
            if let crate::model::ops::Op::Rollback { to: Some(n) } = req.op {
                lines.push(Line::raw(format!("Target revision: {n}")));
            }
        }
    }
    if let Some(r) = &c.replaces {
        lines.push(Line::from(vec![
            Span::styled("replaces ", theme.style(Slot::Muted)),
            Span::styled(revision_words(r, state), theme.style(Slot::Danger)),
        ]));
    }
    if let Some(found) = &c.findings {
        lines.push(Line::styled(
            format!("Acknowledge security findings: {found}"),
            theme.style(Slot::Danger),
        ));
    }
    if c.guarded {
        lines.push(Line::styled(
            "Production context: type the name and a reason.",
            theme.style(Slot::Production),
        ));
        let field = |label: &str, text: String, focused: bool| {
            Line::from(vec![
                Span::styled(
                    format!("{label:<8}"),
                    theme.style(if focused { Slot::Accent } else { Slot::Muted }),
                ),
                Span::styled(
                    format!("{text}{}", if focused { "▏" } else { "" }),
                    theme.style(Slot::Text),
                ),
            ])
        };
        lines.push(field("name", c.name_input.lines().join(""), c.field == 0));
        lines.push(field(
            "reason",
            c.reason_input.lines().join(" "),
            c.field == 1,
        ));
        lines.push(answer_line(
            &super::help::dialog_keys(state, true),
            theme,
            " · ",
        ));
    } else {
        lines.push(answer_line(
            &super::help::dialog_keys(state, false),
            theme,
            "   ",
        ));
    }
    if let Some(err) = &c.error {
        lines.push(Line::styled(err.clone(), theme.style(Slot::Danger)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::Danger))
        .title(Span::styled(" confirm ", theme.style(Slot::Danger)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(theme.style(Slot::Overlay))
            .wrap(Wrap { trim: false }),
        rect,
    );
}
