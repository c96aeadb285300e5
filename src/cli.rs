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
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// A flagd flag file for the console (repeatable), read again whenever it changes; its
    /// flags join the releases whose pod templates name their keys (ripcord.dev/flags).
    #[arg(long = "flags", value_name = "FILE")]
    pub flag_files: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options of the console and the demo; the headless commands draw nothing and take none.
#[derive(Debug, Args, Clone, Default, PartialEq, Eq)]
pub struct UiArgs {
    /// Theme: default, light, high-contrast, mono, or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub theme: Option<String>,
    /// Keymap: default, k9s, or a TOML file laid over the default.
    #[arg(long, value_name = "NAME|FILE")]
    pub keymap: Option<String>,
    /// Offer no action that changes a cluster.
    #[arg(long)]
    pub read_only: bool,
    /// Most frames drawn per second, 1 to 120.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=120))]
    pub fps: Option<u32>,
}

impl UiArgs {
    /// The first option given, as typed, for a command that takes none.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.theme.is_some(), "--theme"),
            (self.keymap.is_some(), "--keymap"),
            (self.read_only, "--read-only"),
            (self.fps.is_some(), "--fps"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }

    /// These options, with those given after a subcommand winning over those before it.
    pub fn or(&self, before: &UiArgs) -> UiArgs {
        UiArgs {
            theme: self.theme.clone().or_else(|| before.theme.clone()),
            keymap: self.keymap.clone().or_else(|| before.keymap.clone()),
            read_only: self.read_only || before.read_only,
            fps: self.fps.or(before.fps),
        }
    }
}

/// Which clusters and namespaces to look at, as kubectl takes them.
#[derive(Debug, Args, Clone)]
pub struct ClusterArgs {
    /// kubeconfig file (default: KUBECONFIG, several files merged, or ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Context to use; the console and `status` take it repeated, to watch several clusters.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Vec<String>,
    /// Only this namespace.
    #[arg(
        short = 'n',
        long,
        global = true,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Every namespace, for the console and `status` (their default); not for actions.
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
}

