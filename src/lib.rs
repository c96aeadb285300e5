//! ripcord: a terminal release console for Kubernetes.

pub mod app;
pub mod config;
pub mod model;
pub mod sim;
pub mod tui;
pub mod ui;
