//! Helpers shared by the test files, each of which includes them with `mod common;` and uses
//! the modules it needs. Fixtures the benches share too live in `ripcord_testkit`.
#![allow(dead_code)] // each test binary uses a different subset

pub mod argo_fixtures;
pub mod cli;
pub mod demo;
pub mod testbed;
pub mod tmux;
pub mod watching;