/// Options shared by every action command.
#[derive(Debug, Args)]
pub struct ActionArgs {
    /// deployment/NAME, pair/NAME (the stable Deployment of a canary pair), rollout/NAME
    /// (an Argo Rollout), canary/NAME (a Flagger Canary) or NAME.
    pub target: String,
    /// Why: recorded in the journal and the Kubernetes Event; required in production.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Do not ask for confirmation (needed for dangerous actions without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Check everything and report what would change, without changing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Output: a line of text, or the outcome as JSON (failures too).
    #[arg(long, short = 'o', value_enum, default_value = "table")]
    pub output: Output,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Releases in flight, for scripts: one LIST per kind, no watch.
    Status {
        /// Only this release: KIND/NAME or NAME.
        target: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value = "table")]
        output: Output,
    },
    /// Promote a canary one step (or fully with --full).
    Promote {
        #[command(flatten)]
        action: ActionArgs,
        /// Skip every remaining step.
        #[arg(long)]
        full: bool,
    },
    /// Pause a rollout.
    Pause {
        #[command(flatten)]
        action: ActionArgs,
    },
    /// Resume a paused rollout.
    Resume {
        #[command(flatten)]
        action: ActionArgs,
    },
    /// Abort a canary: traffic back to stable.
    Abort {
        #[command(flatten)]
        action: ActionArgs,
    },
    /// Retry an aborted rollout.
    Retry {
        #[command(flatten)]
        action: ActionArgs,
    },
    /// Roll back to the previous revision (or --to-revision N).
    Rollback {
        #[command(flatten)]
        action: ActionArgs,
        #[arg(long, value_name = "N")]
        to_revision: Option<i64>,
    },
    /// Restart every pod of a release.
    Restart {
        #[command(flatten)]
        action: ActionArgs,
    },
    /// Split a canary pair's replicas to the nearest achievable canary weight, or move an
    /// Argo canary to its own setWeight step of that weight.
    SetWeight {
        #[command(flatten)]
        action: ActionArgs,
        /// Canary weight in percent (0-100).
        #[arg(value_parser = clap::value_parser!(u8).range(0..=100))]
        weight: u8,
    },
    /// The audit journal of every action attempted.
    Journal {
        #[arg(long, short = 'o', value_enum, default_value = "table")]
        output: Output,
    },
    /// Run the console on an embedded, simulated cluster.
    Demo {
        #[command(flatten)]
        ui: UiArgs,
        /// Virtual seconds per real second, from 0.25 to 64.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Seed of the simulated world.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Start with the virtual clock stopped.
        #[arg(long)]
        paused: bool,
    },
    /// Judge a release's canary against its baseline once, on Prometheus data.
    Analyze {
        /// deployment/NAME, pair/NAME, rollout/NAME or NAME.
        target: String,
        #[command(flatten)]
        analysis: AnalysisArgs,
        /// How far back to judge.
        #[arg(long, default_value = "10m", value_name = "DURATION")]
        window: String,
        #[arg(long, short = 'o', value_enum, default_value = "table")]
        output: Output,
    },
    /// The statistics alone: two files of numbers, canary against baseline.
    Judge {
        #[arg(long, value_name = "FILE")]
        canary: PathBuf,
        #[arg(long, value_name = "FILE")]
        baseline: PathBuf,
        #[arg(long, value_enum, default_value = "increase")]
        direction: JudgeDirection,
        #[arg(long, short = 'o', value_enum, default_value = "table")]
        output: Output,
    },
    /// Post-deploy gate for CI: wait for the rollout, judge it for a while, pass or fail.
    Gate {
        /// deployment/NAME, pair/NAME, rollout/NAME or NAME.
        target: String,
        #[command(flatten)]
        analysis: AnalysisArgs,
        /// Longest wait for the rollout to become ready.
        #[arg(long, default_value = "10m", value_name = "DURATION")]
        timeout: String,
        /// How long to keep judging once ready.
        #[arg(long = "for", default_value = "5m", value_name = "DURATION")]
        duration: String,
        /// Time between judgements.
        #[arg(long, default_value = "30s", value_name = "DURATION")]
        interval: String,
        /// How far back each judgement looks (default: the --for duration).
        #[arg(long, value_name = "DURATION")]
        window: Option<String>,
        /// On failure, abort the canary (or roll the Deployment back), journaled.
        #[arg(long)]
        rollback_on_fail: bool,
        #[arg(long, short = 'o', value_enum, default_value = "table")]
        output: Output,
    },
    /// Feature flags in flagd's format: list, show one, evaluate for a context.
    Flags {
        #[command(subcommand)]
        command: FlagsCommand,
        /// A flagd flag file (repeatable; a later file wins a key defined twice). Without
        /// one, the flags come from the cluster: FeatureFlag resources and labelled ConfigMaps.
        #[arg(long = "flags", global = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The label (KEY or KEY=VALUE) of ConfigMaps holding flagd JSON.
        #[arg(
            long,
            global = true,
            value_name = "SELECTOR",
            default_value = "ripcord.dev/flagd"
        )]
        configmap_label: String,
        /// Only this data key of those ConfigMaps (default: every key ending in .json).
        #[arg(long, global = true, value_name = "KEY")]
        data_key: Option<String>,
        /// Only the flags this Deployment's pod template links to (annotations
        /// openfeature.dev/featureflagsource or ripcord.dev/flags): deployment/NAME or NAME.
        #[arg(long, global = true, value_name = "TARGET")]
        release: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value = "table", global = true)]
        output: Output,
    },
    /// Security findings (secrets, RBAC, images, pod security) in manifests or the cluster.
    Check(crate::check_cli::CheckArgs),
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

#[derive(Debug, Subcommand)]
pub enum FlagsCommand {
    /// Every flag: state, default variant, variants and targeting in words.
    List,
    /// One flag in full.
    Get { key: String },
    /// Evaluate one flag (or all) as flagd would, for `--eval-context '{"targetingKey": ...}'`.
    Eval {
        key: Option<String>,
        /// The evaluation context, a JSON object (default {}). `--context` names a
        /// kubeconfig context here too, as everywhere.
        #[arg(long = "eval-context", value_name = "JSON")]
        eval_context: Option<String>,
    },
    /// Change a flag in the cluster: its state, default variant or fractional weights.
    Set {
        key: String,
        #[arg(long, value_enum, conflicts_with_all = ["default_variant", "weights"])]
        state: Option<FlagStateArg>,
        #[arg(long, value_name = "VARIANT", conflicts_with = "weights")]
        default_variant: Option<String>,
        /// The split's weights, every variant of it: VARIANT=WEIGHT,...
        #[arg(long, value_name = "V=W,...")]
        weights: Option<String>,
        /// Why: recorded in the Kubernetes Event; required.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum FlagStateArg {
    Enabled,
    Disabled,
}

/// Where the analysis config and Prometheus come from.
#[derive(Debug, Args, Clone)]
pub struct AnalysisArgs {
    /// Analysis config (TOML); default: analysis.toml in the config dir.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Prometheus URL; default: the context's `prometheus` in config.toml.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum JudgeDirection {
    Increase,
    Decrease,
    Either,
}
