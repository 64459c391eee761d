//! `farm-payments`: the payment provider's wire format, with no I/O, so every
//! rule is tested natively. The provider speaks Stripe's API
//! (<https://docs.stripe.com/api>): form-encoded requests, JSON objects and
//! errors, and webhooks signed with `Stripe-Signature`.
//!
//! This crate is the one deliberate exception to "shared crates know no wire
//! format": Stripe's format *is* the domain here, and keeping it out of the
//! Wasm component is what lets the signature rules be tested natively.
//!
//! - [`signature`]: parse and verify `Stripe-Signature` (`t=…,v1=…`), and sign
//!   (for test servers and tests).
//! - [`form`]: Stripe's bracketed form encoding (`metadata[order_id]=…`).
//! - [`requests`]: the body of every provider call the app makes.
//! - [`objects`]: the objects we read back (Customer, SetupIntent, Checkout
//!   Session, PaymentIntent, Refund), the error body and its classification.
//! - [`event`]: a webhook event and what the orders work queue needs from it.
//! - [`policy`]: the autopay policy and the rules for changing it.
//! - [`settings_link`]: the signed 24-hour settings link.
//! - [`test_mode`]: what test keys use instead of the provider.

pub mod event;
pub mod form;
pub mod objects;
pub mod policy;
pub mod requests;
pub mod settings_link;
pub mod signature;
pub mod test_mode;
