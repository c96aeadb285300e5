//! The console's flag source as `update` sees it: flags that arrive before their release,
//! `--flags` files reloaded as they change, and the queue's flag badge.

mod common;

use common::demo::live_state_at;
use ripcord::app::{update, Msg, State};
use ripcord::flags::FlagSet;
use ripcord::model::objects::{object_from_json, Change};
use ripcord::model::{Flags, Kind, ReleaseKey};

const CTX: &str = "prod";

fn web() -> ReleaseKey {
    ReleaseKey {
        context: CTX.into(),
        namespace: "shop".into(),
        kind: Kind::Deployment,
        name: "web".into(),
    }
}

fn flags(states: &[(&str, &str)]) -> Flags {
    let body: Vec<String> = states
        .iter()
        .map(|(k, s)| {
            format!(
                r#""{k}": {{"state": "{s}", "variants": {{"on": true}}, "defaultVariant": "on"}}"#
            )
        })
        .collect();
    let set = FlagSet::parse("t.json", &format!(r#"{{"flags": {{{}}}}}"#, body.join(",")))
        .expect("flags");
    Flags {
        flags: set.flags.into_values().collect(),
        warnings: Vec::new(),
    }
}

fn deployment_arrives(state: &mut State) {
    let web = object_from_json(&serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "web", "namespace": "shop", "uid": "w-1" },
        "spec": { "replicas": 1, "selector": { "matchLabels": { "app": "web" } },
                  "template": { "metadata": { "labels": { "app": "web" } },
                                "spec": { "containers": [{ "name": "c", "image": "w:1" }] } } }
    }))
    .expect("a deployment");
    update(
        state,
        Msg::Cluster {
            context: CTX.into(),
            changes: vec![Change::Applied(web)],
        },
    );
}

#[test]
fn flags_told_before_their_release_arrives_are_shown_when_it_does() {
    let mut state = live_state_at(chrono::Utc::now());
    // The flag source heard of the Deployment before the release watch did.
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: flags(&[("dark-mode", "ENABLED")]),
        },
    );
    assert!(state.flags.is_empty(), "only shown releases hold flags");
    deployment_arrives(&mut state);
    assert!(state.releases.contains_key(&web()));
    assert_eq!(state.flags_of(&web()), &flags(&[("dark-mode", "ENABLED")]));
    assert!(state.flags_waiting.is_empty());

    // Flags that went again before their release came are not kept.
    let other = ReleaseKey {
        name: "api".into(),
        ..web()
    };
    update(
        &mut state,
        Msg::Flags {
            key: other.clone(),
            flags: flags(&[("x", "ENABLED")]),
        },
    );
    update(
        &mut state,
        Msg::Flags {
            key: other,
            flags: Flags::default(),
        },
    );
    assert!(state.flags_waiting.is_empty());
}

mod files {
    use super::*;
    use ripcord::flags::cluster::ConfigMapSource;
    use ripcord::flags::live::{Annotated, Entry, Input, ObjKey, SourceKind};
    use ripcord::flags::watch::FlagSource;
    use std::time::Duration;
    use tokio::sync::mpsc;

