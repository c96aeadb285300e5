//! Configuration: shipped files, overlay rules, and `file:line` diagnostics.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use ripcord::action::Action;
use ripcord::config::paths::dir_from_env;
use ripcord::config::{
    builtin_keymap_source, builtin_theme_source, check_files, color_disabled, detect_kind,
    load_from_dir, resolve_keymap, ConfigIssue, FileKind, KeyChord, Keymap, Lookup, Section,
    Settings, Slot, Theme, ACTIONS, KEYMAP_NAMES, THEME_NAMES,
};

fn keys(seq: &[&str]) -> Vec<KeyChord> {
    seq.iter()
        .map(|k| KeyChord::parse(k).expect("test keys are valid"))
        .collect()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn builtin_keymap(name: &str) -> Keymap {
    let source = builtin_keymap_source(name).expect("built-in keymap");
    let (keymap, issues) = Keymap::parse(name, source);
    assert!(issues.is_empty(), "{name}: {issues:#?}");
    keymap
}

// ---- shipped files ----------------------------------------------------------

#[test]
fn shipped_keymaps_parse_without_issues() {
    for name in KEYMAP_NAMES {
        builtin_keymap(name);
        let (_, issues) = Keymap::load_named(Some(name), None);
        assert!(issues.is_empty(), "{name}: {issues:#?}");
    }
    let (_, issues) = Keymap::load(None);
    assert!(issues.is_empty(), "{issues:#?}");
}

#[test]
fn shipped_keymaps_bind_every_action_but_noop() {
    for name in KEYMAP_NAMES {
        let keymap = builtin_keymap(name);
        for action in ACTIONS.into_iter().filter(|&a| a != Action::Noop) {
            let bound = Section::ALL
                .iter()
                .any(|&s| keymap.bindings(s).any(|b| b.action == action));
            assert!(bound, "{name}: nothing runs {action:?}");
        }
    }
}

#[test]
fn actions_list_is_in_declaration_order() {
    // Help lists actions in declaration order, and `noop` last.
    for (i, action) in ACTIONS.into_iter().enumerate() {
        assert_eq!(action as usize, i, "{action:?}");
    }
    assert_eq!(ACTIONS.last(), Some(&Action::Noop));
}

#[test]
fn shipped_files_pass_config_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = KEYMAP_NAMES
        .iter()
        .map(|n| root.join(format!("keymaps/{n}.toml")))
        .collect();
    files.extend(
        THEME_NAMES
            .iter()
            .map(|n| root.join(format!("themes/{n}.toml"))),
    );
    let issues = check_files(&files);
    assert!(issues.is_empty(), "{issues:#?}");
}

#[test]
fn shipped_keymap_descriptions_are_short() {
    for name in KEYMAP_NAMES {
        let keymap = builtin_keymap(name);
        for section in Section::ALL {
            for binding in keymap.bindings(section) {
                let len = binding.desc.chars().count();
                assert!(
                    (1..=28).contains(&len),
                    "{name} [{section}] {}: {:?}",
                    binding.keys_display(),
                    binding.desc
                );
            }
        }
    }
}

#[test]
fn default_keymap_suggested_keys() {
    let keymap = Keymap::default_keymap();
    let home = [Section::Home, Section::Global];
    let detail = [Section::Detail, Section::Global];
    let cases: &[(&[Section], &[&str], Action)] = &[
        (&home, &["q"], Action::Quit),
        (&home, &["<C-c>"], Action::Quit),
        (&home, &["?"], Action::Help),
        (&home, &["!"], Action::Problems),
        (&detail, &["!"], Action::Problems),
        (&home, &["j"], Action::Down),
        (&home, &["<Up>"], Action::Up),
        (&home, &["g", "g"], Action::Top),
        (&home, &["G"], Action::Bottom),
        (&home, &["<Enter>"], Action::Open),
        (&home, &["/"], Action::Filter),
        (&home, &["C"], Action::PrevContext),
        (&home, &["0"], Action::AllNamespaces),
        (&home, &["P"], Action::PromoteFull),
        (&home, &["R"], Action::Restart),
        (&detail, &["h"], Action::Back),
        (&detail, &["<Esc>"], Action::Back),
        (&detail, &["k"], Action::Up),
        (&detail, &["u"], Action::Rollback),
        (&[Section::Demo], &["T"], Action::ToggleClock),
        (&[Section::Demo], &["+"], Action::SpeedUp),
        (&[Section::Demo], &["-"], Action::SlowDown),
    ];
    for (sections, seq, action) in cases {
        assert_eq!(
            keymap.lookup(sections, &keys(seq)),
            Lookup::Action(*action),
            "{seq:?}"
        );
    }
}

