//! What the public tracking view (`GET /v1/public/orders/{public_order_id}`
//! and the page at the `tracking_url`) may show: anyone holding the link
//! sees it, so it carries the status, the timeline of status changes, the
//! estimated ship date and, once shipped, the tracking number and inspection
//! photos. Never the address, the email, the price or the account.

use crate::OrderStatus;

/// One status change as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub status: OrderStatus,
    /// Unix seconds.
    pub at: i64,
}

/// Everything the order knows that tracking might use (the caller fills it
/// from the order row and its events).
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub status: OrderStatus,
    /// ISO date.
    pub estimated_ship: Option<String>,
    pub tracking_number: Option<String>,
    pub inspection_photos: Vec<String>,
    /// Status changes, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// The public view: only these fields exist, so nothing else can leak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicView {
    pub status: OrderStatus,
    pub estimated_ship: Option<String>,
    pub tracking_number: Option<String>,
    pub inspection_photos: Vec<String>,
    pub timeline: Vec<TimelineEntry>,
}

/// True once the parcel is with the carrier: tracking details are shown.
pub fn shows_shipment(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Shipped | OrderStatus::Delivered)
}

/// The public view of an order.
pub fn public_view(order: OrderFacts) -> PublicView {
    let shipped = shows_shipment(order.status);
    PublicView {
        status: order.status,
        estimated_ship: order.estimated_ship,
        tracking_number: order.tracking_number.filter(|_| shipped),
        inspection_photos: if shipped {
            order.inspection_photos
        } else {
            Vec::new()
        },
        timeline: order.timeline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: OrderStatus) -> OrderFacts {
        OrderFacts {
            status,
            estimated_ship: Some("2026-12-04".into()),
            tracking_number: Some("1Z999".into()),
            inspection_photos: vec!["https://x/p1.jpg".into()],
            timeline: vec![TimelineEntry {
                status: OrderStatus::RequiresPayment,
                at: 1,
            }],
        }
    }

    #[test]
    fn shipment_details_appear_only_once_shipped() {
        let q = public_view(facts(OrderStatus::Queued));
        assert_eq!(q.tracking_number, None);
        assert!(q.inspection_photos.is_empty());
        let s = public_view(facts(OrderStatus::Shipped));
        assert_eq!(s.tracking_number.as_deref(), Some("1Z999"));
        assert_eq!(s.inspection_photos.len(), 1);
        assert_eq!(s.estimated_ship.as_deref(), Some("2026-12-04"));
    }
}
