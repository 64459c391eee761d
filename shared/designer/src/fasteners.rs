//! Standard metric fastener sizes M2–M10 (coarse thread), in mm.
//!
//! Sources:
//! - clearance holes: ISO 273:1979 "Fasteners — Clearance holes for bolts and
//!   screws", medium series;
//! - tap drills (pilot holes): nominal diameter minus coarse pitch (ISO 261
//!   pitches), the sizes ISO 2306 gives for 6H threads;
//! - countersink diameters: the head diameter `dk` (theoretical max) of
//!   ISO 10642 hexagon socket countersunk head screws (M3–M10) and ISO 7046-1
//!   cross recessed countersunk head screws (M2, M2.5, which ISO 10642 does not
//!   cover); the cone is 90°;
//! - hexagon widths across flats: ISO 4032 hexagon nuts (`s`);
//! - washers: ISO 7089 plain washers, normal series (`d1` min, `d2` max).

/// One metric size's dimensions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSize {
    pub nominal: f64,
    pub clearance: f64,
    pub tap_drill: f64,
    pub countersink: f64,
    pub across_flats: f64,
    pub washer_inner: f64,
    pub washer_outer: f64,
}

const fn size(
    nominal: f64,
    clearance: f64,
    tap_drill: f64,
    countersink: f64,
    across_flats: f64,
    washer_inner: f64,
    washer_outer: f64,
) -> MetricSize {
    MetricSize {
        nominal,
        clearance,
        tap_drill,
        countersink,
        across_flats,
        washer_inner,
        washer_outer,
    }
}

/// M2–M10, the sizes the designer knows.
pub const METRIC: &[MetricSize] = &[
    size(2.0, 2.4, 1.6, 4.4, 4.0, 2.2, 5.0),
    size(2.5, 2.9, 2.05, 5.5, 5.0, 2.7, 6.0),
    size(3.0, 3.4, 2.5, 6.72, 5.5, 3.2, 7.0),
    size(4.0, 4.5, 3.3, 8.96, 7.0, 4.3, 9.0),
    size(5.0, 5.5, 4.2, 11.2, 8.0, 5.3, 10.0),
    size(6.0, 6.6, 5.0, 13.44, 10.0, 6.4, 12.0),
    size(8.0, 9.0, 6.8, 17.92, 13.0, 8.4, 16.0),
    size(10.0, 11.0, 8.5, 22.4, 16.0, 10.5, 20.0),
];

/// The table row for `M<nominal>`, if the designer knows it.
pub fn metric(nominal: f64) -> Option<&'static MetricSize> {
    METRIC.iter().find(|m| (m.nominal - nominal).abs() < 1e-9)
}

/// `"M3"`, `"M2.5"`.
pub fn name(nominal: f64) -> String {
    if nominal.fract() == 0.0 {
        format!("M{nominal:.0}")
    } else {
        format!("M{nominal}")
    }
}