#[test]
fn k9s_keymap_follows_k9s_habits() {
    let (keymap, issues) = Keymap::load_named(Some("k9s"), None);
    assert!(issues.is_empty(), "{issues:#?}");
    let home = [Section::Home, Section::Global];
    assert_eq!(
        keymap.lookup(&home, &keys(&["r"])),
        Lookup::Action(Action::Restart)
    );
    assert_eq!(
        keymap.lookup(&home, &keys(&["g"])),
        Lookup::Action(Action::Top)
    );
    assert_eq!(
        keymap.lookup(&home, &keys(&["<C-d>"])),
        Lookup::Action(Action::Abort)
    );
    assert_eq!(
        keymap.lookup(&home, &keys(&["<C-f>"])),
        Lookup::Action(Action::PageDown)
    );
}

#[test]
fn shipped_themes_are_complete_and_clean() {
    for name in THEME_NAMES {
        let source = builtin_theme_source(name).expect("built-in theme");
        let (_, issues) = Theme::from_complete(name, source);
        assert!(issues.is_empty(), "{name}: {issues:#?}");
        let theme = Theme::by_name(name).expect("by_name finds built-ins");
        assert_eq!(theme.name(), name);
    }
    assert!(Theme::by_name("solarized").is_none());
    assert_eq!(
        Theme::default(),
        Theme::by_name("default").expect("default")
    );
}

#[test]
fn mono_has_no_colour_and_reverses_the_selection() {
    let mono = Theme::mono();
    for slot in Slot::ALL {
        let style = mono.style(slot);
        assert_eq!((style.fg, style.bg), (None, None), "{slot:?}");
        let allowed = Modifier::BOLD | Modifier::REVERSED | Modifier::UNDERLINED;
        assert!(allowed.contains(style.add_modifier), "{slot:?}");
    }
    assert!(mono.is_colorless());
    assert!(mono
        .style(Slot::Selected)
        .add_modifier
        .contains(Modifier::REVERSED));
    assert!(!Theme::default().is_colorless());
}

// ---- colour off by environment -------------------------------------------------

#[test]
fn no_color_and_dumb_terminals_turn_colour_off() {
    assert!(color_disabled(Some("1"), Some("xterm-256color")));
    assert!(color_disabled(None, Some("dumb")));
    assert!(color_disabled(Some("yes"), None));
    // no-color.org: an empty NO_COLOR does not count.
    assert!(!color_disabled(Some(""), Some("xterm")));
    assert!(!color_disabled(None, None));
    assert!(!color_disabled(None, Some("xterm")));
}

#[test]
fn colour_off_forces_mono_over_any_choice() {
    let user = Path::new("theme.toml");
    let (theme, issues) = Theme::load(
        Some("light"),
        Some((user, "[slots]\nhealthy = \"green\"\n")),
        true,
    );
    assert!(issues.is_empty());
    assert_eq!(theme, Theme::mono());
}

// ---- overlay semantics ------------------------------------------------------

const USER_KEYMAP: &str = r#"
[home]
keymap = [
  { on = "j", run = "up", desc = "Upside down" },
  { on = "R", run = "noop" },
  { on = "x", run = "restart", desc = "Restart, k9s style" },
]
"#;

#[test]
fn user_keymap_replaces_removes_and_adds() {
    let (keymap, issues) = Keymap::load(Some(("keymap.toml", USER_KEYMAP)));
    assert!(issues.is_empty(), "{issues:#?}");
    let home = [Section::Home, Section::Global];

    // Replaced, in place.
    assert_eq!(
        keymap.lookup(&home, &keys(&["j"])),
        Lookup::Action(Action::Up)
    );
    let j = keymap
        .bindings(Section::Home)
        .find(|b| b.keys == keys(&["j"]))
        .expect("j still listed");
    assert_eq!(j.desc, "Upside down");

    // Removed, also from help.
    assert_eq!(keymap.lookup(&home, &keys(&["R"])), Lookup::None);
    assert!(keymap
        .bindings(Section::Home)
        .all(|b| b.keys != keys(&["R"])));

    // Added.
    assert_eq!(
        keymap.lookup(&home, &keys(&["x"])),
        Lookup::Action(Action::Restart)
    );
    assert_eq!(
        keymap.keys_for(Section::Home, Action::Restart),
        Some("x".to_string())
    );

    // Untouched elsewhere.
    assert_eq!(
        keymap.lookup(&home, &keys(&["k"])),
        Lookup::Action(Action::Up)
    );
    let detail = [Section::Detail, Section::Global];
    assert_eq!(
        keymap.lookup(&detail, &keys(&["R"])),
        Lookup::Action(Action::Restart)
    );
}

