//! The terminal: setup and guaranteed restore, the input reader, and the draw loop.

use crate::app::{update, Effect, Msg, State};
use crate::config::theme::Theme;
use crossterm::event::{Event, EventStream};
use crossterm::{cursor, execute, terminal};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, BufWriter, Stdout, Write};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Messages queued between the sources and `update`.
pub const MSG_QUEUE: usize = 1024;

pub type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

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

/// Restores the terminal before the previous panic hook prints its message, then exits:
/// a panic in any task (a watcher, say) must not leave the console drawing over the shell.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
        std::process::exit(101);
    }));
}

pub fn enter_terminal() -> io::Result<(Term, TerminalGuard)> {
    terminal::enable_raw_mode()?;
    let guard = TerminalGuard;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout());
    execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
    let terminal = Terminal::new(CrosstermBackend::new(out))?;
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

/// Folds messages into the state and draws when it changed, at most `fps` times a second.
/// `effects` carries out what `update` asks for.
pub async fn run_loop(
    terminal: &mut Term,
    state: &mut State,
    theme: &Theme,
    fps: u32,
    mut msgs: mpsc::Receiver<Msg>,
    mut effects: impl FnMut(Effect),
) -> io::Result<()> {
    let frame = Duration::from_secs(1) / fps.clamp(1, 120);
    let mut next_draw = Instant::now();
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
        if state.dirty && Instant::now() >= next_draw {
            terminal.draw(|f| crate::ui::render(f, state, theme))?;
            state.dirty = false;
            next_draw = Instant::now() + frame;
        }
        if state.quit {
            return Ok(());
        }
        let msg = if state.dirty {
            // Something is waiting to be drawn: wake for the next frame slot.
            tokio::select! {
                msg = msgs.recv() => msg,
                _ = tokio::time::sleep_until(next_draw.into()) => continue,
            }
        } else {
            msgs.recv().await
        };
        let Some(msg) = msg else { return Ok(()) };
        for effect in update(state, msg) {
            effects(effect);
        }
        // Fold whatever else is queued before drawing, so bursts coalesce into one frame.
        while let Ok(msg) = msgs.try_recv() {
            for effect in update(state, msg) {
                effects(effect);
            }
            if state.quit {
                break;
            }
        }
    }
}
