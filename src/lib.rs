//! ripcord: a terminal release console for Kubernetes.

pub mod action;
pub use ripcord_analysis as analysis;
pub mod app;
pub mod checks;
pub mod cluster;
pub mod config;
pub mod console;
pub mod flags;
pub mod gate;
pub mod headless;
pub mod journal;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod service;
pub mod sim;
pub mod tui;
pub mod ui;
