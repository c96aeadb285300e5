//! Words and short forms for times, counts, kinds and verdicts, shared by the console and
//! the headless commands.

use super::{Kind, Phase, Release, Replicas, Strategy, Verdict};
use chrono::{DateTime, Utc};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// kubectl-style age: `45s`, `12m`, `3h`, `9d`.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A time left to the second: `45s`, `1m20s`, `2m`, `1h5m`.
pub fn countdown(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if (s > 0 && h == 0) || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

pub fn age_opt(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    since.map(|s| age(s, now)).unwrap_or_else(|| "-".into())
}

/// Kind and strategy; `narrow` gives the 8-column form.
pub fn kind_label(r: &Release, narrow: bool) -> &'static str {
    if narrow {
        return match (r.key.kind, r.strategy) {
            (Kind::Deployment, _) => "deploy",
            (Kind::CanaryPair, _) => "pair",
            (Kind::ArgoRollout, Strategy::BlueGreen) => "argo-bg",
            (Kind::ArgoRollout, _) => "argo-can",
            (Kind::FlaggerCanary, _) => "flagger",
        };
    }
    match (r.key.kind, r.strategy) {
        (Kind::Deployment, Strategy::Recreate) => "deploy/recreate",
        (Kind::Deployment, _) => "deploy/rolling",
        (Kind::CanaryPair, _) => "pair/canary",
        (Kind::ArgoRollout, Strategy::BlueGreen) => "argo/bluegreen",
        (Kind::ArgoRollout, _) => "argo/canary",
        (Kind::FlaggerCanary, _) => "flagger/canary",
    }
}

pub fn replicas(r: Replicas) -> String {
    format!("{}/{}", r.ready, r.desired)
}

pub fn verdict_text(v: Option<Verdict>) -> String {
    match v {
        None => "-".into(),
        Some(v) => {
            let icon = match v {
                Verdict::Pass => "✔",
                Verdict::Running => "…",
                Verdict::Inconclusive => "?",
                Verdict::Fail => "✖",
            };
            format!("{icon} {}", v.label())
        }
    }
}

/// `text` in at most `width` columns, with `…` where it was cut.
pub fn fit(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if columns(text) <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Terminal columns `text` takes.
pub fn columns(text: &str) -> usize {
    text.width()
}

/// Like [`fit`], but `suffix` (a warning marker) survives the cut.
pub fn fit_keeping(text: &str, suffix: &str, width: u16) -> String {
    let suffix_len = columns(suffix) as u16;
    if (columns(text) as u16).saturating_add(suffix_len) <= width || width <= suffix_len {
        return fit(&format!("{text}{suffix}"), width);
    }
    format!("{}{suffix}", fit(text, width - suffix_len))
}

/// The canary (or new, or preview) share, only while a rollout is in flight.
pub fn weight_text(r: &Release) -> String {
    let in_flight = matches!(
        r.phase,
        Phase::WaitingForPromotion | Phase::Progressing | Phase::Paused | Phase::Degraded
    );
    match r.weight {
        Some(w) if in_flight => format!("{w}%"),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_countdown_reads_to_the_second_under_an_hour() {
        let shown: Vec<String> = [0, 45, 60, 80, 3599, 3700].map(countdown).to_vec();
        assert_eq!(shown, ["0s", "45s", "1m", "1m20s", "59m59s", "1h1m"]);
    }

    #[test]
    fn fit_cuts_by_display_width() {
        assert_eq!(fit("payments-api", 8), "payment…");
        assert_eq!(fit("payments", 8), "payments");
        assert_eq!(fit("漢字漢字", 5), "漢字…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit_keeping("payments-api", " ⚠", 8), "payme… ⚠");
    }
}
