//! The queue's order (issue 12, item 1): re-prints first (a failed part
//! goes back "at the front"), then parts whose promised ship date needs them
//! started now, then oldest first.
//!
//! A part is *due* when the latest moment it can start and still ship on
//! time has come within [`URGENT_WINDOW_SECS`]: `ship_by − estimated print
//! time − SHIP_HANDLING_SECS − URGENT_WINDOW_SECS ≤ now`. Due parts go by
//! their ship date (earliest first); the rest by their time in the queue.

use crate::model::QueuedPart;
use std::cmp::Ordering;

/// Time after the print a part needs to be inspected, packed and handed to
/// the carrier: one working day (our own planning figure, not a measured
/// one; the shipping issue refines it).
pub const SHIP_HANDLING_SECS: i64 = 24 * 3600;

/// How far ahead the scheduler looks for ship dates: a part whose latest
/// start is within 12 hours jumps the queue. Half a day covers the longest
/// plates of the farm (a full 256 mm plate rarely prints longer) so a due
/// part is on a printer before its slack is gone.
pub const URGENT_WINDOW_SECS: i64 = 12 * 3600;

/// The class of a part in the queue, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Failed before: back at the front.
    Reprint,
    /// Its ship date needs it started now.
    Due,
    /// Everything else, oldest first.
    Normal,
}

/// The latest start (Unix s) that still ships `part` on time, if it has a
/// ship date.
pub fn latest_start(part: &QueuedPart) -> Option<i64> {
    let print_secs = (part.estimated_hours.max(0.0) * 3600.0).ceil() as i64;
    part.ship_by
        .map(|due| due - print_secs - SHIP_HANDLING_SECS)
}

/// The part's class at `now`.
pub fn class(part: &QueuedPart, now: i64) -> Class {
    if part.attempt > 0 {
        Class::Reprint
    } else if latest_start(part).is_some_and(|start| start - URGENT_WINDOW_SECS <= now) {
        Class::Due
    } else {
        Class::Normal
    }
}

/// Orders two parts for the queue at `now`: by class, then due parts by
/// their latest start and others by time in the queue, then by id (so the
/// order is total and deterministic).
pub fn compare(a: &QueuedPart, b: &QueuedPart, now: i64) -> Ordering {
    let (ca, cb) = (class(a, now), class(b, now));
    ca.cmp(&cb)
        .then_with(|| match ca {
            Class::Due => latest_start(a).cmp(&latest_start(b)),
            _ => Ordering::Equal,
        })
        .then_with(|| a.queued_at.cmp(&b.queued_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// Indices of `parts` in queue order at `now`.
pub fn queue_order(parts: &[QueuedPart], now: i64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&i, &j| compare(&parts[i], &parts[j], now));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: u64, queued_at: i64) -> QueuedPart {
        QueuedPart {
            id,
            order_id: format!("ord_{id}"),
            width_mm: 10.0,
            depth_mm: 10.0,
            height_mm: 10.0,
            material: "pla".into(),
            color: "black".into(),
            nozzle_mm: 0.4,
            queued_at,
            ship_by: None,
            attempt: 0,
            estimated_hours: 1.0,
        }
    }

    #[test]
    fn oldest_first_without_ship_dates() {
        let parts = vec![part(1, 300), part(2, 100), part(3, 200)];
        assert_eq!(queue_order(&parts, 1_000), vec![1, 2, 0]);
    }

    #[test]
    fn reprints_go_to_the_front_even_when_newest() {
        let mut reprint = part(9, 900);
        reprint.attempt = 1;
        let parts = vec![part(1, 100), reprint];
        assert_eq!(queue_order(&parts, 1_000), vec![1, 0]);
    }

    #[test]
    fn a_ship_date_that_needs_the_part_now_jumps_the_queue() {
        let now = 1_000_000;
        let old = part(1, now - 10 * 86_400);
        // Ships in 30 h: 1 h print + 24 h handling leaves 5 h of slack,
        // inside the 12 h window.
        let mut due = part(2, now - 60);
        due.ship_by = Some(now + 30 * 3600);
        // Ships in a week: not due yet, stays behind the older part.
        let mut later = part(3, now - 120);
        later.ship_by = Some(now + 7 * 86_400);
        let parts = vec![old, due, later];
        assert_eq!(class(&parts[1], now), Class::Due);
        assert_eq!(class(&parts[2], now), Class::Normal);
        assert_eq!(queue_order(&parts, now), vec![1, 0, 2]);
    }

    #[test]
    fn due_parts_go_by_their_latest_start() {
        let now = 1_000_000;
        let mut a = part(1, now - 10);
        a.ship_by = Some(now + 30 * 3600);
        let mut b = part(2, now - 20);
        b.ship_by = Some(now + 26 * 3600);
        assert_eq!(queue_order(&[a, b], now), vec![1, 0]);
    }
}
