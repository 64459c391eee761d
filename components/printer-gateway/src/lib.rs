//! The printer gateway: the farm site's native daemon and the farm's only
//! MQTT client on the product side. It subscribes to the printers' reports
//! (Bambu LAN protocol), keeps each printer's state, spools the events that
//! changes cause in a durable local store, and sends them to the app over
//! HTTPS with the site's token; it also asks the app for work. It holds no
//! database credentials.
//!
//! Printer side:
//! - [`bambu`]: the protocol's messages (pure).
//! - [`roster`]: the site's configured printers; reports from others are ignored (pure).
//! - [`fleet`]: how a report changes a printer's state (pure).
//! - [`mqtt`]: the broker connection.
//! - [`worker`]: the report loop and its step function, run by `main`.
//!
//! The seam: [`recorder`] takes reports and dispatch outcomes from the
//! printer side and spools the events.
//!
//! App side:
//! - [`spool`]: the durable spool (redb).
//! - [`link`]: the app's internal farm routes (register, claim, push events).
//! - [`sender`]: empties the spool into the app, with retries.
//! - [`ticker`]: the timer that calls the app's tick route (background work).
//! - [`testing`]: fresh databases and unique names for tests on the real services.

pub mod bambu;
pub mod config;
pub mod fleet;
pub mod link;
pub mod mqtt;
pub mod recorder;
pub mod roster;
pub mod sender;
pub mod spool;
pub mod testing;
pub mod ticker;
pub mod worker;

pub use config::{Config, Secret};
pub use recorder::Recorder;
pub use sender::Sender;
pub use spool::Spool;
pub use ticker::Ticker;
pub use worker::{Gateway, GatewayError, StepOutcome};