#[test]
fn noop_in_a_section_hides_the_global_binding() {
    let user = "[detail]\nkeymap = [ { on = \"q\", run = \"noop\" } ]\n";
    let (keymap, issues) = Keymap::load(Some(("keymap.toml", user)));
    assert!(issues.is_empty(), "{issues:#?}");
    let detail = [Section::Detail, Section::Global];
    assert_eq!(keymap.lookup(&detail, &keys(&["q"])), Lookup::None);
    let home = [Section::Home, Section::Global];
    assert_eq!(
        keymap.lookup(&home, &keys(&["q"])),
        Lookup::Action(Action::Quit)
    );
}

#[test]
fn a_keymap_without_quit_gets_ctrl_c() {
    let user = "[global]\nkeymap = [\n  { on = \"q\", run = \"noop\" },\n  { on = \"<C-c>\", run = \"noop\" },\n]\n";
    let (keymap, issues) = Keymap::load(Some(("keymap.toml", user)));
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(issues[0].problem.contains("quit"));
    assert_eq!(
        keymap.lookup(&[Section::Global], &keys(&["<C-c>"])),
        Lookup::Action(Action::Quit)
    );
}

#[test]
fn multi_key_sequences_report_prefixes() {
    let keymap = Keymap::default_keymap();
    let home = [Section::Home, Section::Global];
    assert_eq!(keymap.lookup(&home, &keys(&["g"])), Lookup::Prefix);
    assert_eq!(
        keymap.lookup(&home, &keys(&["g", "g"])),
        Lookup::Action(Action::Top)
    );
    assert_eq!(keymap.lookup(&home, &keys(&["g", "j"])), Lookup::None);
    assert_eq!(keymap.lookup(&home, &[]), Lookup::None);
    assert_eq!(
        keymap.keys_for(Section::Home, Action::Top),
        Some("g g".to_string())
    );

    let top = keymap
        .bindings(Section::Home)
        .find(|b| b.action == Action::Top)
        .expect("top is bound");
    assert_eq!(top.keys_display(), "g g");
}

#[test]
fn earlier_sections_win() {
    let user = "[detail]\nkeymap = [ { on = \"?\", run = \"filter\" } ]\n";
    let (keymap, _) = Keymap::load(Some(("keymap.toml", user)));
    let seq = keys(&["?"]);
    assert_eq!(
        keymap.lookup(&[Section::Detail, Section::Global], &seq),
        Lookup::Action(Action::Filter)
    );
    assert_eq!(
        keymap.lookup(&[Section::Global, Section::Detail], &seq),
        Lookup::Action(Action::Help)
    );
}

#[test]
fn a_prefix_that_hides_a_sequence_is_reported() {
    let user = "[home]\nkeymap = [\n  { on = \"g\", run = \"top\" },\n]\n";
    let (_, issues) = Keymap::load(Some(("keymap.toml", user)));
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].line, Some(3));
    assert!(issues[0].problem.contains("hides `g g`"), "{}", issues[0]);
}

#[test]
fn read_only_strips_every_mutating_action() {
    let keymap = Keymap::default_keymap().without_mutating();
    for section in Section::ALL {
        assert!(keymap.bindings(section).all(|b| !b.action.is_mutating()));
    }
    let home = [Section::Home, Section::Global];
    for seq in ["p", "P", "z", "r", "a", "y", "u", "R"] {
        assert_eq!(keymap.lookup(&home, &keys(&[seq])), Lookup::None, "{seq}");
    }
    assert_eq!(keymap.keys_for(Section::Home, Action::Promote), None);
    assert_eq!(
        keymap.lookup(&home, &keys(&["j"])),
        Lookup::Action(Action::Down)
    );
    assert_eq!(
        keymap.lookup(&home, &keys(&["q"])),
        Lookup::Action(Action::Quit)
    );
}

