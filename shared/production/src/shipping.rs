//! Shipping (issue 12, item 5): an order ships only when every part passed
//! inspection; labels come from a carrier behind [`Carrier`]; the simulated
//! carrier issues UPS-format tracking numbers and delivers after a transit
//! time.

/// A part's state at the end of production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOutcome {
    /// Printed and passed inspection.
    Passed,
    /// Still queued, printing or awaiting inspection.
    InProgress,
    /// Out of attempts; its order is flagged for a person.
    GaveUp,
}

/// Why an order cannot ship yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotShippable {
    /// Parts not passed yet (count).
    PartsPending(usize),
    /// A part failed too often; a person must decide.
    Flagged,
    /// An order without parts never ships.
    NoParts,
}

/// `Ok` when every part passed inspection: "a part never ships without a
/// passed inspection", and an order never ships incomplete.
pub fn ready_to_ship(parts: &[PartOutcome]) -> Result<(), NotShippable> {
    if parts.is_empty() {
        return Err(NotShippable::NoParts);
    }
    if parts.contains(&PartOutcome::GaveUp) {
        return Err(NotShippable::Flagged);
    }
    let pending = parts.iter().filter(|p| **p != PartOutcome::Passed).count();
    if pending > 0 {
        return Err(NotShippable::PartsPending(pending));
    }
    Ok(())
}

/// A shipping label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub carrier: String,
    pub service: String,
    pub tracking_number: String,
    /// Days from hand-over to delivery.
    pub transit_days: u32,
}

/// A shipping provider.
pub trait Carrier {
    /// Buys a label for a parcel of `weight_grams` to `country` (ISO 3166-1
    /// alpha-2); `sequence` is a number unique per label of this farm.
    fn label(&self, sequence: u64, weight_grams: u32, country: &str) -> Label;
}

/// The simulated carrier: UPS-format tracking numbers (`1Z`, a 6-character
/// shipper number, a 2-digit service code, a 7-digit package number and
/// UPS's check digit), 2 days within the farm's country, 5 abroad.
#[derive(Debug, Clone)]
pub struct SimulatedCarrier {
    /// The shipper account (6 characters, A–Z and 0–9).
    pub shipper: String,
    /// The farm's country: domestic parcels take 2 days.
    pub home_country: String,
}

impl Carrier for SimulatedCarrier {
    fn label(&self, sequence: u64, _weight_grams: u32, country: &str) -> Label {
        let domestic = country.eq_ignore_ascii_case(&self.home_country);
        // 03 = UPS Ground, 08 = UPS Worldwide Expedited (UPS service codes).
        let service_code = if domestic { "03" } else { "08" };
        let body = format!(
            "{}{}{:07}",
            self.shipper,
            service_code,
            sequence % 10_000_000
        );
        Label {
            carrier: "UPS".into(),
            service: if domestic {
                "Ground"
            } else {
                "Worldwide Expedited"
            }
            .into(),
            tracking_number: format!("1Z{body}{}", ups_check_digit(&body)),
            transit_days: if domestic { 2 } else { 5 },
        }
    }
}

/// UPS's check digit over the 15 characters after `1Z`: letters count as
/// (ASCII − 63) mod 10, digits as themselves; odd positions (1-based) are
/// summed once and even positions twice; the check digit brings the sum to
/// a multiple of ten.
pub fn ups_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = if b.is_ascii_digit() {
                u32::from(b - b'0')
            } else {
                (u32::from(b.to_ascii_uppercase()) - 63) % 10
            };
            if i % 2 == 1 { 2 * v } else { v }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fully_passed_orders_ship() {
        use PartOutcome::*;
        assert_eq!(ready_to_ship(&[Passed, Passed]), Ok(()));
        assert_eq!(
            ready_to_ship(&[Passed, InProgress, InProgress]),
            Err(NotShippable::PartsPending(2))
        );
        assert_eq!(ready_to_ship(&[Passed, GaveUp]), Err(NotShippable::Flagged));
        assert_eq!(ready_to_ship(&[]), Err(NotShippable::NoParts));
    }

    #[test]
    fn ups_check_digit_matches_published_numbers() {
        // 1Z999AA10123456784, UPS's widely published sample number.
        assert_eq!(ups_check_digit("999AA1012345678"), 4);
        // By hand: 1,2,3,4,5,E=6,0,2,0,5,2,7,1,6,8 → odd positions sum 20,
        // even positions 32 × 2 = 64; 84 → check digit 6.
        assert_eq!(ups_check_digit("12345E020527168"), 6);
    }

    #[test]
    fn simulated_labels_are_well_formed_and_distinct() {
        let carrier = SimulatedCarrier {
            shipper: "FA4M01".into(),
            home_country: "US".into(),
        };
        let a = carrier.label(1, 120, "US");
        let b = carrier.label(2, 120, "DE");
        assert_ne!(a.tracking_number, b.tracking_number);
        assert_eq!(a.tracking_number.len(), 18);
        assert!(a.tracking_number.starts_with("1ZFA4M0103"));
        assert_eq!((a.transit_days, b.transit_days), (2, 5));
        let check = ups_check_digit(&a.tracking_number[2..17]);
        assert_eq!(
            a.tracking_number
                .chars()
                .last()
                .and_then(|c| c.to_digit(10)),
            Some(check)
        );
    }
}
