//! The domain model shared by the TUI, the headless CLI and the demo.
//!
//! Watchers and the simulator both produce Kubernetes objects; `objects` turns them into
//! compact rows, `cache` keeps those rows per cluster, and `derive` folds them into the one
//! [`Release`] view that every screen and command reads.

pub mod argo;
pub mod attention;
pub mod cache;
pub mod connection;
pub mod derive;
pub mod display;
pub mod flagger;
pub mod objects;
pub mod ops;
pub mod release;
pub mod sources;
pub mod text;
pub mod wire;

pub use cache::ClusterCache;
pub use connection::{ClusterReport, ConnState, Permission};
pub use release::*;
pub use sources::{ChecksStatus, Finding, FindingObject, Findings, Flags, Severity};
