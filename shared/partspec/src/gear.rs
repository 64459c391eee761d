//! The spur gear's exact profile: involute flanks (ISO 53 basic rack
//! proportions: addendum 1 m, dedendum 1.25 m), radial flanks below the base
//! circle, no root fillet, tip and root circles as arcs.

use crate::spec::SpurGear;
use std::f64::consts::{PI, TAU};

/// The radii and tooth shape of a spur gear, in mm and radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GearProfile {
    pub teeth: u32,
    /// Pitch radius `m z / 2`.
    pub pitch_radius: f64,
    /// Base radius `r_p cos(alpha)`.
    pub base_radius: f64,
    /// Tip (addendum) radius `r_p + m`.
    pub tip_radius: f64,
    /// Root (dedendum) radius `r_p - 1.25 m`.
    pub root_radius: f64,
    pressure_angle: f64,
}

/// `inv(a) = tan(a) - a`, the involute function.
fn involute(a: f64) -> f64 {
    a.tan() - a
}

impl GearProfile {
    pub fn new(gear: &SpurGear) -> Self {
        let pitch_radius = gear.module_mm * f64::from(gear.teeth) / 2.0;
        let pressure_angle = gear.pressure_angle_deg.to_radians();
        GearProfile {
            teeth: gear.teeth,
            pitch_radius,
            base_radius: pitch_radius * pressure_angle.cos(),
            tip_radius: pitch_radius + gear.module_mm,
            root_radius: pitch_radius - 1.25 * gear.module_mm,
            pressure_angle,
        }
    }

    /// Half the angular width of a tooth at radius `r` (root to tip): the
    /// angle from the tooth's centre line to its flank. A tooth is a quarter
    /// pitch wide at the pitch circle; above the base circle the flank is an
    /// involute, `pi/(2z) + inv(alpha) - inv(acos(r_b / r))`; below it the
    /// flank is radial.
    pub fn half_angle(&self, r: f64) -> f64 {
        let at_pitch = PI / (2.0 * f64::from(self.teeth)) + involute(self.pressure_angle);
        if r <= self.base_radius {
            at_pitch
        } else {
            at_pitch - involute((self.base_radius / r).acos())
        }
    }

    /// Area of the gear's face (without the bore), mm²: the root disc plus
    /// `z` teeth, each `∫ 2 θ(r) r dr` from root to tip radius (Simpson's
    /// rule on each smooth piece, split at the base circle).
    pub fn area(&self) -> f64 {
        let mut teeth = 0.0;
        let split = self.base_radius.clamp(self.root_radius, self.tip_radius);
        for (a, b) in [(self.root_radius, split), (split, self.tip_radius)] {
            teeth += simpson(|r| 2.0 * self.half_angle(r) * r, a, b, 2000);
        }
        PI * self.root_radius * self.root_radius + f64::from(self.teeth) * teeth
    }

    /// The closed outline, counter-clockwise, as points in the x-y plane (mm):
    /// per tooth, the root arc before it, the rising flank, the tip arc and
    /// the falling flank; `flank_points` points per flank and arc. The first
    /// tooth is centred on +x.
    pub fn outline(&self, flank_points: usize) -> Vec<[f64; 2]> {
        let n = flank_points.max(2);
        let pitch = TAU / f64::from(self.teeth);
        let mut points = Vec::new();
        let polar = |r: f64, a: f64| [r * a.cos(), r * a.sin()];
        let radius_at = |i: usize| {
            self.root_radius + (self.tip_radius - self.root_radius) * i as f64 / (n - 1) as f64
        };
        for k in 0..self.teeth {
            let centre = pitch * f64::from(k);
            // Root arc from the previous tooth's falling flank to this tooth's rising flank.
            let root_start = centre - pitch + self.half_angle(self.root_radius);
            let root_end = centre - self.half_angle(self.root_radius);
            for i in 1..n - 1 {
                let t = i as f64 / (n - 1) as f64;
                points.push(polar(
                    self.root_radius,
                    root_start + (root_end - root_start) * t,
                ));
            }
            for i in 0..n {
                let r = radius_at(i);
                points.push(polar(r, centre - self.half_angle(r)));
            }
            let tip = self.half_angle(self.tip_radius);
            for i in 1..n - 1 {
                let t = i as f64 / (n - 1) as f64;
                points.push(polar(self.tip_radius, centre - tip + 2.0 * tip * t));
            }
            for i in (0..n).rev() {
                let r = radius_at(i);
                points.push(polar(r, centre + self.half_angle(r)));
            }
        }
        points
    }

    /// Angular width of the tooth land at the tip, radians (positive for a
    /// printable tooth; zero or negative means the tooth comes to a point).
    pub fn tip_land(&self) -> f64 {
        2.0 * self.half_angle(self.tip_radius)
    }

    /// Angular width of the gap between teeth at the root circle, radians.
    pub fn root_gap(&self) -> f64 {
        TAU / f64::from(self.teeth) - 2.0 * self.half_angle(self.root_radius)
    }
}

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, intervals: usize) -> f64 {
    if b <= a {
        return 0.0;
    }
    let n = intervals + intervals % 2;
    let h = (b - a) / n as f64;
    let mut sum = f(a) + f(b);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(a + h * i as f64);
    }
    sum * h / 3.0
}

/// Area of a simple polygon (shoelace), positive when counter-clockwise.
pub fn polygon_area(points: &[[f64; 2]]) -> f64 {
    let n = points.len();
    (0..n)
        .map(|i| {
            let [x0, y0] = points[i];
            let [x1, y1] = points[(i + 1) % n];
            x0 * y1 - x1 * y0
        })
        .sum::<f64>()
        / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gear(module_mm: f64, teeth: u32) -> GearProfile {
        GearProfile::new(&SpurGear {
            module_mm,
            teeth,
            face_width_mm: 5.0,
            bore_diameter_mm: 5.0,
            pressure_angle_deg: 20.0,
        })
    }

    #[test]
    fn tooth_is_half_the_circular_pitch_wide_on_the_pitch_circle() {
        let g = gear(2.0, 20);
        // Arc thickness at the pitch circle: pi m / 2 (ISO 53 rack).
        let thickness = 2.0 * g.half_angle(g.pitch_radius) * g.pitch_radius;
        assert!((thickness - PI * 2.0 / 2.0).abs() < 1e-9, "{thickness}");
    }

    #[test]
    fn analytic_area_agrees_with_a_dense_polygon_of_the_outline() {
        for (m, z) in [(1.0, 12), (2.0, 20), (1.5, 45), (0.8, 60)] {
            let g = gear(m, z);
            let polygon = polygon_area(&g.outline(400));
            let exact = g.area();
            assert!(
                ((polygon - exact) / exact).abs() < 1e-4,
                "m {m} z {z}: {polygon} vs {exact}"
            );
            // The face lies between the root disc and the tip disc.
            assert!(exact > PI * g.root_radius.powi(2) && exact < PI * g.tip_radius.powi(2));
        }
    }

    #[test]
    fn twenty_teeth_of_module_two_have_the_textbook_radii() {
        let g = gear(2.0, 20);
        assert!((g.tip_radius - 22.0).abs() < 1e-12);
        assert!((g.root_radius - 17.5).abs() < 1e-12);
        assert!((g.base_radius - 20.0 * 20f64.to_radians().cos()).abs() < 1e-12);
        assert!(g.tip_land() > 0.0 && g.root_gap() > 0.0);
    }
}
