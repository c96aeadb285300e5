//! User configuration: settings, keymaps and themes, each a TOML file in the
//! config directory, with built-in defaults that a user file is laid over; and the
//! analysis configs that say how a canary is judged.
//!
//! Loading never fails and never panics: every problem becomes a
//! [`ConfigIssue`] with a `file:line:col`, and the part it concerns falls
//! back to the default.

pub mod analysis;
pub mod issues;
pub mod keymap;
pub mod paths;
pub mod settings;
pub mod theme;
mod toml_tree;

use std::path::{Path, PathBuf};

pub use issues::ConfigIssue;
pub use keymap::{
    action_by_name, action_name, builtin_keymap_source, resolve_keymap, Binding, KeyChord, Keymap,
    Lookup, Section, ACTIONS, KEYMAP_NAMES,
};
pub use settings::{glob_match, ContextSettings, Settings};
pub use theme::{
    builtin_theme_source, color_disabled, color_disabled_by_env, parse_color, Slot, Theme,
    THEME_NAMES,
};

use toml_tree::{Source, TomlNode};

/// What a config file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Settings,
    Keymap,
    Theme,
    Analysis,
}

/// Top-level keys only an analysis config has.
const ANALYSIS_ONLY_KEYS: [&str; 5] = ["metrics", "confidence", "pass", "marginal", "groups"];

/// Guesses a file's kind: by name first ("keymap", "theme"), then by content
/// (a section with a `keymap` array, or a `[slots]` table), else settings.
pub fn detect_kind(path: &Path, contents: &str) -> FileKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.contains("keymap") {
        return FileKind::Keymap;
    }
    if name.contains("theme") {
        return FileKind::Theme;
    }
    if name.contains("analysis") {
        return FileKind::Analysis;
    }
    let file = path.display().to_string();
    let Ok(entries) = (Source {
        file: &file,
        text: contents,
    })
    .parse() else {
        return FileKind::Settings;
    };
    let is_keymap = entries.iter().any(|e| {
        Section::from_name(&e.key).is_some()
            && matches!(&e.value, TomlNode::Table(fields) if fields.iter().any(|f| f.key == "keymap"))
    });
    if is_keymap {
        FileKind::Keymap
    } else if entries.iter().any(|e| e.key == "slots") {
        FileKind::Theme
    } else if entries
        .iter()
        .any(|e| ANALYSIS_ONLY_KEYS.contains(&e.key.as_str()))
    {
        FileKind::Analysis
    } else {
        FileKind::Settings
    }
}

/// Validates one file's text as the given kind. A keymap is checked on its
/// own (a `--keymap` file is complete; how a keymap.toml combines with its
/// base is [`check_user_config`]'s business), a theme over the default.
pub fn check_text(kind: FileKind, path: &Path, contents: &str) -> Vec<ConfigIssue> {
    let name = path.display().to_string();
    match kind {
        FileKind::Settings => Settings::load(path, contents).1,
        FileKind::Keymap => Keymap::parse(&name, contents).1,
        FileKind::Theme => Theme::default().overlay(&name, contents),
        FileKind::Analysis => analysis::load(path, contents).1,
    }
}

/// The shipped example analysis configs, by file name.
pub fn analysis_examples() -> [(&'static str, &'static str); 2] {
    [
        ("http.toml", include_str!("../../analysis/http.toml")),
        (
            "saturation.toml",
            include_str!("../../analysis/saturation.toml"),
        ),
    ]
}

/// `ripcord config check FILE...`: every problem in the given files; a file
/// that cannot be read is a problem too.
pub fn check_files(paths: &[PathBuf]) -> Vec<ConfigIssue> {
    let mut issues = Vec::new();
    for path in paths {
        match std::fs::read_to_string(path) {
            Ok(text) => issues.extend(check_text(detect_kind(path, &text), path, &text)),
            Err(e) => issues.push(ConfigIssue::new(
                path.display().to_string(),
                format!("cannot read file: {e}"),
                "a readable UTF-8 file",
            )),
        }
    }
    issues
}

/// What `ripcord config check` looked at, and the problems it found there.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub checked: Vec<PathBuf>,
    pub issues: Vec<ConfigIssue>,
}

impl CheckReport {
    fn add(&mut self, other: CheckReport) {
        self.checked.extend(other.checked);
        self.issues.extend(other.issues);
    }
}

