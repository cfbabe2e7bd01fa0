//! The server's integration tests as one binary: one link instead of one per file, so a clean
//! build takes a fraction of the disk and time. Each module is one capability's tests; they
//! share `common` (the test server, clients, both databases) and run side by side.

mod common;

mod api;
mod authorization;
mod browser;
mod cap;
mod catalogue;
mod cli;
mod command;
mod contract;
mod crosscity;
mod demo;
mod durability;
mod emergency;
mod enterprise;
mod evaluation;
mod exchange;
mod fraud;
mod gates;
mod identity;
mod investigation;
mod isolation;
mod life;
mod opinion;
mod precise;
mod scaleout;
mod security;
mod services;
mod stream;
mod tidy;