// ---- keys ---------------------------------------------------------------------

#[test]
fn terminal_events_match_keymap_keys() {
    let event = |code, mods| KeyChord::from_event(&KeyEvent::new(code, mods));
    assert_eq!(
        event(KeyCode::Char('G'), KeyModifiers::SHIFT),
        keys(&["G"])[0]
    );
    assert_eq!(
        event(KeyCode::Char('G'), KeyModifiers::NONE),
        keys(&["G"])[0]
    );
    assert_eq!(
        event(KeyCode::Char('r'), KeyModifiers::CONTROL),
        keys(&["<C-r>"])[0]
    );
    assert_eq!(
        event(KeyCode::BackTab, KeyModifiers::SHIFT),
        keys(&["<S-Tab>"])[0]
    );
    assert_eq!(
        event(KeyCode::Enter, KeyModifiers::NONE),
        keys(&["<Enter>"])[0]
    );
    assert_eq!(
        event(KeyCode::Char(' '), KeyModifiers::NONE),
        keys(&["<Space>"])[0]
    );
    assert_ne!(
        event(KeyCode::Char('g'), KeyModifiers::NONE),
        keys(&["G"])[0]
    );

    assert_eq!(keys(&["<C-r>"])[0].to_string(), "<C-r>");
    assert_eq!(keys(&["<enter>"])[0].to_string(), "<Enter>");
    assert_eq!(keys(&["G"])[0].to_string(), "G");
}

// ---- diagnostics --------------------------------------------------------------

/// Checks a fixture and returns its issues as (line, problem).
fn check(name: &str) -> Vec<(Option<usize>, String)> {
    let path = fixture(name);
    let issues = check_files(std::slice::from_ref(&path));
    for issue in &issues {
        assert_eq!(issue.file, path.display().to_string());
        assert!(!issue.expected.is_empty(), "{issue}");
    }
    issues.into_iter().map(|i| (i.line, i.problem)).collect()
}

fn assert_issues(name: &str, expected: &[(usize, &str)]) {
    let found = check(name);
    assert_eq!(found.len(), expected.len(), "{name}: {found:#?}");
    for ((line, problem), (want_line, want)) in found.iter().zip(expected) {
        assert_eq!(*line, Some(*want_line), "{name}: {problem}");
        assert!(problem.contains(want), "{name}: {problem:?} lacks {want:?}");
    }
}

#[test]
fn bad_toml_syntax_is_located() {
    assert_issues("bad-syntax.keymap.toml", &[(5, "invalid TOML")]);
}

#[test]
fn unknown_action_is_located_with_a_suggestion() {
    assert_issues(
        "unknown-action.keymap.toml",
        &[(4, "unknown action `restrat` (did you mean `restart`?)")],
    );
}

#[test]
fn bad_keys_are_located() {
    assert_issues(
        "bad-key.keymap.toml",
        &[(5, "bad key `<C-foo>`"), (6, "bad key `gg`")],
    );
}

#[test]
fn bad_colour_is_located() {
    assert_issues("bad-colour.theme.toml", &[(3, "bad colour `#ff00zz`")]);
}

#[test]
fn unknown_slot_is_located() {
    assert_issues(
        "unknown-slot.theme.toml",
        &[(4, "unknown slot `healty` (did you mean `healthy`?)")],
    );
}

#[test]
fn unknown_setting_is_located() {
    assert_issues(
        "unknown-setting.config.toml",
        &[(3, "unknown setting `colour`")],
    );
}

#[test]
fn wrong_types_are_located() {
    assert_issues(
        "wrong-type.config.toml",
        &[
            (3, "`fps` must be an integer, found a string"),
            (6, "`read_only` must be true or false, found a string"),
        ],
    );
}

#[test]
fn issues_display_as_file_line_column() {
    let path = fixture("unknown-setting.config.toml");
    let issues = check_files(std::slice::from_ref(&path));
    let text = issues[0].to_string();
    let prefix = format!("{}:3:1: unknown setting `colour`", path.display());
    assert!(text.starts_with(&prefix), "{text}");
    assert!(text.contains("(expected: one of theme,"), "{text}");
}

