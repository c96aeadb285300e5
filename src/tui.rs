//! The terminal: setup and guaranteed restore, the input reader, and the draw loop.

use crate::app::{update, Effect, Msg, State};
use crate::config::theme::Theme;
use crate::model::objects::Change;
use crossterm::event::{Event, EventStream};
use crossterm::{cursor, execute, terminal};
use futures::StreamExt;
use ratatui::backend::{Backend, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::Terminal;
use std::io::{self, BufWriter, Stdout, Write};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Messages queued between the sources and `update`.
pub const MSG_QUEUE: usize = 1024;

pub type Term = Terminal<QuietBackend<CrosstermBackend<BufWriter<Stdout>>>>;

/// What a cell holding a control character is drawn as.
const CONTROL_SHOWN_AS: &str = "\u{fffd}";

/// A backend that writes nothing when nothing changed. ratatui ends every draw with a style
/// reset and hides the cursor again; on a frame whose diff is empty those ~25 bytes are all
/// that would go out, which over a slow SSH link is pure waste.
pub struct QuietBackend<B> {
    inner: B,
    cursor_hidden: bool,
}

impl<B: Backend> QuietBackend<B> {
    pub fn new(inner: B) -> Self {
        QuietBackend {
            inner,
            cursor_hidden: false,
        }
    }
}

impl<B: Backend> Backend for QuietBackend<B> {
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let content: Vec<(u16, u16, &Cell)> = content.collect();
        if content.is_empty() {
            return Ok(());
        }
        // Text is made inert before it is drawn; this is the last line of defence, so that
        // no cell can ever carry a control sequence to the terminal. One visible character
        // keeps the row's columns where they were.
        let replaced: Vec<Option<Cell>> = content
            .iter()
            .map(|(_, _, cell)| {
                cell.symbol().chars().any(char::is_control).then(|| {
                    let mut cell = (*cell).clone();
                    cell.set_symbol(CONTROL_SHOWN_AS);
                    cell
                })
            })
            .collect();
        self.inner.draw(
            content
                .iter()
                .zip(&replaced)
                .map(|(&(x, y, cell), fixed)| (x, y, fixed.as_ref().unwrap_or(cell))),
        )
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.cursor_hidden {
            return Ok(());
        }
        self.cursor_hidden = true;
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.cursor_hidden = false;
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Puts the terminal back the way the shell expects it. Safe to call more than once.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = out.flush();
}

/// Restores the terminal when dropped, on every way out of the console.
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Restores the terminal, prints the panic made inert, then exits: a panic in any task (a
/// watcher, say) must not leave the console drawing over the shell, and its message may
/// quote cluster text.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        eprintln!("{}", panic_text(info));
        std::process::exit(101);
    }));
}

/// `ripcord panicked at FILE:LINE: MESSAGE`, with the message made inert.
fn panic_text(info: &std::panic::PanicHookInfo) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    let at = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!(
        "ripcord panicked{at}: {}",
        crate::model::text::inert(message)
    )
}

pub fn enter_terminal() -> io::Result<(Term, TerminalGuard)> {
    terminal::enable_raw_mode()?;
    let guard = TerminalGuard;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout());
    execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
    let terminal = Terminal::new(QuietBackend::new(CrosstermBackend::new(out)))?;
    Ok((terminal, guard))
}

/// Forwards keys, resizes and termination signals as messages.
pub fn spawn_input(msgs: mpsc::Sender<Msg>) {
    let keys = msgs.clone();
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(event) = events.next().await {
            let msg = match event {
                Ok(Event::Key(key)) => Msg::Key(key),
                Ok(Event::Resize(width, height)) => Msg::Resize { width, height },
                Ok(_) => continue,
                // The terminal went away (a dropped SSH session): leave cleanly.
                Err(_) => Msg::Quit,
            };
            let quit = matches!(msg, Msg::Quit);
            if keys.send(msg).await.is_err() || quit {
                break;
            }
        }
    });
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
        let _ = msgs.send(Msg::Quit).await;
    });
}

/// Paces drawing at `fps` frames a second on average, but lets a frame go out at once when
/// the recent rate allows: a change after a quiet spell is drawn immediately instead of
/// waiting out a fixed frame slot, while a stream of changes is still held to `fps`.
struct FramePacer {
    frame: Duration,
    /// Frames that may go out right now, refilled at `fps` a second up to `BURST`.
    credit: f64,
    refilled: Instant,
}

impl FramePacer {
    const BURST: f64 = 2.0;

