//! Kubernetes IO: connecting, watching, checking access and acting. Nothing here touches
//! `State`; results travel to `update` as messages.

pub mod access;
pub mod actions;
pub mod connect;
pub mod findings;
pub mod watch;
pub mod watched;
