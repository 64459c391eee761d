//! Seed 000's job: an order placed and paid in one call, seen through the
//! job's own vocabulary. One order model underneath, two views.

use crate::OrderStatus;

/// The events a job's caller hears about (seed 000's `webhook_events`).
pub const WEBHOOK_EVENTS: [&str; 2] = ["job.printing", "job.shipped"];

/// The job event recorded beside order event `order_event` for an order
/// placed as a job (`None`: the job's caller hears nothing extra). Seed
/// 000: `job.printing` when the job starts printing (the order's
/// `order.in_production`), `job.shipped` when it ships with tracking and
/// inspection photos (`order.shipped`).
pub fn job_event(order_event: &str) -> Option<&'static str> {
    match order_event {
        "order.in_production" => Some(WEBHOOK_EVENTS[0]),
        "order.shipped" => Some(WEBHOOK_EVENTS[1]),
        _ => None,
    }
}

/// The job status (seed 000: queued, printing, inspection, shipped) that
/// an order's status reads as.
pub fn job_status(order: OrderStatus) -> &'static str {
    match order {
        // A job is paid in the call that places it; the two instants before
        // its tasks exist are not visible outside the transaction.
        OrderStatus::RequiresPayment | OrderStatus::Paid | OrderStatus::Queued => "queued",
        OrderStatus::InProduction => "printing",
        OrderStatus::Shipped => "shipped",
        OrderStatus::Delivered => "delivered",
        OrderStatus::Cancelled | OrderStatus::Refunded => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_is_the_jobs_word_for_in_production() {
        assert_eq!(job_status(OrderStatus::InProduction), "printing");
        assert_eq!(job_status(OrderStatus::Queued), "queued");
        assert_eq!(job_status(OrderStatus::Refunded), "cancelled");
    }

    #[test]
    fn a_job_hears_printing_and_shipped_and_nothing_else() {
        assert_eq!(job_event("order.in_production"), Some("job.printing"));
        assert_eq!(job_event("order.shipped"), Some("job.shipped"));
        for other in [
            "order.created",
            "order.paid",
            "order.queued",
            "order.delivered",
            "order.inspection",
            "order.cancelled",
        ] {
            assert_eq!(job_event(other), None, "{other}");
        }
    }
}
