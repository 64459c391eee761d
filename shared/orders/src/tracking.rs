//! What the public tracking view (`GET /v1/public/orders/{public_order_id}`
//! and the page at the `tracking_url`) may show: anyone holding the link
//! sees it, so it carries the status, the timeline of status changes, the
//! parts printed again and why, the estimated ship date and, once shipped,
//! the tracking number and inspection photos. Never the address, the
//! email, the price or the account.

use crate::OrderStatus;

/// One status change as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub status: OrderStatus,
    /// Unix seconds.
    pub at: i64,
}

/// A part's attempt that failed, so the part was printed again (or, at its
/// third failure, given up): from the order's `order.print_failed` and
/// failed `order.inspection` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reprint {
    /// The part's copy number in the order (1-based).
    pub part: i64,
    /// The attempt that failed (1-based).
    pub attempt: i64,
    /// `print` (the printer stopped, or the plate was lost) or `inspection`.
    pub failed: String,
    /// The inspection's defect (`layer_shift`, ...), when it named one.
    pub defect: Option<String>,
    /// A failed print's `print_error` from the printer (Bambu's report
    /// field), when it gave one.
    pub print_error: Option<u32>,
    /// A failed print's reason as the gateway reported it, when it did.
    pub reason: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// One inspection photo as tracking shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPhoto {
    /// The part's copy number in the order (1-based), when known.
    pub part: Option<i64>,
    /// The view (`iso`, `front`, `side`, `top`, `camera`), when known.
    pub view: Option<String>,
    /// A presigned, expiring GET URL.
    pub url: String,
}

impl PublicPhoto {
    /// "Part 2, top view"; "Inspection photo" when neither is known.
    pub fn label(&self) -> String {
        match (self.part, &self.view) {
            (Some(part), Some(view)) => format!("Part {part}, {view} view"),
            (Some(part), None) => format!("Part {part}"),
            (None, Some(view)) => format!("{view} view"),
            (None, None) => "Inspection photo".to_owned(),
        }
    }
}

/// Everything the order knows that tracking might use (the caller fills it
/// from the order row and its events).
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub status: OrderStatus,
    /// ISO date.
    pub estimated_ship: Option<String>,
    pub tracking_number: Option<String>,
    pub inspection_photos: Vec<PublicPhoto>,
    /// Status changes, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Failed attempts, oldest first.
    pub reprints: Vec<Reprint>,
    /// A part failed three times and a person must decide (`orders.needs_attention`).
    pub needs_attention: bool,
}

/// The public view: only these fields exist, so nothing else can leak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicView {
    pub status: OrderStatus,
    pub estimated_ship: Option<String>,
    pub tracking_number: Option<String>,
    pub inspection_photos: Vec<PublicPhoto>,
    pub timeline: Vec<TimelineEntry>,
    /// Shown at once: a failed attempt says nothing private, and it is why
    /// the ship date may move.
    pub reprints: Vec<Reprint>,
    /// Shown at once, so a held order does not look like one still moving.
    pub needs_attention: bool,
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
        reprints: order.reprints,
        needs_attention: order.needs_attention,
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
            inspection_photos: vec![PublicPhoto {
                part: Some(1),
                view: Some("iso".into()),
                url: "https://x/p1.png".into(),
            }],
            timeline: vec![TimelineEntry {
                status: OrderStatus::RequiresPayment,
                at: 1,
            }],
            reprints: vec![Reprint {
                part: 2,
                attempt: 1,
                failed: "inspection".into(),
                defect: Some("layer_shift".into()),
                print_error: None,
                reason: None,
                at: 5,
            }],
            needs_attention: false,
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

    #[test]
    fn reprints_show_before_the_order_ships() {
        let q = public_view(facts(OrderStatus::InProduction));
        assert_eq!(q.reprints, facts(OrderStatus::InProduction).reprints);
    }

    #[test]
    fn a_photo_is_labelled_by_what_is_known_of_it() {
        let photo = |part, view: Option<&str>| PublicPhoto {
            part,
            view: view.map(str::to_owned),
            url: String::new(),
        };
        assert_eq!(photo(Some(2), Some("top")).label(), "Part 2, top view");
        assert_eq!(photo(Some(2), None).label(), "Part 2");
        assert_eq!(photo(None, Some("camera")).label(), "camera view");
        assert_eq!(photo(None, None).label(), "Inspection photo");
    }
}
