//! `--flags FILE` in the console: each file read at start and again whenever it changes
//! (inotify through `notify`, watching the file's directory so that editors that write a
//! new file and rename it over the old one are seen too). A broken edit keeps the last
//! good flags and says what is wrong, as `file:line:col`.

use super::live::Input;
use super::FlagSet;
use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// Editors write in several steps: changes this close together are read once.
const SETTLE: Duration = Duration::from_millis(50);
/// A file caught half-written (emptied, not yet written) reads as broken: it is read once
/// more this much later before it is called broken.
const RECHECK: Duration = Duration::from_millis(250);

/// Why the files cannot be watched.
#[derive(Debug, thiserror::Error)]
#[error("--flags {path}: {message}")]
pub struct WatchError {
    pub path: String,
    pub message: String,
}

/// One file: where it is, and what was last said of it.
struct Watched {
    /// As the user gave it: errors name it so.
    name: String,
    dir: PathBuf,
    file_name: std::ffi::OsString,
    last_good: Option<FlagSet>,
    last_error: Option<String>,
}

impl Watched {
    fn load(&self) -> Result<FlagSet, String> {
        std::fs::read_to_string(self.dir.join(&self.file_name))
            .map_err(|e| format!("{}: {e}", self.name))
            .and_then(|text| FlagSet::parse(&self.name, &text).map_err(|e| e.to_string()))
    }

    /// Reads the file again: its flags when they load and changed, else the problem once.
    async fn reload(&mut self, index: usize) -> Option<Input> {
        let mut loaded = self.load();
        if loaded.is_err() {
            tokio::time::sleep(RECHECK).await;
            loaded = self.load();
        }
        match loaded {
            Ok(set) => {
                self.last_error = None;
                if self.last_good.as_ref() == Some(&set) {
                    return None;
                }
                self.last_good = Some(set.clone());
                Some(Input::File { index, set })
            }
            Err(e) if self.last_error.as_ref() == Some(&e) => None,
            Err(e) => {
                self.last_error = Some(e.clone());
                let kept = if self.last_good.is_some() {
                    " (the last good flags stay)"
                } else {
                    ""
                };
                Some(Input::Problem(format!("flags: {e}{kept}")))
            }
        }
    }
}

/// Reads `files` and keeps reading them as they change, telling `input`. Fails at once
/// when a file's directory cannot be watched.
pub fn spawn(files: &[PathBuf], input: mpsc::Sender<Input>) -> Result<(), WatchError> {
    let mut watched = Vec::with_capacity(files.len());
    for path in files {
        let name = path.display().to_string();
        let fail = |message: String| WatchError {
            path: name.clone(),
            message,
        };
        let file_name = path
            .file_name()
            .ok_or_else(|| fail("not a file".into()))?
            .to_owned();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = parent
            .canonicalize()
            .map_err(|e| fail(format!("{}: {e}", parent.display())))?;
        watched.push(Watched {
            name,
            dir,
            file_name,
            last_good: None,
            last_error: None,
        });
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            for path in event.paths {
                let _ = tx.send(path);
            }
        }
    })
    .map_err(|e| WatchError {
        path: files
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        message: e.to_string(),
    })?;
    let mut dirs: Vec<&PathBuf> = watched.iter().map(|w| &w.dir).collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| WatchError {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
    }
    tokio::spawn(async move {
        // The watcher lives as long as this task.
        let _watcher = watcher;
        for (index, w) in watched.iter_mut().enumerate() {
            if let Some(news) = w.reload(index).await {
                if input.send(news).await.is_err() {
                    return;
                }
            }
        }
        while let Some(first) = rx.recv().await {
            let mut changed = vec![first];
            tokio::time::sleep(SETTLE).await;
            while let Ok(path) = rx.try_recv() {
                changed.push(path);
            }
            for (index, w) in watched.iter_mut().enumerate() {
                let hit = changed.iter().any(|p| {
                    p.file_name() == Some(w.file_name.as_os_str())
                        && p.parent() == Some(w.dir.as_path())
                });
                if !hit {
                    continue;
                }
                if let Some(news) = w.reload(index).await {
                    if input.send(news).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    Ok(())
}
