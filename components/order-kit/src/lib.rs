//! `farm-order-kit`: the order code the `orders` and `jobs` components share
//! (a Wasm-side library, built as their dependency). The rules are in
//! `farm-orders` (shared/orders); this is their Postgres side.
//!
//! - [`row`]: the `orders` row (migrations/0009), the order's wire form and
//!   seed 000's job view of it.
//! - [`quote`]: the caller's quote as the server stored it, checked for
//!   ordering (`quote_not_found`, `quote_expired`).
//! - [`lifecycle`]: creating an order, transitions (each with its event in
//!   the same transaction), pay-and-queue (exactly once), cancel.
//! - [`address`]: seed 001's shipping address in a request body.
//! - [`autonomous`]: the autonomous-order conditions and the atomic spend
//!   reservation.
//! - [`production`]: the parts of an order as partners see them (status,
//!   inspection, photos as signed, expiring URLs).
//! - [`live`]: live mode's provider calls (checkout session, off-session
//!   charge, refund), each after the transaction that recorded the order.

pub mod address;
pub mod autonomous;
pub mod lifecycle;
pub mod live;
pub mod production;
pub mod quote;
pub mod row;

pub use farm_orders;