    const FLAG: &str = r#"{
  "flags": {
    "dark-mode": {"state": "STATE", "variants": {"on": true, "off": false}, "defaultVariant": "on"}
  }
}"#;

    /// The next message, or a panic naming what was awaited.
    async fn next(rx: &mut mpsc::Receiver<Msg>, what: &str) -> Msg {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(msg)) => msg,
            other => panic!("waiting for {what}: {other:?}"),
        }
    }

    fn state_of(msg: &Msg) -> Option<String> {
        match msg {
            Msg::Flags { key, flags } if key == &web() => {
                Some(flags.flags.iter().map(|f| f.state.as_str()).collect())
            }
            _ => None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flags_file_is_read_again_when_it_changes_and_a_broken_edit_keeps_the_last_good() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("flags.json");
        std::fs::write(&path, FLAG.replace("STATE", "ENABLED")).expect("write");
        let (tx, mut rx) = mpsc::channel(64);
        let source = FlagSource::start(ConfigMapSource::default(), Duration::from_secs(60), tx);
        // A Deployment whose pod template names the file's flag key.
        source
            .input()
            .send(Input::Applied {
                context: CTX.into(),
                key: ObjKey {
                    kind: SourceKind::Deployment,
                    namespace: "shop".into(),
                    name: "web".into(),
                },
                entry: Entry::Deployment {
                    links: Annotated {
                        flag_sources: vec![],
                        names: vec!["dark-mode".into()],
                    },
                    canary_of: None,
                },
            })
            .await
            .expect("sent");
        ripcord::flags::files::spawn(std::slice::from_ref(&path), source.input())
            .expect("watching");
        let first = next(&mut rx, "the file's flags").await;
        assert_eq!(state_of(&first).as_deref(), Some("ENABLED"), "{first:?}");

        // Rewritten in place.
        std::fs::write(&path, FLAG.replace("STATE", "DISABLED")).expect("write");
        let msg = next(&mut rx, "the rewrite").await;
        assert_eq!(state_of(&msg).as_deref(), Some("DISABLED"), "{msg:?}");

        // Broken: the error names the file, line and column, and nothing else is sent.
        std::fs::write(&path, FLAG.replace("\"STATE\"", "DISABLED")).expect("write");
        let msg = next(&mut rx, "the error").await;
        let Msg::Problem(text) = &msg else {
            panic!("expected the error, got {msg:?}")
        };
        let at = format!("{}:3:", path.display());
        assert!(text.contains(&at), "{text}");
        assert!(text.contains("the last good flags stay"), "{text}");
        assert_eq!(
            text.matches("line").count(),
            0,
            "the position is said once: {text}"
        );

        // Fixed the way editors save: a new file renamed over the old one.
        let new = dir.path().join(".flags.json.swp");
        std::fs::write(&new, FLAG.replace("STATE", "ENABLED")).expect("write");
        std::fs::rename(&new, &path).expect("rename");
        let msg = next(&mut rx, "the fix").await;
        assert_eq!(state_of(&msg).as_deref(), Some("ENABLED"), "{msg:?}");
    }
}

/// The queue row of `name`, as drawn.
fn queue_row(state: &State, name: &str) -> String {
    common::demo::rendered(state)
        .into_iter()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| {
            panic!(
                "no row for {name}:\n{}",
                common::demo::rendered(state).join("\n")
            )
        })
}

#[test]
fn the_queue_badge_counts_flags_and_marks_a_recent_change() {
    let start = chrono::Utc::now();
    let mut state = live_state_at(start);
    update(
        &mut state,
        Msg::Resize {
            width: 120,
            height: 24,
        },
    );
    deployment_arrives(&mut state);
    // A second release, selected, so that `web`'s row is drawn in its own colours.
    update(
        &mut state,
        Msg::Cluster {
            context: CTX.into(),
            changes: vec![Change::Applied(
                object_from_json(&serde_json::json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": { "name": "aaa", "namespace": "shop", "uid": "a-1" },
                    "spec": { "replicas": 1, "selector": { "matchLabels": { "app": "a" } },
                              "template": { "metadata": { "labels": { "app": "a" } },
                                            "spec": { "containers": [{ "name": "c", "image": "a:1" }] } } }
                }))
                .expect("a deployment"),
            )],
        },
    );
    let two = flags(&[("a", "ENABLED"), ("b", "ENABLED")]);
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: two.clone(),
        },
    );
    // The first word is no change.
    let row = queue_row(&state, "web");
    assert!(row.contains("web ⚑2 "), "{row}");
    assert!(!state.flags_changed_recently(&web()));

    let tick = |state: &mut State, secs: i64| {
        update(state, Msg::Tick(start + chrono::Duration::seconds(secs)));
    };
    tick(&mut state, 10);
    // The same set again is no change either.
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: two,
        },
    );
    assert!(!state.flags_changed_recently(&web()));
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: flags(&[("a", "DISABLED"), ("b", "ENABLED")]),
        },
    );
    let row = queue_row(&state, "web");
    assert!(row.contains("web ⚑2*"), "{row}");
    // In the warning colour.
    let backend = ratatui::backend::TestBackend::new(120, 24);
    let mut terminal = ratatui::Terminal::new(backend).expect("terminal");
    let theme = ripcord::config::theme::Theme::default();
    terminal
        .draw(|f| ripcord::ui::render(f, &state, &theme))
        .expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let lines = common::demo::buffer_lines(&buffer);
    let y = lines
        .iter()
        .position(|l| l.contains("web ⚑2*"))
        .expect("the row");
    let x = lines[y].chars().position(|c| c == '⚑').expect("the flag") as u16;
    let warning = theme.style(ripcord::config::theme::Slot::Warning);
    assert_eq!(buffer[(x, y as u16)].fg, warning.fg.expect("a colour"));

    // Still marked a few minutes on; gone after, and that is drawn.
    tick(&mut state, 200);
    assert!(queue_row(&state, "web").contains("⚑2*"));
    state.dirty = false;
    tick(&mut state, 10 + ripcord::app::FLAG_CHANGE_MARK_SECS);
    assert!(state.dirty, "the mark running out is redrawn");
    let row = queue_row(&state, "web");
    assert!(row.contains("web ⚑2 ") && !row.contains('*'), "{row}");
}

