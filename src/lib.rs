//! simfra: a local AWS-compatible CI/CD cloud in one binary on one port.
//!
//! Three rings, dependencies pointing inward:
//! `protocol` (HTTP and the AWS wire formats) -> `services` (one module per AWS service) ->
//! `store` (persistence). The protocol layer names no service; [`server`] wires them at start-up.

pub mod archive;
pub mod bus;
pub mod clock;
pub mod engine;
pub mod protocol;
pub mod runtime;
pub mod server;
pub mod services;
pub mod settings;
pub mod store;

pub use settings::Settings;
