//! The ningan application: HTTP API, web workbench, background tasks and the command line,
//! over the storage crate. `main.rs` is only the edge that turns errors into exit codes.

pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod demo;
pub mod geo;
pub mod http;
pub mod modules;
pub mod remote;
pub mod secrets;
pub mod server;
pub mod sim;
pub mod telemetry;
pub mod trust;
pub mod web;
