//! Where ripcord keeps its files. The platform directories can be moved with
//! `RIPCORD_CONFIG_DIR` and `RIPCORD_DATA_DIR` (tests and portable setups).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::issues::ConfigIssue;

pub const CONFIG_DIR_ENV: &str = "RIPCORD_CONFIG_DIR";
pub const DATA_DIR_ENV: &str = "RIPCORD_DATA_DIR";

pub const CONFIG_FILE: &str = "config.toml";
pub const KEYMAP_FILE: &str = "keymap.toml";
pub const THEME_FILE: &str = "theme.toml";
/// The analysis config `analyze` and `gate` read when none is named.
pub const ANALYSIS_FILE: &str = "analysis.toml";

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "ripcord", "ripcord")
}

/// The config directory: `$RIPCORD_CONFIG_DIR`, else the platform's
/// (`~/.config/ripcord` on Linux). `None` when there is no home directory.
pub fn config_dir() -> Option<PathBuf> {
    dir_from_env(std::env::var_os(CONFIG_DIR_ENV), || {
        project_dirs().map(|d| d.config_dir().to_path_buf())
    })
}

/// The data directory (journal and the like): `$RIPCORD_DATA_DIR`, else the
/// platform's (`~/.local/share/ripcord` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    dir_from_env(std::env::var_os(DATA_DIR_ENV), || {
        project_dirs().map(|d| d.data_dir().to_path_buf())
    })
}

/// The override rule, with the variable's value passed in: set and
/// non-empty wins, otherwise the fallback.
pub fn dir_from_env(
    value: Option<OsString>,
    fallback: impl FnOnce() -> Option<PathBuf>,
) -> Option<PathBuf> {
    match value {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => fallback(),
    }
}

pub fn config_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(CONFIG_FILE))
}

pub fn keymap_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(KEYMAP_FILE))
}

pub fn theme_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(THEME_FILE))
}

/// A user file that may be absent: absent is `Ok(None)`, any other failure
/// (permissions, not UTF-8, a directory) is an issue.
pub fn read_optional(path: &Path) -> Result<Option<String>, ConfigIssue> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigIssue::new(
            path.display().to_string(),
            format!("cannot read file: {e}"),
            "a readable UTF-8 file",
        )),
    }
}
