//! `farm-production`: the production flow's rules after a part is printed
//! (issue 12, items 4–6 and 8). No I/O, no clock: callers pass times.
//!
//! - [`reprint`]: a failed print or inspection puts the part back at the
//!   front of the queue; the third failure of one part flags its order.
//! - [`shipping`]: an order ships only when every part passed inspection;
//!   the simulated carrier's labels and transit.
//! - [`energy`]: each print's energy from its real duration and the
//!   printer model's power profile, split into on-site solar and grid.
//! - [`utilisation`]: the share of a window a printer spent printing.

pub mod energy;
pub mod reprint;
pub mod shipping;
pub mod utilisation;
