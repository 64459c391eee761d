//! The printer gateway: the farm's only MQTT client on the product side. It
//! subscribes to the printers' reports (Bambu LAN protocol), keeps the
//! `printers` table current, appends `printer_events`, and marks printers
//! offline when they fall silent.
//!
//! - [`bambu`]: the protocol's messages (pure).
//! - [`fleet`]: how a report changes a printer's state (pure).
//! - [`store`]: the Postgres tables.
//! - [`mqtt`]: the broker connection.
//! - [`worker`]: the step functions and their loops, run by `main`.
//! - [`testing`]: fresh databases and unique names for tests on the real services.

pub mod bambu;
pub mod config;
pub mod fleet;
pub mod mqtt;
pub mod store;
pub mod testing;
pub mod worker;

pub use config::{Config, Secret};
pub use worker::{Gateway, GatewayError, OfflineSweeper, StepOutcome};
