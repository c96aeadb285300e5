//! The canary judge: pure statistics and scoring over samples, no IO. Prometheus queries
//! feed it samples; its verdicts reach the console only as messages.

pub mod config;
pub mod judge;
pub mod mann_whitney;
pub mod normal;
pub mod report;
pub mod score;
