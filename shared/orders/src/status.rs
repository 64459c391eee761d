//! The order state machine (seed 001's statuses) and the event each
//! transition records in the outbox (`events`, migrations/0008).
//!
//! ```text
//! requires_payment ─pay─▶ paid ─queue─▶ queued ─start_production─▶ in_production
//!        │                 │              │                              │ ship
//!        └──cancel──▶ cancelled ◀─cancel──┘                              ▼
//!                          │ refund                            shipped ─deliver─▶ delivered
//!                          ▼
//!                      refunded
//! ```
//!
//! Cancel is allowed only before printing starts (`requires_payment`, `paid`,
//! `queued`); an order that was charged is then refunded (`cancelled` →
//! `refunded`), one that was not stays `cancelled`.

use std::fmt;

/// Where an order is (seed 001, "Order statuses").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Checkout created, awaiting payment.
    RequiresPayment,
    /// Payment confirmed.
    Paid,
    /// In the production queue: its print tasks exist.
    Queued,
    /// A part of it is printing.
    InProduction,
    /// Out for delivery.
    Shipped,
    /// Arrived.
    Delivered,
    /// Cancelled before printing started.
    Cancelled,
    /// Cancelled and the charge returned.
    Refunded,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::RequiresPayment,
        OrderStatus::Paid,
        OrderStatus::Queued,
        OrderStatus::InProduction,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::RequiresPayment => "requires_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Queued => "queued",
            OrderStatus::InProduction => "in_production",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<OrderStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True while the order may still be cancelled: printing has not started.
    /// (The caller also checks that none of its print tasks has been claimed
    /// by a printer.)
    pub fn is_cancellable(self) -> bool {
        matches!(
            self,
            OrderStatus::RequiresPayment | OrderStatus::Paid | OrderStatus::Queued
        )
    }

    /// True once money was taken for the order (a cancel must refund it).
    pub fn was_charged(self) -> bool {
        !matches!(self, OrderStatus::RequiresPayment | OrderStatus::Cancelled)
    }

    /// True when nothing more will happen to the order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::Refunded
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The payment was confirmed (provider event, test completion, off-session charge).
    Pay,
    /// Its print tasks were created.
    Queue,
    /// A printer started one of its parts.
    StartProduction,
    /// Handed to the carrier.
    Ship,
    /// The carrier delivered it.
    Deliver,
    /// The customer cancelled before printing started.
    Cancel,
    /// The charge of a cancelled order was returned.
    Refund,
}

/// A legal transition: the status it leads to and the event type recorded
/// with it (Stripe-style dotted names; seed 001's `order.paid`,
/// `order.shipped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub event: &'static str,
}

/// An action the order's status does not allow (409 `order_state_conflict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub action: Action,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an order that is {} cannot {:?}", self.from, self.action)
    }
}

impl std::error::Error for IllegalTransition {}

/// The event recorded when an order is created (`requires_payment`).
pub const CREATED_EVENT: &str = "order.created";

/// The one transition function: where `action` takes an order that is
/// `from`, and the event to record, or [`IllegalTransition`].
pub fn step(from: OrderStatus, action: Action) -> Result<Step, IllegalTransition> {
    use Action as A;
    use OrderStatus as S;
    let (to, event) = match (from, action) {
        (S::RequiresPayment, A::Pay) => (S::Paid, "order.paid"),
        (S::Paid, A::Queue) => (S::Queued, "order.queued"),
        (S::Queued, A::StartProduction) => (S::InProduction, "order.in_production"),
        (S::InProduction, A::Ship) => (S::Shipped, "order.shipped"),
        (S::Shipped, A::Deliver) => (S::Delivered, "order.delivered"),
        (S::RequiresPayment | S::Paid | S::Queued, A::Cancel) => (S::Cancelled, "order.cancelled"),
        (S::Cancelled, A::Refund) => (S::Refunded, "order.refunded"),
        _ => return Err(IllegalTransition { from, action }),
    };
    Ok(Step { from, to, event })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use OrderStatus as S;

    const ACTIONS: [Action; 7] = [
        A::Pay,
        A::Queue,
        A::StartProduction,
        A::Ship,
        A::Deliver,
        A::Cancel,
        A::Refund,
    ];

    #[test]
    fn the_happy_path_walks_every_status_in_order() {
        let mut at = S::RequiresPayment;
        let mut events = Vec::new();
        for action in [A::Pay, A::Queue, A::StartProduction, A::Ship, A::Deliver] {
            let s = step(at, action).expect("legal");
            assert_eq!(s.from, at);
            events.push(s.event);
            at = s.to;
        }
        assert_eq!(at, S::Delivered);
        assert_eq!(
            events,
            [
                "order.paid",
                "order.queued",
                "order.in_production",
                "order.shipped",
                "order.delivered"
            ]
        );
    }

    #[test]
    fn exactly_the_listed_transitions_are_legal() {
        // Written out by hand from seed 001's lifecycle, not from `step`.
        let legal: [(S, A, S); 9] = [
            (S::RequiresPayment, A::Pay, S::Paid),
            (S::Paid, A::Queue, S::Queued),
            (S::Queued, A::StartProduction, S::InProduction),
            (S::InProduction, A::Ship, S::Shipped),
            (S::Shipped, A::Deliver, S::Delivered),
            (S::RequiresPayment, A::Cancel, S::Cancelled),
            (S::Paid, A::Cancel, S::Cancelled),
            (S::Queued, A::Cancel, S::Cancelled),
            (S::Cancelled, A::Refund, S::Refunded),
        ];
        let mut allowed = 0;
        for from in S::ALL {
            for action in ACTIONS {
                let expected = legal
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(
                    step(from, action).ok().map(|s| s.to),
                    expected,
                    "{from} {action:?}"
                );
                allowed += usize::from(expected.is_some());
            }
        }
        assert_eq!(allowed, 9);
    }

    #[test]
    fn paying_twice_is_refused_so_a_repeated_provider_event_changes_nothing() {
        let paid = step(S::RequiresPayment, A::Pay).expect("first").to;
        assert_eq!(
            step(paid, A::Pay),
            Err(IllegalTransition {
                from: S::Paid,
                action: A::Pay
            })
        );
        assert!(step(S::Queued, A::Pay).is_err());
    }

    #[test]
    fn printing_or_later_cannot_be_cancelled() {
        for s in [
            S::InProduction,
            S::Shipped,
            S::Delivered,
            S::Cancelled,
            S::Refunded,
        ] {
            assert!(!s.is_cancellable());
            assert!(step(s, A::Cancel).is_err(), "{s}");
        }
        assert!(S::Queued.is_cancellable());
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("printing"), None);
    }

    #[test]
    fn charged_means_paid_at_some_point() {
        assert!(!S::RequiresPayment.was_charged());
        assert!(S::Paid.was_charged());
        assert!(S::Queued.was_charged());
    }
}
