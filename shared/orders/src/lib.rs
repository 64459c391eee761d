//! `farm-orders`: the rules of an order, with no I/O (issue 10, seed 001).
//!
//! - [`status`]: the one state machine (`requires_payment` → `paid` →
//!   `queued` → `in_production` → `shipped` → `delivered`; `cancelled`,
//!   `refunded`), which refuses illegal transitions and names the event each
//!   legal one records.
//! - [`address`]: the shipping address check (`missing_shipping_fields`).
//! - [`public_id`]: unguessable public order ids (160 random bits).
//! - [`tracking`]: what the public tracking view may show.
//! - [`autonomy`]: the autonomous-order conditions orders checks itself.
//! - [`job_view`]: seed 000's job statuses as a view of an order's status.

pub mod address;
pub mod autonomy;
pub mod job_view;
pub mod photo_key;
pub mod public_id;
pub mod status;
pub mod tracking;

pub use status::{Action, IllegalTransition, OrderStatus, Step};
