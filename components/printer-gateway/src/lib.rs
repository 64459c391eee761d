//! The printer gateway: the farm's only MQTT client on the product side. It
//! subscribes to the printers' reports (Bambu LAN protocol), keeps the
//! `printers` table current, appends `printer_events`, and marks printers
//! offline when they fall silent.
//!
//! - [`bambu`]: the protocol's messages (pure).
//! - [`roster`]: the site's configured printers; reports from others are ignored (pure).
//! - [`fleet`]: how a report changes a printer's state (pure).
//! - [`store`]: the Postgres tables.
//! - [`mqtt`]: the shared-broker connection (bridge mode).
//! - [`lan`], [`pinning`], [`bambu_lan`]: LAN mode, one pinned TLS link per printer.
//! - [`dispatch`], [`ftps`]: the floor: plates to printers (FTPS upload,
//!   `project_file`), outcomes through the one [`dispatch::FarmEvents`] seam;
//!   [`plates`]: slicing a plate into its `.gcode.3mf`.
//! - [`worker`]: the step functions and their loops, run by `main`.
//! - [`ticker`]: the timer that calls the app's tick route (background work).
//! - [`testing`]: fresh databases and unique names for tests on the real services.

pub mod bambu;
pub mod bambu_lan;
pub mod config;
pub mod dispatch;
pub mod fleet;
pub mod ftps;
pub mod lan;
pub mod lan_worker;
pub mod mqtt;
pub mod outcomes;
pub mod pinning;
pub mod plates;
pub mod roster;
pub mod store;
pub mod testing;
pub mod ticker;
pub mod worker;

pub use config::{Config, Secret};
pub use ticker::Ticker;
pub use worker::{Gateway, GatewayError, OfflineSweeper, StepOutcome};