#[test]
fn unreadable_files_are_issues() {
    let missing = fixture("does-not-exist.toml");
    let issues = check_files(&[missing]);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, None);
    assert!(issues[0].problem.contains("cannot read"));
}

#[test]
fn bad_entries_are_skipped_and_good_ones_kept() {
    let text = std::fs::read_to_string(fixture("unknown-action.keymap.toml")).expect("fixture");
    let (keymap, issues) = Keymap::load(Some(("k.toml", text.as_str())));
    assert_eq!(issues.len(), 1);
    let home = [Section::Home];
    assert_eq!(
        keymap.lookup(&home, &keys(&["j"])),
        Lookup::Action(Action::Down)
    );
    assert_eq!(keymap.lookup(&home, &keys(&["x"])), Lookup::None);

    let text = std::fs::read_to_string(fixture("bad-colour.theme.toml")).expect("fixture");
    let mut theme = Theme::default();
    let issues = theme.overlay("t.toml", &text);
    assert_eq!(issues.len(), 1);
    assert_eq!(theme.style(Slot::Healthy).fg, Some(Color::Green));
    assert_eq!(
        theme.style(Slot::Degraded),
        Theme::default().style(Slot::Degraded)
    );

    let text = std::fs::read_to_string(fixture("wrong-type.config.toml")).expect("fixture");
    let (settings, issues) = Settings::load(Path::new("c.toml"), &text);
    assert_eq!(issues.len(), 2);
    assert_eq!(settings.theme.as_deref(), Some("light"));
    assert_eq!(settings.fps, Settings::default().fps);
}

#[test]
fn a_file_with_bad_syntax_changes_nothing() {
    let text = std::fs::read_to_string(fixture("bad-syntax.keymap.toml")).expect("fixture");
    let (keymap, issues) = Keymap::load(Some(("k.toml", text.as_str())));
    assert_eq!(issues.len(), 1);
    assert_eq!(keymap, Keymap::default_keymap());
}

#[test]
fn no_input_panics() {
    let inputs = [
        "",
        "\u{0}",
        "[[[",
        "a = ",
        "= 1",
        "keymap = 3",
        "[home]\nkeymap = 3",
        "[home]\nkeymap = [1, \"x\", [], {}]",
        "[home]\nkeymap = [{ on = [], run = 3, desc = [] }]",
        "[home]\nkeymap = [{ on = [1], run = \"down\", extra = true }]",
        "[[home.keymap]]\non = \"<>\"\nrun = \"down\"",
        "[slots]\ntext = 999\nmuted = -1\nborder = [1]\nkey = { fg = 3.5, bold = \"x\" }",
        "slots = 1\nbase = 2\nname = 3",
        "fps = 99999999999\nfps = -1\ncontexts = 1\n[x]\n",
        "[contexts]\na = 1\nb = { read_only = 1, what = 2 }",
        "d = 1979-05-27T07:32:00Z",
        "é = \"ü\"\n\"\u{1F600}\" = { on = \"\u{1F600}\" }",
    ];
    for text in inputs {
        let _ = Keymap::load(Some(("k.toml", text)));
        let _ = Keymap::parse("k.toml", text);
        let _ = Theme::default().overlay("t.toml", text);
        let _ = Theme::from_complete("t.toml", text);
        let _ = Settings::load(Path::new("c.toml"), text);
        let kind = detect_kind(Path::new("x.toml"), text);
        let _ = ripcord::config::check_text(kind, Path::new("x.toml"), text);
    }
}

#[test]
fn dates_are_reported_not_swallowed() {
    let (_, issues) = Settings::load(Path::new("c.toml"), "theme = \"mono\"\nfps = 2024-01-01\n");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, Some(2));
}

#[test]
fn file_kinds_are_detected() {
    let any = Path::new("x.toml");
    assert_eq!(detect_kind(any, "[home]\nkeymap = []\n"), FileKind::Keymap);
    assert_eq!(
        detect_kind(any, "[slots]\ntext = \"red\"\n"),
        FileKind::Theme
    );
    assert_eq!(detect_kind(any, "fps = 3\n"), FileKind::Settings);
    assert_eq!(
        detect_kind(Path::new("my-keymap.toml"), ""),
        FileKind::Keymap
    );
    assert_eq!(
        detect_kind(Path::new("dark.theme.toml"), ""),
        FileKind::Theme
    );
}

