//! The console's hot paths at the testbed's scale (10,000 pods, 1,000 Deployments, 900
//! releases; see `ripcord_testkit::scale`): building the queue from the initial lists,
//! filtering and sorting it, folding in watch events, and drawing a 200x50 frame.
//! bench/CRITERION.md says how to run and read it.
//!
//! State changes go through `ripcord::app::update`, as the watchers, timers and keyboard do.
//! Fixtures are built inside each benchmark, so a filtered run only builds what it measures.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::buffer::{Buffer, Cell};
use ratatui::{Terminal, TerminalOptions, Viewport};
use ripcord::app::{update, Mode, Msg, SortMode, State};
use ripcord::cluster::watched::{Watchable, WatchedObject};
use ripcord::config::keymap::Keymap;
use ripcord::config::theme::Theme;
use ripcord::config::Settings;
use ripcord::model::derive::derive_namespace;
use ripcord::model::objects::{object_from_json, Change, Object, ObjectKind};
use ripcord::model::ConnState;
use ripcord_testkit::scale::{self, ScaleSpec};
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
/// Churn events per measured iteration.
const EVENTS: usize = 1_000;

fn spec() -> ScaleSpec {
    ScaleSpec::testbed()
}

/// The initial lists, parsed once per run.
fn resets() -> &'static [Change] {
    static RESETS: OnceLock<Vec<Change>> = OnceLock::new();
    RESETS.get_or_init(|| scale::resets(&spec()))
}

fn fresh_state() -> State {
    let mut state = State::new(
        Mode::Live,
        Keymap::default_keymap(),
        Settings::default(),
        false,
        scale::now(),
    );
    update(
        &mut state,
        Msg::Resize {
            width: WIDTH,
            height: HEIGHT,
        },
    );
    update(
        &mut state,
        Msg::Connection {
            context: scale::CONTEXT.into(),
            state: ConnState::Synced,
        },
    );
    state
}

/// Folds the initial lists in as the watchers deliver them: one message per watched kind.
fn apply_lists(state: &mut State, resets: Vec<Change>) {
    for change in resets {
        update(
            state,
            Msg::Cluster {
                context: scale::CONTEXT.into(),
                changes: vec![change],
            },
        );
    }
}

/// A console that has synced the whole fixture. Criterion calls a benchmark's closure once
/// per sample, so the state is built once and cloned.
fn populated() -> State {
    static POPULATED: OnceLock<State> = OnceLock::new();
    POPULATED
        .get_or_init(|| {
            let mut state = fresh_state();
            apply_lists(&mut state, resets().to_vec());
            assert_eq!(state.releases.len(), spec().releases());
            assert_eq!(state.rows.len(), spec().releases());
            state
        })
        .clone()
}

fn churn() -> &'static [Change] {
    static CHURN: OnceLock<Vec<Change>> = OnceLock::new();
    CHURN.get_or_init(|| scale::churn(&spec(), EVENTS, 42))
}

fn key(state: &mut State, code: KeyCode) {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn build_queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("build_queue");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));

    // What the watchers spend turning list items into rows before the console sees them.
    group.throughput(Throughput::Elements(
        (spec().pods() + 2 * spec().deployments()) as u64,
    ));
    let objects_once = std::cell::OnceCell::new();
    let objects = || objects_once.get_or_init(|| scale::objects(&spec()));
    // The watchers' path: each list item's JSON text straight into its row.
    let texts_once = std::cell::OnceCell::new();
    group.bench_function("parse_12k_objects", |b| {
        let texts: &Vec<(ObjectKind, String)> = texts_once.get_or_init(|| {
            objects()
                .iter()
                .map(|v| {
                    let kind = object_from_json(v).expect("fixture object").kind();
                    (kind, v.to_string())
                })
                .collect()
        });
        b.iter(|| {
            for (kind, text) in texts {
                let watched: WatchedObject = serde_json::from_str(text).expect("JSON");
                black_box(watched.into_row(*kind).ok());
            }
        })
    });
    // The simulator's path: from a JSON tree already built.
    group.bench_function("parse_12k_objects_from_json_trees", |b| {
        let objects = objects();
        b.iter(|| {
            for v in objects {
                black_box(object_from_json(v).ok());
            }
        })
    });

    group.throughput(Throughput::Elements(spec().pods() as u64));
    group.bench_function("initial_lists_10k_pods", |b| {
        b.iter_batched(
            || (fresh_state(), resets().to_vec()),
            |(mut state, resets)| {
                apply_lists(&mut state, resets);
                state
            },
            BatchSize::PerIteration,
        )
    });

    // What one pod event costs in derive alone: a namespace is derived again whole.
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(
        (spec().pods() / spec().namespaces) as u64,
    ));
    group.bench_function("derive_one_namespace_500_pods", |b| {
        let state = populated();
        let cache = &state.clusters[scale::CONTEXT].cache;
        let ns = scale::namespace(0);
        let rows = &cache.namespaces[&ns];
        b.iter(|| black_box(derive_namespace(scale::CONTEXT, &ns, rows)))
    });
    group.finish();
}

