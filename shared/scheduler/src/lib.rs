//! `farm-scheduler`: the print scheduler's pure logic (issue 12, item 1).
//!
//! Given the queued parts and the printers that are idle now, [`schedule`]
//! decides which parts go on which printer's next plate and where on the bed
//! each one sits. The app runs it on the tick route and when a gateway asks
//! for work, and writes its answer as claims (with a lease) in Postgres; this
//! crate has no I/O and no clock of its own.
//!
//! The rules, each in its own module:
//! - [`model`]: parts, printers, plates, and the bed constants with their source.
//! - [`priority`]: the queue's order: re-prints first, then parts whose
//!   promised ship date needs them now, then oldest first.
//! - [`compat`]: a printer takes a part only when its loaded material, colour
//!   and nozzle match, and the part fits its build volume; [`fits_any_printer`]
//!   is the quote-time refusal of parts no printer of the farm can print.
//! - [`packing`]: where parts go on one plate: MaxRects with one of four
//!   free-rectangle rules (best short side, best area, bottom-left, contact
//!   point), a margin between parts and from the bed's edges, turning a part
//!   90° about Z when that fits better.
//! - [`assign`]: one plate per idle printer: the head of the queue always on
//!   it, the next few plates' worth of parts tried largest first (re-prints
//!   and due parts keep their order), the rest of the queue filling gaps;
//!   packed with every rule and order, the fullest plate kept.

pub mod assign;
pub mod compat;
pub mod model;
pub mod packing;
pub mod priority;

pub use assign::{ScheduleConfig, schedule};
pub use compat::{FitError, fits_any_printer};
pub use model::{Bed, Placement, Plate, Printer, QueuedPart};