// ---- themes -------------------------------------------------------------------

#[test]
fn partial_theme_is_laid_over_the_chosen_base() {
    let user = Path::new("theme.toml");
    let text = "[slots]\nhealthy = \"#00ff00\"\nselected = { fg = 16, bg = \"reset\", underline = true }\n";
    let (theme, issues) = Theme::load(Some("light"), Some((user, text)), false);
    assert!(issues.is_empty(), "{issues:#?}");
    let light = Theme::by_name("light").expect("light");
    assert_eq!(theme.style(Slot::Healthy).fg, Some(Color::Rgb(0, 255, 0)));
    let selected = theme.style(Slot::Selected);
    assert_eq!(selected.fg, Some(Color::Indexed(16)));
    assert_eq!(selected.bg, Some(Color::Reset));
    assert_eq!(selected.add_modifier, Modifier::UNDERLINED);
    assert_eq!(theme.style(Slot::Text), light.style(Slot::Text));
    assert_eq!(theme.style(Slot::Danger), light.style(Slot::Danger));
}

#[test]
fn theme_base_key_picks_a_built_in() {
    let mut theme = Theme::default();
    let issues = theme.overlay("t.toml", "base = \"mono\"\n[slots]\nhealthy = \"green\"\n");
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(theme.style(Slot::Text), Theme::mono().style(Slot::Text));
    assert_eq!(theme.style(Slot::Healthy).fg, Some(Color::Green));
}

#[test]
fn unknown_theme_name_is_an_issue_and_default_is_used() {
    let (theme, issues) = Theme::load(Some("solarised"), None, false);
    assert_eq!(issues.len(), 1);
    assert!(issues[0].problem.contains("unknown theme `solarised`"));
    assert_eq!(theme, Theme::default());
}

#[test]
fn unknown_keymap_name_is_an_issue_and_default_is_used() {
    let issue: ConfigIssue = resolve_keymap("vim").expect_err("not a keymap");
    assert!(issue.problem.contains("unknown keymap `vim`"), "{issue}");
    let (keymap, issues) = Keymap::load_named(Some("k9z"), None);
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0].problem.contains("did you mean `k9s`"),
        "{}",
        issues[0]
    );
    assert_eq!(keymap, Keymap::default_keymap());
}

#[test]
fn user_keymap_conflicts_are_judged_against_the_configured_base() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keymap = "[home]\nkeymap = [\n  { on = \"g\", run = \"bottom\" },\n]\n";
    std::fs::write(dir.path().join("keymap.toml"), keymap).expect("write keymap.toml");

    // Over the default keymap, `g` hides `g g`...
    let loaded = load_from_dir(Some(dir.path()), None, None, false);
    assert_eq!(loaded.issues.len(), 1, "{:#?}", loaded.issues);
    assert_eq!(loaded.issues[0].line, Some(3));

    // ... over k9s, where `g` is a single key, it simply replaces it.
    std::fs::write(dir.path().join("config.toml"), "keymap = \"k9s\"\n").expect("write");
    let loaded = load_from_dir(Some(dir.path()), None, None, false);
    assert!(loaded.issues.is_empty(), "{:#?}", loaded.issues);
    let home = [Section::Home];
    assert_eq!(
        loaded.keymap.lookup(&home, &keys(&["g"])),
        Lookup::Action(Action::Bottom)
    );
}

// ---- settings and paths -------------------------------------------------------

#[test]
fn settings_parse_and_answer_questions() {
    let text = r#"
theme = "light"
keymap = "k9s"
fps = 60
production_pattern = "*-prod-*"

[contexts."kind-dev"]
read_only = true

[contexts."eu-prod-legacy"]
production = false
"#;
    let (settings, issues) = Settings::load(Path::new("config.toml"), text);
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(settings.theme.as_deref(), Some("light"));
    assert_eq!(settings.keymap.as_deref(), Some("k9s"));
    assert_eq!(settings.fps, 60);
    assert!(settings.is_read_only("kind-dev"));
    assert!(!settings.is_read_only("eu-prod-1"));
    assert!(settings.is_production("EU-PROD-1"));
    assert!(!settings.is_production("eu-prod"));
    assert!(!settings.is_production("eu-prod-legacy"));

    let defaults = Settings::default();
    assert_eq!(defaults.fps, 30);
    assert!(defaults.is_production("gke_acme_prod"));
    assert!(!defaults.is_production("staging"));
}