/// A flag that only moved in its source (another line) is no change to mark.
#[test]
fn a_flag_that_only_moved_is_not_a_change() {
    let mut state = live_state_at(chrono::Utc::now());
    deployment_arrives(&mut state);
    let before = flags(&[("a", "ENABLED")]);
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: before.clone(),
        },
    );
    let mut moved = before;
    moved.flags[0].line += 7;
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: moved,
        },
    );
    assert!(!state.flags_changed_recently(&web()));
}

/// Flipping one flag in the demo marks only the releases that flag belongs to.
#[test]
fn a_flip_marks_only_the_releases_whose_flags_changed() {
    use common::demo::{demo_state, press, press_code, select, type_text};
    use crossterm::event::KeyCode;
    use ripcord::app::Effect;
    let (mut world, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    let mut effects = press(&mut state, 'x');
    while let Some(effect) = effects.pop() {
        match effect {
            Effect::FlagPrepare(request) => {
                assert_eq!(request.flag, "checkout.one-click");
                let result = world.flag_prepare(&request);
                update(&mut state, Msg::FlagPrepared { request, result });
                type_text(&mut state, "kill switch");
                press_code(&mut state, KeyCode::Enter);
                update(
                    &mut state,
                    Msg::Drawn {
                        width: 80,
                        height: 24,
                        extents: Default::default(),
                    },
                );
                effects.extend(press(&mut state, 'y'));
            }
            Effect::FlagWrite { request, version } => {
                let written = world.flag_write(&request, &version);
                update(&mut state, Msg::FlagWritten { request, written });
            }
            _ => {}
        }
    }
    for msg in ripcord::sim::driver::pending(&mut world) {
        update(&mut state, msg);
    }
    let marked: Vec<String> = state
        .releases
        .keys()
        .filter(|k| state.flags_changed_recently(k))
        .map(|k| k.name.clone())
        .collect();
    assert_eq!(marked, ["checkout"]);
    // Releases with flags of their own that did not change are there, unmarked.
    let unmarked: Vec<&ReleaseKey> = state
        .flags
        .iter()
        .filter(|(k, f)| !f.flags.is_empty() && k.name != "checkout")
        .map(|(k, _)| k)
        .collect();
    assert!(unmarked.len() >= 2, "{unmarked:?}");
}

/// A key defined by two sources for a release is a warning in its flags tab naming both.
#[test]
fn the_flags_tab_warns_of_a_key_defined_twice() {
    let mut state = live_state_at(chrono::Utc::now());
    update(
        &mut state,
        Msg::Resize {
            width: 120,
            height: 30,
        },
    );
    deployment_arrives(&mut state);
    let mut two = flags(&[("a", "ENABLED")]);
    two.warnings = vec![
        "a is defined in flags.json and in featureflag/shop/ff; featureflag/shop/ff's is used"
            .into(),
    ];
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: two,
        },
    );
    common::demo::select(&mut state, "web");
    common::demo::press_code(&mut state, crossterm::event::KeyCode::Enter);
    common::demo::press(&mut state, '4');
    let shown = common::demo::rendered(&state).join("\n");
    assert!(
        shown.contains("⚠ a is defined in flags.json and in featureflag/shop/ff"),
        "{shown}"
    );
}
