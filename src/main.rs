use anyhow::Context;
use clap::Parser;
use ripcord::app::{Effect, Mode, State};
use ripcord::config::{self, LoadedConfig};
use ripcord::sim::driver::{self, SimCommand};
use ripcord::sim::World;
use ripcord::tui;
use std::process::ExitCode;
use tokio::sync::mpsc;

mod cli;
use cli::{Cli, Command, ConfigCommand, UiArgs};

/// Exit codes shared by every headless command.
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Config {
            command: ConfigCommand::Check { files },
        }) => config_check(&files),
        Some(Command::Demo {
            speed,
            seed,
            paused,
        }) => {
            if !(speed.is_finite() && speed >= 0.0) {
                eprintln!("ripcord: --speed must be a number ≥ 0, got {speed}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            report(run_demo(&cli.ui, speed, seed, paused || speed == 0.0))
        }
        None => {
            eprintln!("ripcord: connecting to clusters is not available in this build yet; try `ripcord demo`");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ripcord: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_check(files: &[std::path::PathBuf]) -> ExitCode {
    let issues = if files.is_empty() {
        config::check_user_config()
    } else {
        config::check_files(files)
    };
    for issue in &issues {
        println!("{issue}");
    }
    if issues.is_empty() {
        println!("ok: no problems found");
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_INPUT)
    }
}

fn load_config(ui: &UiArgs) -> LoadedConfig {
    config::load_all(
        ui.theme.as_deref(),
        ui.keymap.as_deref(),
        config::theme::color_disabled_by_env(),
    )
}

fn run_demo(ui: &UiArgs, speed: f64, seed: u64, paused: bool) -> anyhow::Result<()> {
    let LoadedConfig {
        settings,
        keymap,
        theme,
        issues,
    } = load_config(ui);
    let fps = ui.fps.unwrap_or(settings.fps);
    let world = World::demo(seed);
    let now = world.now;
    let speed = if speed == 0.0 { 1.0 } else { speed };
    let mut state = State::new(
        Mode::Demo { paused, speed },
        keymap,
        settings,
        ui.read_only,
        now,
    );
    state.warnings = issues.iter().map(ToString::to_string).collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        tui::install_panic_hook();
        let (mut terminal, _guard) = tui::enter_terminal().context("setting up the terminal")?;
        let (msg_tx, msg_rx) = mpsc::channel(tui::MSG_QUEUE);
        let (sim_tx, sim_rx) = mpsc::unbounded_channel();
        tui::spawn_input(msg_tx.clone());
        tokio::spawn(driver::run(world, speed, paused, msg_tx, sim_rx));
        tui::run_loop(&mut terminal, &mut state, &theme, fps, msg_rx, |effect| {
            let command = match effect {
                Effect::Execute(request) => SimCommand::Execute(request),
                Effect::Clock(control) => SimCommand::Clock(control),
                Effect::Quit => return,
            };
            // The simulator only stops when the console does.
            let _ = sim_tx.send(command);
        })
        .await
        .context("drawing the console")
    })?;
    // Background tasks (input reader, simulator) must not keep the process alive.
    runtime.shutdown_background();
    Ok(())
}
