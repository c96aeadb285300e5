//! The console's hot paths at the testbed's scale (10,000 pods, 1,000 Deployments):
//! building the queue from the initial lists, filtering and sorting it, folding in watch
//! events, and drawing a 200x50 frame. See bench/CRITERION.md for how to run and read it.
//!
//! Everything goes through `ripcord::app::update`, as the watchers, timers and keyboard do.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use ripcord::app::{update, ConnState, Mode, Msg, SortMode, State};
use ripcord::config::keymap::Keymap;
use ripcord::config::theme::Theme;
use ripcord::config::Settings;
use ripcord::model::objects::{object_from_json, Change};
use ripcord::sim::scale::{self, ScaleSpec};
use std::hint::black_box;
use std::time::Duration;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
/// Churn events per measured iteration.
const EVENTS: usize = 1_000;

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

fn populated(spec: &ScaleSpec) -> State {
    let mut state = fresh_state();
    apply_lists(&mut state, scale::resets(spec));
    assert_eq!(state.releases.len(), spec.releases());
    assert_eq!(state.rows.len(), spec.releases());
    state
}

fn key(state: &mut State, code: KeyCode) {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn parse_and_build(c: &mut Criterion) {
    let spec = ScaleSpec::testbed();
    let mut group = c.benchmark_group("build_queue");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));

    // What the watchers spend turning list items into rows before the console sees them.
    let objects = scale::objects(&spec);
    group.throughput(Throughput::Elements(objects.len() as u64));
    group.bench_function("parse_12k_objects", |b| {
        b.iter(|| {
            for v in &objects {
                black_box(object_from_json(v).ok());
            }
        })
    });
    drop(objects);

    let resets = scale::resets(&spec);
    group.throughput(Throughput::Elements(spec.pods() as u64));
    group.bench_function("initial_lists_10k_pods", |b| {
        b.iter_batched(
            || (fresh_state(), resets.clone()),
            |(mut state, resets)| {
                apply_lists(&mut state, resets);
                state
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn filter_and_sort(c: &mut Criterion) {
    let spec = ScaleSpec::testbed();
    let mut state = populated(&spec);
    let mut group = c.benchmark_group("queue_1k_releases");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(3));

    // `/`, eight characters (one rebuild each), then Esc (one more): the state ends as it began.
    group.bench_function("type_filter_8_chars_then_esc", |b| {
        b.iter(|| {
            key(&mut state, KeyCode::Char('/'));
            for ch in "checkout".chars() {
                key(&mut state, KeyCode::Char(ch));
            }
            key(&mut state, KeyCode::Esc);
        })
    });
    assert!(state.filter.is_empty() && state.rows.len() == spec.releases());

    // `o` moves to the next sort and rebuilds the queue once.
    for (from, to) in [
        (SortMode::Age, "attention"),
        (SortMode::Attention, "name"),
        (SortMode::Name, "age"),
    ] {
        group.bench_function(format!("sort_by_{to}"), |b| {
            b.iter(|| {
                state.sort = from;
                key(&mut state, KeyCode::Char('o'));
            })
        });
    }

    // The once-a-second clock message: it checks every release's age for a redraw.
    group.bench_function("clock_tick", |b| {
        let mut now = scale::now();
        b.iter(|| {
            now += chrono::Duration::seconds(1);
            update(&mut state, Msg::Tick(now));
        })
    });
    group.finish();
}

fn watch_events(c: &mut Criterion) {
    let spec = ScaleSpec::testbed();
    let mut state = populated(&spec);
    let churn = scale::churn(&spec, EVENTS, 42);
    let mut group = c.benchmark_group("watch_1k_pod_events");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(6));
    group.throughput(Throughput::Elements(EVENTS as u64));
    // 1 is an event at a time on a quiet cluster; 256 is the watcher's largest batch.
    for batch in [1, 64, 256] {
        group.bench_function(format!("batch_{batch}"), |b| {
            b.iter_batched(
                || churn.clone(),
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

/// Draws `state` into the terminal's current buffer without the terminal's own diff.
fn render_into(terminal: &mut Terminal<TestBackend>, state: &State, theme: &Theme) {
    terminal.current_buffer_mut().reset();
    let mut frame = terminal.get_frame();
    ripcord::ui::render(&mut frame, state, theme);
}

/// Bytes crossterm would write to show `cells`, moves and colours included.
fn terminal_bytes<'a>(cells: impl Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>) -> usize {
    let mut out = Vec::new();
    let mut backend = CrosstermBackend::new(&mut out);
    backend.draw(cells).expect("draw to memory");
    Backend::flush(&mut backend).expect("flush to memory");
    out.len()
}

fn render(c: &mut Criterion) {
    let spec = ScaleSpec::testbed();
    let theme = Theme::default();
    let mut before = populated(&spec);
    // Name order keeps a changed release on its row; the attention sort would move it to the top.
    key(&mut before, KeyCode::Char('o'));
    assert_eq!(before.sort, SortMode::Name);
    let mut after = before.clone();
    // api-gateway-12 in team-00: the 21st row in name order, on screen.
    update(
        &mut after,
        Msg::Cluster {
            context: scale::CONTEXT.into(),
            changes: scale::unready_one(&spec, 0, 12),
        },
    );

    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
    render_into(&mut terminal, &before, &theme);
    let frame_before: Buffer = terminal.current_buffer_mut().clone();
    render_into(&mut terminal, &after, &theme);
    let frame_after: Buffer = terminal.current_buffer_mut().clone();
    let diff = frame_before.diff(&frame_after);
    let rows: std::collections::BTreeSet<u16> = diff.iter().map(|(_, y, _)| *y).collect();
    let empty = Buffer::empty(frame_before.area);
    println!(
        "frame diff after a one-row change: {} cells on {} row(s), {} bytes to the terminal \
         (a full {WIDTH}x{HEIGHT} paint is {} cells, {} bytes)",
        diff.len(),
        rows.len(),
        terminal_bytes(diff.iter().map(|(x, y, c)| (*x, *y, *c))),
        empty.diff(&frame_before).len(),
        terminal_bytes(empty.diff(&frame_before).into_iter()),
    );

    let mut group = c.benchmark_group("render_200x50");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("home_terminal_draw", |b| {
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
        b.iter(|| {
            terminal
                .draw(|f| ripcord::ui::render(f, &before, &theme))
                .map(|_| ())
                .expect("draw")
        })
    });
    group.bench_function("home_frame_only", |b| {
        b.iter(|| render_into(&mut terminal, &before, &theme))
    });
    group.bench_function("one_row_change_render_and_diff", |b| {
        b.iter(|| {
            render_into(&mut terminal, &after, &theme);
            black_box(frame_before.diff(terminal.current_buffer_mut()).len())
        })
    });
    group.bench_function("one_row_change_diff_only", |b| {
        b.iter(|| black_box(frame_before.diff(&frame_after).len()))
    });
    group.bench_function("one_row_change_diff_and_encode", |b| {
        b.iter(|| black_box(terminal_bytes(frame_before.diff(&frame_after).into_iter())))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = parse_and_build, filter_and_sort, watch_events, render
}
criterion_main!(benches);