fn filter_and_sort(c: &mut Criterion) {
    let mut group = c.benchmark_group("queue_900_releases");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(3));

    // `/`, eight characters (a rebuild each), then Esc (one more): the state ends as it began.
    group.bench_function("type_filter_8_chars_then_esc", |b| {
        let mut state = populated();
        b.iter(|| {
            key(&mut state, KeyCode::Char('/'));
            for ch in "checkout".chars() {
                key(&mut state, KeyCode::Char(ch));
            }
            key(&mut state, KeyCode::Esc);
        });
        assert!(state.filter.is_empty() && state.rows.len() == spec().releases());
    });

    // `o` moves to the next sort order and rebuilds the queue once.
    for (from, to) in [
        (SortMode::Age, "attention"),
        (SortMode::Attention, "name"),
        (SortMode::Name, "age"),
    ] {
        group.bench_function(format!("sort_by_{to}"), |b| {
            let mut state = populated();
            b.iter(|| {
                state.sort = from;
                key(&mut state, KeyCode::Char('o'));
            })
        });
    }

    // The once-a-second clock message: it compares every release's age for a redraw.
    group.bench_function("clock_tick", |b| {
        let mut state = populated();
        let mut now = scale::now();
        b.iter(|| {
            now += chrono::Duration::seconds(1);
            update(&mut state, Msg::Tick(now));
        })
    });
    group.finish();
}

