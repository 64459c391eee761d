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
//! - [`mqtt`]: the shared-broker connection (bridge mode).
//! - [`lan`], [`pinning`], [`bambu_lan`]: LAN mode, one pinned TLS link per printer.
//! - [`dispatch`], [`ticket`], [`ftps`]: the floor: plates to printers (FTPS
//!   upload, `project_file`), outcomes through the one [`dispatch::FarmEvents`] seam;
//!   [`plates`]: slicing a plate into its `.gcode.3mf`; [`outcomes`]: how
//!   LAN reports become outcomes.
//! - [`worker`]: the bridge report loop; [`lan_worker`]: the LAN loop, which
//!   hands the floor's printer states to the recorder and its print
//!   outcomes to the production lanes.
//! - [`production`]: the pull loop, one lane per printer: claim a plate
//!   ([`claims`]), fetch and turn its meshes ([`meshes`]), slice, dispatch,
//!   follow, inspect ([`inspector`]: rendered, or the printer's camera
//!   ([`camera`]), and the printer's own AI detections ([`hms`])), clear;
//!   [`ledger`]: the plates in flight, durable, so a restart neither loses
//!   nor repeats one.
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
pub mod bambu_lan;
pub mod camera;
pub mod claims;
pub mod config;
pub mod dispatch;
pub mod fleet;
pub mod ftps;
pub mod hms;
pub mod inspector;
pub mod lan;
pub mod lan_worker;
mod lane;
pub mod ledger;
pub mod link;
pub mod meshes;
pub mod mqtt;
pub mod outcomes;
pub mod pinning;
pub mod plates;
pub mod production;
pub mod recorder;
pub mod roster;
pub mod sender;
pub mod spool;
pub mod testing;
pub mod ticker;
pub mod ticket;
pub mod worker;

pub use config::{Config, Secret};
pub use recorder::Recorder;
pub use sender::Sender;
pub use spool::Spool;
pub use ticker::Ticker;
pub use worker::{Gateway, GatewayError, StepOutcome};