    fn new(fps: u32, now: Instant) -> Self {
        FramePacer {
            frame: Duration::from_secs(1) / fps.clamp(1, 120),
            credit: Self::BURST,
            refilled: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let earned =
            now.saturating_duration_since(self.refilled).as_secs_f64() / self.frame.as_secs_f64();
        self.credit = (self.credit + earned).min(Self::BURST);
        self.refilled = now;
    }

    /// Adds the credit earned since the last call; returns when the next frame may be drawn
    /// (now or earlier means at once).
    fn next_at(&mut self, now: Instant) -> Instant {
        self.refill(now);
        now + self.frame.mul_f64((1.0 - self.credit).max(0.0))
    }

    fn drew(&mut self, now: Instant) {
        self.refill(now);
        self.credit -= 1.0;
    }
}

fn is_relist(msg: &Msg) -> bool {
    match msg {
        Msg::Cluster { changes, .. } => changes.iter().any(|c| matches!(c, Change::Reset { .. })),
        _ => false,
    }
}

/// Folds messages into the state and draws when it changed, paced to `fps` frames a second.
/// `effects` carries out what `update` asks for.
pub async fn run_loop(
    terminal: &mut Term,
    state: &mut State,
    theme: &Theme,
    fps: u32,
    mut msgs: mpsc::Receiver<Msg>,
    mut effects: impl FnMut(Effect),
) -> io::Result<()> {
    let mut pacer = FramePacer::new(fps, Instant::now());
    let size = terminal.size()?;
    for effect in update(
        state,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    ) {
        effects(effect);
    }
    loop {
        let now = Instant::now();
        let next_draw = pacer.next_at(now);
        if state.dirty && next_draw <= now {
            let mut extents = crate::app::Extents::default();
            let frame = terminal.draw(|f| extents = crate::ui::render_measured(f, state, theme))?;
            let (width, height) = (frame.area.width, frame.area.height);
            // Tells `update` what is now on screen (a confirmation counts only once shown)
            // and how much each view could show (scrolling stops there).
            let _ = update(
                state,
                Msg::Drawn {
                    width,
                    height,
                    extents,
                },
            );
            state.dirty = false;
            pacer.drew(now);
        }
        if state.quit {
            return Ok(());
        }
        let msg = if state.dirty {
            // Something is waiting to be drawn: wake when the pacer allows the frame.
            tokio::select! {
                msg = msgs.recv() => msg,
                _ = tokio::time::sleep_until(next_draw.into()) => continue,
            }
        } else {
            msgs.recv().await
        };
        let Some(msg) = msg else { return Ok(()) };
        let mut relisted = is_relist(&msg);
        for effect in update(state, msg) {
            effects(effect);
        }
        // Fold whatever else is queued before drawing, so bursts coalesce into one frame.
        while let Ok(msg) = msgs.try_recv() {
            relisted |= is_relist(&msg);
            for effect in update(state, msg) {
                effects(effect);
            }
            if state.quit {
                break;
            }
        }
        // A relist replaced a whole kind: what the old rows held is free now.
        if relisted {
            crate::memory::release_freed_memory();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FramePacer, QuietBackend};
    use ratatui::backend::CrosstermBackend;
    use ratatui::widgets::Paragraph;
    use ratatui::{Terminal, TerminalOptions, Viewport};
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::{Duration, Instant};

    #[test]
    fn the_pacer_draws_a_lone_change_at_once_and_holds_a_stream_to_the_frame_rate() {
        let start = Instant::now();
        let ms = |n: u64| start + Duration::from_millis(n);
        let mut pacer = FramePacer::new(10, start);
        // After a quiet spell a change is drawn immediately, even right after another frame.
        assert!(pacer.next_at(ms(0)) <= ms(0));
        pacer.drew(ms(0));
        assert!(pacer.next_at(ms(5)) <= ms(5));
        pacer.drew(ms(5));
        // The burst is spent: the next frame waits for credit, about one 100 ms frame.
        let next = pacer.next_at(ms(10));
        assert!(next > ms(10) && next <= ms(110), "{:?}", next - start);
        // A stream of changes gets no more than the frame rate over a second.
        let (mut now, mut frames) = (ms(10), 0);
        while now < ms(1010) {
            let at = pacer.next_at(now);
            if at <= now {
                pacer.drew(now);
                frames += 1;
            }
            now += Duration::from_millis(1);
        }
        assert!(
            (9..=11).contains(&frames),
            "{frames} frames in a second at 10 fps"
        );
    }

    /// Counts the bytes written to the terminal.
    #[derive(Clone, Default)]
    struct Counter(Rc<Cell<usize>>);

    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.set(self.0.get() + buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Keeps the bytes written to the terminal.
    #[derive(Clone, Default)]
    struct Bytes(Rc<std::cell::RefCell<Vec<u8>>>);

    impl std::io::Write for Bytes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_control_character_in_a_cell_never_reaches_the_terminal() {
        let bytes = Bytes::default();
        let backend = QuietBackend::new(CrosstermBackend::new(bytes.clone()));
        let viewport = Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 20, 2));
        let mut t =
            Terminal::with_options(backend, TerminalOptions { viewport }).expect("terminal");
        t.draw(|f| {
            // Straight into the buffer, as a widget that forgot to clean its text might.
            let buf = f.buffer_mut();
            buf[(0, 0)].set_symbol("\u{1b}]0;PWN\u{7}");
            buf[(0, 1)].set_symbol("\u{9b}");
            buf[(10, 0)].set_symbol("\r");
            buf[(12, 0)].set_symbol("ok");
        })
        .expect("draw");
        let out = bytes.0.borrow();
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("\u{1b}]0;"), "{text:?}");
        assert!(!text.contains('\u{9b}') && !text.contains('\u{7}') && !out.contains(&b'\r'));
        assert_eq!(text.matches('\u{fffd}').count(), 3, "{text:?}");
        assert!(text.contains("ok"), "{text:?}");
    }

    #[test]
    fn an_unchanged_frame_writes_nothing_and_a_change_writes_only_itself() {
        let bytes = Counter::default();
        let backend = QuietBackend::new(CrosstermBackend::new(bytes.clone()));
        let viewport = Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 20, 2));
        let mut t =
            Terminal::with_options(backend, TerminalOptions { viewport }).expect("terminal");
        let mut draw = |text: &'static str| {
            t.draw(|f| f.render_widget(Paragraph::new(text), f.area()))
                .expect("draw");
            bytes.0.get()
        };
        let first = draw("phase Healthy");
        assert!(first > 0);
        assert_eq!(
            draw("phase Healthy"),
            first,
            "an identical frame wrote bytes"
        );
        let change = draw("phase Paused") - first;
        assert!(
            change > 0 && change < 60,
            "a one-word change wrote {change} bytes"
        );
    }
}
