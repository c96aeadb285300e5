//! Colours by meaning. The UI asks for `Slot::Healthy`, never for green, so
//! a theme file (or `NO_COLOR`) can restyle everything at once.
//!
//! ```toml
//! [slots]
//! healthy = "green"
//! selected = { fg = "#000000", bg = "cyan", bold = true }
//! ```

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use super::issues::{unknown, ConfigIssue};
use super::keymap::looks_like_path;
use super::toml_tree::{Entry, Source, TomlNode};

/// Themes that ship inside the binary, by the name `--theme` accepts.
pub const THEME_NAMES: [&str; 4] = ["default", "light", "high-contrast", "mono"];

/// The text of a built-in theme.
pub fn builtin_theme_source(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(include_str!("../../themes/default.toml")),
        "light" => Some(include_str!("../../themes/light.toml")),
        "high-contrast" => Some(include_str!("../../themes/high-contrast.toml")),
        "mono" => Some(include_str!("../../themes/mono.toml")),
        _ => None,
    }
}

/// Declares `Slot` from one list: each slot with the key a theme file's `[slots]` uses.
/// The enum, `Slot::ALL` and `name` all come from it.
macro_rules! slots {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// What a piece of the screen means.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Slot {
            $( $(#[$doc])* $variant, )*
        }

        impl Slot {
            pub const ALL: [Slot; [$($name),*].len()] = [$(Slot::$variant,)*];

            /// The key in a theme file's `[slots]`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Slot::$variant => $name,)*
                }
            }
        }
    };
}

slots! {
    Text = "text",
    Muted = "muted",
    Border = "border",
    BorderFocused = "border_focused",
    Title = "title",
    Header = "header",
    Selected = "selected",
    Healthy = "healthy",
    Progressing = "progressing",
    Paused = "paused",
    Degraded = "degraded",
    Aborted = "aborted",
    Canary = "canary",
    Stable = "stable",
    Danger = "danger",
    Warning = "warning",
    Accent = "accent",
    VerdictPass = "verdict_pass",
    VerdictFail = "verdict_fail",
    VerdictInconclusive = "verdict_inconclusive",
    StatusBar = "status_bar",
    Overlay = "overlay",
    /// Key names in hints and help.
    Key = "key",
    /// The badge on a context that matches `production_pattern`.
    Production = "production",
}

impl Slot {
    pub fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A style for every slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    name: String,
    styles: [Style; Slot::ALL.len()],
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("default")
    }
}

impl Theme {
    /// The style to draw a slot with.
    pub fn style(&self, slot: Slot) -> Style {
        self.styles.get(slot.index()).copied().unwrap_or_default()
    }

    /// The built-in name, or the file the theme came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether no slot uses any colour (mono, or a file written like it).
    pub fn is_colorless(&self) -> bool {
        self.styles
            .iter()
            .all(|s| s.fg.is_none() && s.bg.is_none() && s.underline_color.is_none())
    }

    /// A built-in theme.
    pub fn by_name(name: &str) -> Option<Theme> {
        THEME_NAMES.contains(&name).then(|| Theme::builtin(name))
    }

    /// The theme used when colour is off: only bold, reverse and underline.
    pub fn mono() -> Theme {
        Theme::builtin("mono")
    }

    fn builtin(name: &str) -> Theme {
        let text = builtin_theme_source(name).unwrap_or_default();
        let (theme, _) = Theme::from_complete(name, text);
        theme
    }

    /// A theme from one file that must set every slot; missing slots are
    /// issues (and stay unstyled).
    pub fn from_complete(name: &str, text: &str) -> (Theme, Vec<ConfigIssue>) {
        let mut theme = Theme {
            name: name.to_string(),
            styles: [Style::new(); Slot::ALL.len()],
        };
        let source = Source { file: name, text };
        let mut issues = Vec::new();
        let set = match source.parse() {
            Ok(entries) => theme.apply(source, &entries, &mut issues),
            Err(issue) => {
                issues.push(issue);
                return (theme, issues);
            }
        };
        for slot in Slot::ALL.into_iter().filter(|s| !set.contains(s)) {
            issues.push(ConfigIssue::new(
                name,
                format!("slot `{}` is not set", slot.name()),
                "every slot in a complete theme",
            ));
        }
        (theme, issues)
    }

