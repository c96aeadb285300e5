//! The command line: the console, the demo, and headless commands.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ripcord",
    version,
    about = "A terminal release console for Kubernetes"
)]
pub struct Cli {
    #[command(flatten)]
    pub ui: UiArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct UiArgs {
    /// Theme: default, light, high-contrast, mono, or a TOML file.
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub theme: Option<String>,
    /// Keymap: default, k9s, or a TOML file laid over the default.
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub keymap: Option<String>,
    /// Offer no action that changes a cluster.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Most frames drawn per second.
    #[arg(long, global = true, value_name = "N")]
    pub fps: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the console on an embedded, simulated cluster.
    Demo {
        /// Virtual seconds per real second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Seed of the simulated world.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Start with the virtual clock stopped.
        #[arg(long)]
        paused: bool,
    },
    /// Configuration files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check config files (default: the user's) and report each problem as file:line.
    Check {
        /// Files to check: keymaps, themes or config.toml.
        files: Vec<PathBuf>,
    },
}