fn watch_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("watch_1k_pod_events");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(6));
    group.throughput(Throughput::Elements(EVENTS as u64));
    // 1 is an event at a time on a quiet cluster; 256 is the watcher's largest batch.
    for batch in [1, 64, 256] {
        group.bench_function(format!("batch_{batch}"), |b| {
            let mut state = populated();
            b.iter_batched(
                || churn().to_vec(),
                |changes| {
                    for chunk in changes.chunks(batch) {
                        update(
                            &mut state,
                            Msg::Cluster {
                                context: scale::CONTEXT.into(),
                                changes: chunk.to_vec(),
                            },
                        );
                    }
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Draws `state` into the terminal's current buffer, without the terminal's own diff.
fn render_into(terminal: &mut Terminal<TestBackend>, state: &State, theme: &Theme) {
    terminal.current_buffer_mut().reset();
    let mut frame = terminal.get_frame();
    ripcord::ui::render(&mut frame, state, theme);
}

/// Bytes crossterm would write to show `cells`: cursor moves, colours and text.
fn terminal_bytes<'a>(cells: impl Iterator<Item = (u16, u16, &'a Cell)>) -> usize {
    let mut out = Vec::new();
    let mut backend = CrosstermBackend::new(&mut out);
    backend.draw(cells).expect("draw to memory");
    Backend::flush(&mut backend).expect("flush to memory");
    out.len()
}

/// Two frames of the home view in name order, before and after one release on screen loses
/// a pod: (state after, frame before, frame after). Built once; reports the diff when built.
fn one_row_change() -> &'static (State, Buffer, Buffer) {
    static CHANGE: OnceLock<(State, Buffer, Buffer)> = OnceLock::new();
    CHANGE.get_or_init(|| {
        let (after, before, now) = build_one_row_change(&Theme::default());
        report_diff(&before, &now);
        (after, before, now)
    })
}

fn build_one_row_change(theme: &Theme) -> (State, Buffer, Buffer) {
    let mut before = populated();
    // Name order keeps a changed release on its row; the attention sort would move it up.
    key(&mut before, KeyCode::Char('o'));
    assert_eq!(before.sort, SortMode::Name);
    let target = before.rows[20].clone();
    let mut after = before.clone();
    let changes = scale::unready_one(&spec(), &target.namespace, &target.name);
    assert!(!changes.is_empty(), "{target} has no Deployment");
    update(
        &mut after,
        Msg::Cluster {
            context: scale::CONTEXT.into(),
            changes,
        },
    );
    assert_eq!(after.rows, before.rows);

    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
    render_into(&mut terminal, &before, theme);
    let frame_before = terminal.current_buffer_mut().clone();
    render_into(&mut terminal, &after, theme);
    let frame_after = terminal.current_buffer_mut().clone();
    (after, frame_before, frame_after)
}

/// Prints, outside any timing, what the terminal is sent for the change and for a full paint.
fn report_diff(before: &Buffer, after: &Buffer) {
    let diff = before.diff(after);
    let rows: std::collections::BTreeSet<u16> = diff.iter().map(|(_, y, _)| *y).collect();
    let full = Buffer::empty(before.area).diff(before);
    println!(
        "frame diff after a one-row change: {} cells on {} row(s), {} bytes to the terminal; \
         a full {WIDTH}x{HEIGHT} paint: {} cells, {} bytes",
        diff.len(),
        rows.len(),
        terminal_bytes(diff.iter().map(|(x, y, c)| (*x, *y, *c))),
        full.len(),
        terminal_bytes(full.iter().map(|(x, y, c)| (*x, *y, *c))),
    );
}

/// Prints the distribution of single-frame costs, which criterion's per-sample means hide:
/// 2,000 draws of the home view encoded by crossterm (into a sink), the selection moving each
/// time so every frame has a diff to encode, each draw timed on its own.
fn report_frame_costs(theme: &Theme) {
    let mut state = populated();
    let viewport = Viewport::Fixed(ratatui::layout::Rect::new(0, 0, WIDTH, HEIGHT));
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        TerminalOptions { viewport },
    )
    .expect("terminal");
    let mut costs = Vec::with_capacity(2000);
    for i in 0..2000 {
        key(
            &mut state,
            KeyCode::Char(if i % 40 < 20 { 'j' } else { 'k' }),
        );
        let start = std::time::Instant::now();
        terminal
            .draw(|f| ripcord::ui::render(f, &state, theme))
            .expect("draw");
        costs.push(start.elapsed());
    }
    costs.sort();
    let at = |q: f64| costs[((costs.len() - 1) as f64 * q) as usize];
    println!(
        "single {WIDTH}x{HEIGHT} frames (render, diff, encode), 2000 draws: p50 {:?}, p99 {:?}, max {:?}",
        at(0.5),
        at(0.99),
        costs[costs.len() - 1]
    );
}

fn render(c: &mut Criterion) {
    let theme = Theme::default();
    report_frame_costs(&theme);
    let mut group = c.benchmark_group("render_200x50");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(3));

    group.bench_function("home_terminal_draw", |b| {
        let state = populated();
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
        b.iter(|| {
            terminal
                .draw(|f| ripcord::ui::render(f, &state, &theme))
                .map(|_| ())
                .expect("draw")
        })
    });
    group.bench_function("home_frame_only", |b| {
        let state = populated();
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
        b.iter(|| render_into(&mut terminal, &state, &theme))
    });

    group.bench_function("one_row_change_render_and_diff", |b| {
        let (after, frame_before, _) = one_row_change();
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
        b.iter(|| {
            render_into(&mut terminal, after, &theme);
            black_box(frame_before.diff(terminal.current_buffer_mut()).len())
        })
    });
    group.bench_function("one_row_change_diff_only", |b| {
        let (_, frame_before, frame_after) = one_row_change();
        b.iter(|| black_box(frame_before.diff(frame_after).len()))
    });
    group.bench_function("one_row_change_diff_and_encode", |b| {
        let (_, frame_before, frame_after) = one_row_change();
        b.iter(|| black_box(terminal_bytes(frame_before.diff(frame_after).into_iter())))
    });
    group.finish();
}

/// Not a benchmark: checks, before anything is measured, that the fixture is the one the
/// figures describe. Every object parses and is unique: 10,000 pods, 1,000 Deployments and
/// ReplicaSets, 100 canaries. Too slow for `cargo test`, so it runs here, on every bench run.
fn fixture_is_the_testbeds(_: &mut Criterion) {
    let spec = spec();
    assert_eq!(spec.pods(), 10_000);
    assert_eq!(spec.deployments(), 1_000);
    assert_eq!(spec.releases(), 900);
    let mut kinds: HashMap<ObjectKind, usize> = HashMap::new();
    let mut refs = HashSet::new();
    let mut canaries = 0;
    for change in scale::changes(&spec) {
        let Change::Applied(object) = change else {
            panic!("{change:?}");
        };
        *kinds.entry(object.kind()).or_default() += 1;
        if let Object::Deployment(d) = &object {
            canaries += usize::from(d.canary_of.is_some());
        }
        assert!(refs.insert(object.object_ref()), "{}", object.object_ref());
    }
    assert_eq!(kinds[&ObjectKind::Pod], 10_000);
    assert_eq!(kinds[&ObjectKind::Deployment], 1_000);
    assert_eq!(kinds[&ObjectKind::ReplicaSet], 1_000);
    assert_eq!(kinds.len(), 3);
    assert_eq!(canaries, 100);
    eprintln!("fixture: 10,000 pods, 1,000 Deployments and ReplicaSets, 100 canaries; all parse");
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = fixture_is_the_testbeds, build_queue, filter_and_sort, watch_events, render
}
criterion_main!(benches);