#[test]
fn settings_values_are_range_checked() {
    let (settings, issues) = Settings::load(Path::new("c.toml"), "fps = 0\ntheme = \"neon\"\n");
    assert_eq!(issues.len(), 2, "{issues:#?}");
    assert_eq!(issues[0].line, Some(1));
    assert_eq!(issues[1].line, Some(2));
    assert_eq!(settings, Settings::default());
}

#[test]
fn env_overrides_directories() {
    let fallback = || Some(PathBuf::from("/home/u/.config/ripcord"));
    assert_eq!(
        dir_from_env(Some("/tmp/rc".into()), fallback),
        Some(PathBuf::from("/tmp/rc"))
    );
    assert_eq!(dir_from_env(Some("".into()), fallback), fallback());
    assert_eq!(dir_from_env(None, fallback), fallback());
}

#[test]
fn loads_everything_from_a_config_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).expect("write config file");
    };
    write(
        "config.toml",
        "theme = \"mine.toml\"\nkeymap = \"k9s\"\nfps = 20\n",
    );
    write("mine.toml", "base = \"high-contrast\"\n");
    write(
        "keymap.toml",
        "[home]\nkeymap = [ { on = \"r\", run = \"noop\" } ]\n",
    );
    write("theme.toml", "[slots]\nhealthy = \"blue\"\n");

    let loaded = load_from_dir(Some(dir.path()), None, None, false);
    assert!(loaded.issues.is_empty(), "{:#?}", loaded.issues);
    assert_eq!(loaded.settings.fps, 20);
    let home = [Section::Home, Section::Global];
    // k9s base ...
    assert_eq!(
        loaded.keymap.lookup(&home, &keys(&["<C-d>"])),
        Lookup::Action(Action::Abort)
    );
    // ... with the user's keymap.toml over it.
    assert_eq!(loaded.keymap.lookup(&home, &keys(&["r"])), Lookup::None);
    let high_contrast = Theme::by_name("high-contrast").expect("built-in");
    assert_eq!(
        loaded.theme.style(Slot::Text),
        high_contrast.style(Slot::Text)
    );
    assert_eq!(loaded.theme.style(Slot::Healthy).fg, Some(Color::Blue));

    // Command-line choices win over config.toml.
    let loaded = load_from_dir(Some(dir.path()), Some("mono"), Some("default"), false);
    assert_eq!(loaded.keymap.lookup(&home, &keys(&["<C-d>"])), Lookup::None);
    assert_eq!(
        loaded.theme.style(Slot::Text),
        Theme::mono().style(Slot::Text)
    );

    // No directory: defaults and no issues.
    let loaded = load_from_dir(None, None, None, false);
    assert!(loaded.issues.is_empty());
    assert_eq!(loaded.keymap, Keymap::default_keymap());
    assert_eq!(loaded.theme, Theme::default());
}

// ---- dialog and text-field sections ------------------------------------------------