    /// Lays a (partial) theme file over this theme. Bad slots are reported
    /// and skipped; a file that is not valid TOML changes nothing.
    pub fn overlay(&mut self, name: &str, text: &str) -> Vec<ConfigIssue> {
        let source = Source { file: name, text };
        let mut issues = Vec::new();
        match source.parse() {
            Ok(entries) => {
                self.apply(source, &entries, &mut issues);
                self.name = name.to_string();
            }
            Err(issue) => issues.push(issue),
        }
        issues
    }

    /// `--theme NAME|FILE` (or the `theme` setting) over the default, then the
    /// user's theme.toml. When colour is off by environment, mono wins and
    /// neither is read.
    pub fn load(
        arg: Option<&str>,
        user_file: Option<(&Path, &str)>,
        env_no_color: bool,
    ) -> (Theme, Vec<ConfigIssue>) {
        if env_no_color {
            return (Theme::mono(), Vec::new());
        }
        let mut theme = Theme::default();
        let mut issues = Vec::new();
        if let Some(arg) = arg {
            if let Some(builtin) = Theme::by_name(arg) {
                theme = builtin;
            } else {
                match std::fs::read_to_string(arg) {
                    Ok(text) => issues.extend(theme.overlay(arg, &text)),
                    Err(e) => {
                        let problem =
                            if e.kind() == std::io::ErrorKind::NotFound && !looks_like_path(arg) {
                                unknown("theme", arg, &THEME_NAMES)
                            } else {
                                format!("cannot read theme file: {e}")
                            };
                        issues.push(ConfigIssue::new(
                            arg,
                            problem,
                            format!(
                                "a theme name ({}) or a readable file",
                                THEME_NAMES.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        if let Some((path, text)) = user_file {
            issues.extend(theme.overlay(&path.display().to_string(), text));
        }
        (theme, issues)
    }

    /// Applies top-level `base` and `[slots]`; returns the slots set.
    fn apply(
        &mut self,
        source: Source<'_>,
        entries: &[Entry],
        issues: &mut Vec<ConfigIssue>,
    ) -> Vec<Slot> {
        let mut set = Vec::new();
        // `base` first, wherever it is written, so slots land on top of it.
        for entry in entries.iter().filter(|e| e.key == "base") {
            match &entry.value {
                TomlNode::Str(base) => match Theme::by_name(base) {
                    Some(theme) => self.styles = theme.styles,
                    None => issues.push(source.issue(
                        entry.span.clone(),
                        unknown("base theme", base, &THEME_NAMES),
                        THEME_NAMES.join(", "),
                    )),
                },
                _ => issues.push(source.wrong_type(entry, "a string", "base = \"light\"")),
            }
        }
        for entry in entries {
            match entry.key.as_str() {
                "base" => {}
                "name" => {
                    if !matches!(entry.value, TomlNode::Str(_)) {
                        issues.push(source.wrong_type(entry, "a string", "name = \"my theme\""));
                    }
                }
                "slots" => {
                    let TomlNode::Table(slots) = &entry.value else {
                        issues.push(source.wrong_type(entry, "a table", "[slots]"));
                        continue;
                    };
                    for slot_entry in slots {
                        let Some(slot) = Slot::from_name(&slot_entry.key) else {
                            let names: Vec<&str> = Slot::ALL.iter().map(|s| s.name()).collect();
                            issues.push(source.issue(
                                slot_entry.span.clone(),
                                unknown("slot", &slot_entry.key, &names),
                                "a slot such as text, healthy, degraded, selected, danger",
                            ));
                            continue;
                        };
                        let parsed = parse_style(source, slot_entry, issues);
                        if let (Some(style), Some(target)) =
                            (parsed, self.styles.get_mut(slot.index()))
                        {
                            *target = style;
                            set.push(slot);
                        }
                    }
                }
                other => issues.push(source.issue(
                    entry.span.clone(),
                    unknown("theme key", other, &["slots", "base", "name"]),
                    "[slots], base or name",
                )),
            }
        }
        set
    }
}

const COLOR_EXPECTED: &str =
    "a colour name (red, light-blue, dark-gray...), \"#rrggbb\", an index 0-255, or \"reset\"";
const STYLE_EXPECTED: &str = "a colour, or { fg, bg, bold, reverse, underline, italic, dim }";

/// A slot's value: a colour (the foreground) or a table. It replaces the
/// slot's style entirely.
fn parse_style(source: Source<'_>, entry: &Entry, issues: &mut Vec<ConfigIssue>) -> Option<Style> {
    match &entry.value {
        TomlNode::Str(_) | TomlNode::Int(_) => {
            let color = parse_color_node(source, entry, issues)?;
            Some(Style::new().fg(color))
        }
        TomlNode::Table(fields) => {
            let mut style = Style::new();
            let mut ok = true;
            for field in fields {
                let flag = match field.key.as_str() {
                    "fg" | "bg" => {
                        match parse_color_node(source, field, issues) {
                            Some(c) if field.key == "fg" => style = style.fg(c),
                            Some(c) => style = style.bg(c),
                            None => ok = false,
                        }
                        continue;
                    }
                    "bold" => Modifier::BOLD,
                    "reverse" => Modifier::REVERSED,
                    "underline" => Modifier::UNDERLINED,
                    "italic" => Modifier::ITALIC,
                    "dim" => Modifier::DIM,
                    other => {
                        issues.push(source.issue(
                            field.span.clone(),
                            unknown(
                                "style field",
                                other,
                                &["fg", "bg", "bold", "reverse", "underline", "italic", "dim"],
                            ),
                            STYLE_EXPECTED,
                        ));
                        ok = false;
                        continue;
                    }
                };
                match field.value {
                    TomlNode::Bool(true) => style = style.add_modifier(flag),
                    TomlNode::Bool(false) => {}
                    _ => {
                        issues.push(source.wrong_type(field, "true or false", "bold = true"));
                        ok = false;
                    }
                }
            }
            ok.then_some(style)
        }
        _ => {
            issues.push(source.wrong_type(entry, "a colour or a table", STYLE_EXPECTED));
            None
        }
    }
}

fn parse_color_node(
    source: Source<'_>,
    entry: &Entry,
    issues: &mut Vec<ConfigIssue>,
) -> Option<Color> {
    let color = match &entry.value {
        TomlNode::Str(text) => parse_color(text).ok_or_else(|| format!("bad colour `{text}`")),
        TomlNode::Int(n) => u8::try_from(*n)
            .map(Color::Indexed)
            .map_err(|_| format!("colour index {n} is out of range")),
        other => Err(format!("a colour must be a string, found {}", other.kind())),
    };
    color
        .map_err(|problem| issues.push(source.issue(entry.span.clone(), problem, COLOR_EXPECTED)))
        .ok()
}

/// A colour as theme files write it: a ratatui name (`red`, `light-blue`,
/// `dark-gray`), `#rrggbb`, an index `0`-`255`, or `reset`.
pub fn parse_color(text: &str) -> Option<Color> {
    let text = text.trim();
    // ratatui reads "#+1+2+3" as a colour; demand real hex digits.
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
    }
    Color::from_str(text).ok()
}

/// Whether the environment turns colour off: `NO_COLOR` set and non-empty
/// (no-color.org), or `TERM=dumb`.
pub fn color_disabled_by_env() -> bool {
    let no_color = std::env::var_os("NO_COLOR");
    let term = std::env::var_os("TERM");
    color_disabled(
        no_color.as_deref().map(|v| v.to_string_lossy()).as_deref(),
        term.as_deref().map(|v| v.to_string_lossy()).as_deref(),
    )
}

/// The rule behind [`color_disabled_by_env`], with the values passed in.
pub fn color_disabled(no_color: Option<&str>, term: Option<&str>) -> bool {
    no_color.is_some_and(|v| !v.is_empty()) || term == Some("dumb")
}

// Contrast, to hold themes to WCAG AA; the palette is xterm's default.

/// xterm's default palette for the 16 named colours.
pub const XTERM16: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xcd, 0x00, 0x00),
    (0x00, 0xcd, 0x00),
    (0xcd, 0xcd, 0x00),
    (0x00, 0x00, 0xee),
    (0xcd, 0x00, 0xcd),
    (0x00, 0xcd, 0xcd),
    (0xe5, 0xe5, 0xe5),
    (0x7f, 0x7f, 0x7f),
    (0xff, 0x00, 0x00),
    (0x00, 0xff, 0x00),
    (0xff, 0xff, 0x00),
    (0x5c, 0x5c, 0xff),
    (0xff, 0x00, 0xff),
    (0x00, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

/// A colour as red, green, blue.
pub type Rgb = (u8, u8, u8);

/// The xterm 256-colour palette.
pub fn indexed(n: u8) -> Rgb {
    match n {
        0..=15 => XTERM16[n as usize],
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let n = n - 16;
            (level(n / 36), level(n / 6 % 6), level(n % 6))
        }
        _ => {
            let v = 8 + 10 * (n - 232);
            (v, v, v)
        }
    }
}

/// A colour as RGB by xterm's palette; `None` and `Reset` are the terminal's own.
pub fn rgb(color: Option<Color>, terminal: Rgb) -> Rgb {
    let named = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match color {
        None | Some(Color::Reset) => terminal,
        Some(Color::Rgb(r, g, b)) => (r, g, b),
        Some(Color::Indexed(n)) => indexed(n),
        Some(c) => XTERM16[named.iter().position(|&n| n == c).expect("a named colour")],
    }
}

pub fn luminance((r, g, b): Rgb) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2 contrast ratio, 1 to 21.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The terminal a theme is written for: (foreground, background).
pub fn terminals(theme: &str) -> Vec<(Rgb, Rgb)> {
    let dark = (XTERM16[7], XTERM16[0]);
    let light = (XTERM16[0], XTERM16[15]);
    match theme {
        "light" => vec![light],
        // Mono only uses the terminal's own colours, so it must hold on either.
        "mono" => vec![dark, light],
        _ => vec![dark],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the UI draws each slot's text: every text slot on the terminal's background,
    /// the overlays' slots on the overlay, the hint line's on the status bar. A selected
    /// row is drawn in the selection's style alone. Borders are lines, not text.
    fn drawn_pairs() -> Vec<(Slot, Option<Slot>)> {
        let mut pairs = Vec::new();
        for slot in Slot::ALL {
            if !matches!(slot, Slot::Border) {
                pairs.push((slot, None));
            }
        }
        for slot in [
            Slot::Text,
            Slot::Muted,
            Slot::Title,
            Slot::Header,
            Slot::Danger,
            Slot::Warning,
            Slot::Accent,
            Slot::Key,
            Slot::Production,
            Slot::BorderFocused,
        ] {
            pairs.push((slot, Some(Slot::Overlay)));
        }
        for slot in [Slot::Text, Slot::Muted, Slot::Key] {
            pairs.push((slot, Some(Slot::StatusBar)));
        }
        pairs
    }

    /// Foreground and background of `slot` drawn over `under`, on a terminal.
    fn resolve(theme: &Theme, slot: Slot, under: Option<Slot>, term: (Rgb, Rgb)) -> (Rgb, Rgb) {
        let base = under.map(|u| theme.style(u)).unwrap_or_default();
        let style = base.patch(theme.style(slot));
        let fg = rgb(style.fg, term.0);
        let bg = rgb(style.bg, term.1);
        if style.add_modifier.contains(Modifier::REVERSED) {
            (bg, fg)
        } else {
            (fg, bg)
        }
    }

    #[test]
    fn the_contrast_formula_matches_known_values() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((contrast((0x77, 0x77, 0x77), (255, 255, 255)) - 4.48).abs() < 0.01);
        assert_eq!(indexed(236), (0x30, 0x30, 0x30));
        assert_eq!(indexed(75), (0x5f, 0xaf, 0xff));
    }

    #[test]
    fn every_builtin_theme_holds_wcag_aa_for_all_text_it_draws() {
        let mut failures = Vec::new();
        for name in THEME_NAMES {
            let theme = Theme::by_name(name).expect("built in");
            for term in terminals(name) {
                for (slot, under) in drawn_pairs() {
                    let (fg, bg) = resolve(&theme, slot, under, term);
                    let ratio = contrast(fg, bg);
                    if ratio < 4.5 {
                        failures.push(format!(
                            "{name}: {} on {}: {fg:?} on {bg:?} is {ratio:.2}:1",
                            slot.name(),
                            under.map_or("the terminal", |u| u.name()),
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn colours_parse_in_every_written_form() {
        assert_eq!(parse_color("green"), Some(Color::Green));
        assert_eq!(parse_color("light-blue"), Some(Color::LightBlue));
        assert_eq!(parse_color("#00ff00"), Some(Color::Rgb(0, 255, 0)));
        assert_eq!(parse_color("236"), Some(Color::Indexed(236)));
        assert_eq!(parse_color("reset"), Some(Color::Reset));
        assert_eq!(parse_color("#+1+2+3"), None);
        assert_eq!(parse_color("#12345"), None);
        assert_eq!(parse_color("chartreuse"), None);
    }
}