/// Checks a config directory the way loading reads it: whichever of config.toml,
/// keymap.toml and theme.toml it holds. A directory that does not exist is a problem.
pub fn check_dir(dir: &Path) -> CheckReport {
    if !dir.is_dir() {
        return CheckReport {
            checked: Vec::new(),
            issues: vec![ConfigIssue::new(
                dir.display().to_string(),
                if dir.exists() {
                    "not a directory"
                } else {
                    "no such directory"
                },
                "a config directory holding config.toml, keymap.toml or theme.toml",
            )],
        };
    }
    let checked: Vec<PathBuf> = [
        paths::CONFIG_FILE,
        paths::KEYMAP_FILE,
        paths::THEME_FILE,
        paths::ANALYSIS_FILE,
    ]
    .into_iter()
    .map(|f| dir.join(f))
    .filter(|p| p.exists())
    .collect();
    let mut issues = load_from_dir(Some(dir), None, None, false).issues;
    // analysis.toml is read by `analyze` and `gate` when no other config is named.
    let analysis = dir.join(paths::ANALYSIS_FILE);
    if checked.contains(&analysis) {
        issues.extend(check_files(std::slice::from_ref(&analysis)));
    }
    CheckReport { checked, issues }
}

/// `ripcord config check PATH...`: files are checked one by one, directories as a config
/// directory.
pub fn check_paths(paths: &[PathBuf]) -> CheckReport {
    let mut report = CheckReport::default();
    for path in paths {
        if path.is_dir() {
            report.add(check_dir(path));
        } else if !path.exists() {
            report.issues.push(ConfigIssue::new(
                path.display().to_string(),
                "no such file or directory",
                "a config file, or a config directory holding config.toml, keymap.toml or \
                 theme.toml",
            ));
        } else {
            report.add(CheckReport {
                checked: vec![path.clone()],
                issues: check_files(std::slice::from_ref(path)),
            });
        }
    }
    report
}

/// `ripcord config check` with no files: whichever of config.toml,
/// keymap.toml and theme.toml exist in the config directory, checked the
/// way loading combines them (keymap.toml over the configured keymap...).
pub fn check_user_config() -> Vec<ConfigIssue> {
    match paths::config_dir() {
        Some(dir) => load_from_dir(Some(&dir), None, None, false).issues,
        None => Vec::new(),
    }
}

/// Everything the app needs from configuration.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub settings: Settings,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Problems found on the way; the app shows them but runs anyway.
    pub issues: Vec<ConfigIssue>,
}

/// Loads settings, keymap and theme from the user's config directory.
/// `theme_arg` / `keymap_arg` are `--theme` / `--keymap` and win over the
/// settings file; `no_color` is usually [`color_disabled_by_env`].
pub fn load_all(theme_arg: Option<&str>, keymap_arg: Option<&str>, no_color: bool) -> LoadedConfig {
    load_from_dir(
        paths::config_dir().as_deref(),
        theme_arg,
        keymap_arg,
        no_color,
    )
}

/// [`load_all`] from a given config directory (`None`: defaults only).
pub fn load_from_dir(
    dir: Option<&Path>,
    theme_arg: Option<&str>,
    keymap_arg: Option<&str>,
    no_color: bool,
) -> LoadedConfig {
    let mut issues = Vec::new();
    let mut read = |file: &str| -> Option<(PathBuf, String)> {
        let path = dir?.join(file);
        match paths::read_optional(&path) {
            Ok(text) => text.map(|t| (path, t)),
            Err(issue) => {
                issues.push(issue);
                None
            }
        }
    };
    let settings_file = read(paths::CONFIG_FILE);
    let keymap_file = read(paths::KEYMAP_FILE);
    let theme_file = read(paths::THEME_FILE);

    let settings = match &settings_file {
        Some((path, text)) => {
            let (settings, found) = Settings::load(path, text);
            issues.extend(found);
            settings
        }
        None => Settings::default(),
    };

    // A relative file named in config.toml is relative to config.toml.
    let from_settings = |value: &Option<String>| -> Option<String> {
        let value = value.as_ref()?;
        match dir {
            Some(dir) if Path::new(value).is_relative() && keymap::looks_like_path(value) => {
                Some(dir.join(value).display().to_string())
            }
            _ => Some(value.clone()),
        }
    };
    let keymap_setting = from_settings(&settings.keymap);
    let theme_setting = from_settings(&settings.theme);

    let keymap_user = keymap_file
        .as_ref()
        .map(|(path, text)| (path.display().to_string(), text.as_str()));
    let (keymap, found) = Keymap::load_named(
        keymap_arg.or(keymap_setting.as_deref()),
        keymap_user
            .as_ref()
            .map(|(name, text)| (name.as_str(), *text)),
    );
    issues.extend(found);

    let (theme, found) = Theme::load(
        theme_arg.or(theme_setting.as_deref()),
        theme_file
            .as_ref()
            .map(|(path, text)| (path.as_path(), text.as_str())),
        no_color,
    );
    issues.extend(found);

    LoadedConfig {
        settings,
        keymap,
        theme,
        issues,
    }
}