#[test]
fn help_confirm_and_input_have_sections_a_user_file_can_rebind() {
    let text = "\
[confirm]
keymap = [
  { on = \"y\", run = \"noop\" },
  { on = \"o\", run = \"confirm\", desc = \"OK\" },
]
[help]
keymap = [{ on = \"x\", run = \"down\" }]
[input]
keymap = [{ on = \"<C-j>\", run = \"submit\" }]
";
    let (keymap, issues) = Keymap::load(Some(("keymap.toml", text)));
    assert!(issues.is_empty(), "{issues:#?}");
    let lookup = |section, key: &str| keymap.lookup(&[section], &keys(&[key]));
    assert_eq!(
        lookup(Section::Confirm, "o"),
        Lookup::Action(Action::Confirm)
    );
    assert_eq!(lookup(Section::Confirm, "y"), Lookup::None, "unbound");
    assert_eq!(
        lookup(Section::Confirm, "<Esc>"),
        Lookup::Action(Action::Cancel)
    );
    assert_eq!(lookup(Section::Help, "x"), Lookup::Action(Action::Down));
    assert_eq!(lookup(Section::Help, "j"), Lookup::Action(Action::Down));
    assert_eq!(
        lookup(Section::Input, "<C-j>"),
        Lookup::Action(Action::Submit)
    );
    assert_eq!(
        lookup(Section::Input, "<Enter>"),
        Lookup::Action(Action::Submit)
    );
    // The dialogs' sections stand alone: a global key does not reach into them.
    assert_eq!(lookup(Section::Confirm, "q"), Lookup::None);
}

#[test]
fn enter_can_never_confirm_and_bad_dialog_entries_are_reported_at_their_line() {
    let text = "\
[confirm]
keymap = [
  { on = \"<Enter>\", run = \"confirm\" },
  { on = \"n\", run = \"bogus\" },
]
[dialog]
keymap = []
";
    let (keymap, issues) = Keymap::load(Some(("keymap.toml", text)));
    let found: Vec<(Option<usize>, String)> =
        issues.iter().map(|i| (i.line, i.problem.clone())).collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found[0].0, Some(3));
    assert!(found[0].1.contains("Enter never confirms"), "{found:#?}");
    assert_eq!(found[1].0, Some(4));
    assert!(found[1].1.contains("bogus"), "{found:#?}");
    assert_eq!(found[2].0, Some(6));
    assert!(found[2].1.contains("dialog"), "{found:#?}");
    assert!(
        issues[0].to_string().starts_with("keymap.toml:3:"),
        "{}",
        issues[0]
    );
    // Enter stays what the default says: it does not confirm.
    assert_eq!(
        keymap.lookup(&[Section::Confirm], &keys(&["<Enter>"])),
        Lookup::Action(Action::Submit)
    );
}

#[test]
fn action_and_slot_names_round_trip_from_their_one_list() {
    for &action in ACTIONS.iter() {
        assert_eq!(Action::from_name(action.name()), Some(action));
        let json = serde_json::to_string(&action).expect("serialises");
        assert_eq!(json, format!("\"{}\"", action.name()), "serde agrees");
    }
    for slot in Slot::ALL {
        assert_eq!(Slot::from_name(slot.name()), Some(slot));
    }
}

#[test]
fn a_keymap_that_leaves_nothing_to_confirm_with_gets_y_back_and_says_so() {
    let text = "[confirm]\nkeymap = [\n  { on = \"y\", run = \"noop\" },\n  { on = \"Y\", run = \"noop\" },\n]\n";
    let (keymap, issues) = Keymap::load(Some(("keymap.toml", text)));
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(issues[0].problem.contains("y now confirms"), "{issues:#?}");
    assert_eq!(
        keymap.lookup(&[Section::Confirm], &keys(&["y"])),
        Lookup::Action(Action::Confirm)
    );
}

#[test]
fn the_checks_table_holds_the_registry_allow_list_and_the_promote_acknowledgement() {
    let text = r#"
theme = "light"

[checks]
allowed_registries = ["ghcr.io/acme/", "registry.example.com:5000/team"]
promote_ack = "medium"
"#;
    let (settings, issues) = Settings::load(Path::new("config.toml"), text);
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(
        settings.allowed_registries,
        ["ghcr.io/acme", "registry.example.com:5000/team"]
    );
    assert_eq!(settings.promote_ack, ripcord::model::Severity::Medium);
    assert!(Settings::default().allowed_registries.is_empty());
}

#[test]
fn bad_checks_settings_are_reported_on_their_line() {
    let text = "[checks]\nallowed_registries = [\n  \"ghcr.io/acme\",\n  \"https://quay.io\",\n  3,\n]\npromote_ack = \"urgent\"\nallow = true\n";
    let (settings, issues) = Settings::load(Path::new("c.toml"), text);
    let shown: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(issues.len(), 4, "{shown:#?}");
    assert!(
        shown[0].starts_with("c.toml:4:") && shown[0].contains("is a URL"),
        "{shown:#?}"
    );
    assert!(
        shown[1].starts_with("c.toml:5:") && shown[1].contains("must be a string"),
        "{shown:#?}"
    );
    assert!(
        shown[2].starts_with("c.toml:7:") && shown[2].contains("\"urgent\" is not a severity"),
        "{shown:#?}"
    );
    assert!(
        shown[3].starts_with("c.toml:8:") && shown[3].contains("allow"),
        "{shown:#?}"
    );
    // What was good is kept.
    assert_eq!(settings.allowed_registries, ["ghcr.io/acme"]);
    let (_, issues) = Settings::load(Path::new("c.toml"), "checks = 3\n");
    assert_eq!(issues.len(), 1, "{issues:#?}");
}
