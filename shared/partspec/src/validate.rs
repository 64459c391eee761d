//! The rules a printer cares about. Every violation names the parameter at
//! fault by its JSON path in the part program (`part.thickness_mm`,
//! `part.holes[0].hole.diameter_mm`), so a caller, a person or an LLM repair
//! turn can fix exactly that value.

use crate::geometry::flute_half_angle;
use crate::holes::countersink_depth_mm;
use crate::spec::*;

/// Thinnest wall we print reliably: three 0.4 mm perimeters (Bambu's default
/// 0.4 mm nozzle) give 1.2 mm.
pub const MIN_WALL_MM: f64 = 1.2;
/// Smallest hole that survives printing without being drilled out: 2 mm (an
/// M2 tap drill is 1.6 mm; below 2 mm FDM holes close up).
pub const MIN_HOLE_MM: f64 = 2.0;
/// The build volume of the farm's Bambu X1/P1 printers, mm (256 × 256 × 256).
pub const BUILD_VOLUME_MM: [f64; 3] = [256.0, 256.0, 256.0];
/// A countersink must leave this much straight bore under its cone, mm.
pub const COUNTERSINK_LAND_MM: f64 = 0.5;
/// Most holes one program may hold (keeps the kernel's work bounded).
pub const MAX_HOLES: usize = 200;
/// Most flutes a knob may have (a 0.5 mm flute every 1° of a 256 mm knob is
/// already finer than a nozzle prints).
pub const MAX_FLUTES: u32 = 120;

/// Which rule a violation breaks (stable machine names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The version is not [`SPEC_VERSION`].
    Version,
    /// A length that must be a positive, finite number of mm is not.
    Positive,
    /// A wall is thinner than [`MIN_WALL_MM`].
    MinWall,
    /// A hole is smaller than [`MIN_HOLE_MM`].
    MinHole,
    /// A hole is closer than [`MIN_WALL_MM`] to an edge or to another hole.
    EdgeDistance,
    /// The part does not fit [`BUILD_VOLUME_MM`].
    BuildVolume,
    /// The parameters contradict each other (e.g. a fillet larger than its side).
    Geometry,
}

impl Rule {
    /// The rule's stable name for error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Version => "version",
            Rule::Positive => "positive",
            Rule::MinWall => "min_wall",
            Rule::MinHole => "min_hole",
            Rule::EdgeDistance => "edge_distance",
            Rule::BuildVolume => "build_volume",
            Rule::Geometry => "geometry",
        }
    }
}

/// One broken rule, naming the parameter at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct Violation {
    /// JSON path of the parameter in the part program.
    pub parameter: String,
    pub rule: Rule,
    /// A sentence a person can act on, with the limit.
    pub message: String,
}

/// A part program that breaks one or more rules (all of them are listed).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the part program breaks {} rule(s); first: {}", .violations.len(), .violations[0])]
pub struct Invalid {
    pub violations: Vec<Violation>,
}

impl PartSpec {
    /// Checks every rule; `Err` lists every violation, in a stable order.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut c = Checker::default();
        if self.version != SPEC_VERSION {
            c.fail("version", Rule::Version, format!("must be {SPEC_VERSION}"));
        }
        crate::validate_families::check_part(&self.part, &mut c);
        if c.violations.is_empty() {
            let size = self.part.bounding_box().size();
            for (i, axis) in ["x", "y", "z"].iter().enumerate() {
                if size[i] > BUILD_VOLUME_MM[i] + 1e-9 {
                    c.fail(
                        "part",
                        Rule::BuildVolume,
                        format!(
                            "the part is {:.1} mm along {axis}; the build volume allows {} mm",
                            size[i], BUILD_VOLUME_MM[i]
                        ),
                    );
                }
            }
            if self.part.holes().len() > MAX_HOLES {
                c.fail("part", Rule::Geometry, format!("at most {MAX_HOLES} holes"));
            }
        }
        if c.violations.is_empty() {
            Ok(())
        } else {
            Err(Invalid {
                violations: c.violations,
            })
        }
    }
}

/// Collects violations; each check returns whether it passed.
#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) violations: Vec<Violation>,
}

impl Checker {
    pub(crate) fn fail(&mut self, parameter: impl Into<String>, rule: Rule, message: String) {
        self.violations.push(Violation {
            parameter: parameter.into(),
            rule,
            message,
        });
    }

    /// `value` is a finite number of mm greater than zero.
    pub(crate) fn positive(&mut self, parameter: &str, value: f64) -> bool {
        let ok = value.is_finite() && value > 0.0;
        if !ok {
            self.fail(
                parameter,
                Rule::Positive,
                format!("must be a positive length in mm (is {value})"),
            );
        }
        ok
    }

    /// `value` is finite and not negative.
    pub(crate) fn non_negative(&mut self, parameter: &str, value: f64) -> bool {
        let ok = value.is_finite() && value >= 0.0;
        if !ok {
            self.fail(
                parameter,
                Rule::Positive,
                format!("must be 0 or more mm (is {value})"),
            );
        }
        ok
    }

    /// A wall of `value` mm at `parameter` is at least [`MIN_WALL_MM`].
    pub(crate) fn wall(&mut self, parameter: &str, value: f64, what: &str) -> bool {
        let ok = value >= MIN_WALL_MM - 1e-9;
        if !ok {
            self.fail(
                parameter,
                Rule::MinWall,
                format!("{what} is {value:.2} mm; walls must be at least {MIN_WALL_MM} mm"),
            );
        }
        ok
    }

    /// A hole or bore of `value` mm is at least [`MIN_HOLE_MM`].
    pub(crate) fn hole(&mut self, parameter: &str, value: f64) -> bool {
        if !self.positive(parameter, value) {
            return false;
        }
        let ok = value >= MIN_HOLE_MM - 1e-9;
        if !ok {
            self.fail(
                parameter,
                Rule::MinHole,
                format!("is {value:.2} mm; holes must be at least {MIN_HOLE_MM} mm"),
            );
        }
        ok
    }

    /// `condition` holds, else a geometry violation with `message`.
    pub(crate) fn require(&mut self, condition: bool, parameter: &str, message: &str) -> bool {
        if !condition {
            self.fail(parameter, Rule::Geometry, message.to_string());
        }
        condition
    }

    /// A corner profile's size is positive and at most `limit` mm.
    pub(crate) fn corner(&mut self, parameter: &str, corner: CornerProfile, limit: f64) {
        let (field, size) = match corner {
            CornerProfile::Sharp => return,
            CornerProfile::Fillet { radius_mm } => ("radius_mm", radius_mm),
            CornerProfile::Chamfer { size_mm } => ("size_mm", size_mm),
        };
        let path = format!("{parameter}.{field}");
        if self.positive(&path, size) && size > limit + 1e-9 {
            self.fail(
                path,
                Rule::Geometry,
                format!("is {size:.2} mm; at most {limit:.2} mm fits this part"),
            );
        }
    }

    /// A hole pattern's own parameters: counts, pitches, diameters and
    /// countersinks (for material `depth` mm thick). Returns whether they hold.
    pub(crate) fn pattern(&mut self, path: &str, pattern: &HolePattern, depth: f64) -> bool {
        let before = self.violations.len();
        let hole = &pattern.hole;
        self.hole(&format!("{path}.hole.diameter_mm"), hole.diameter_mm);
        if let Some(cs) = &hole.countersink {
            let cs_path = format!("{path}.hole.countersink");
            if self.positive(&format!("{cs_path}.diameter_mm"), cs.diameter_mm)
                && self.require(
                    cs.diameter_mm > hole.diameter_mm,
                    &format!("{cs_path}.diameter_mm"),
                    "must be larger than the hole's diameter",
                )
                && self.require(
                    cs.angle_deg > 30.0 && cs.angle_deg < 150.0,
                    &format!("{cs_path}.angle_deg"),
                    "must be between 30 and 150 degrees (90 for metric flat heads)",
                )
            {
                let cone = countersink_depth_mm(cs, hole.diameter_mm);
                if cone + COUNTERSINK_LAND_MM > depth + 1e-9 {
                    self.fail(
                        format!("{cs_path}.diameter_mm"),
                        Rule::Geometry,
                        format!(
                            "the countersink is {cone:.2} mm deep in {depth:.2} mm of material; \
                             it must leave {COUNTERSINK_LAND_MM} mm of straight bore"
                        ),
                    );
                }
            }
        }
        let layout = format!("{path}.layout");
        // Checked before any hole is placed: a hostile count must not make
        // validation itself allocate or loop without bound.
        if pattern.layout.count() as usize > MAX_HOLES {
            self.fail(
                layout.clone(),
                Rule::Geometry,
                format!("at most {MAX_HOLES} holes"),
            );
            return false;
        }
        // Positions and angles are checked before any hole is placed: a NaN
        // compares false with every limit, so a hole at NaN would pass the
        // edge and spacing checks and cut material the part does not have.
        let (center, angle) = match pattern.layout {
            HoleLayout::Single { center } | HoleLayout::Grid { center, .. } => (center, None),
            HoleLayout::Linear {
                center, angle_deg, ..
            } => (center, Some(("angle_deg", angle_deg))),
            HoleLayout::Circle {
                center,
                start_angle_deg,
                ..
            } => (center, Some(("start_angle_deg", start_angle_deg))),
        };
        self.require(
            center.iter().all(|x| x.is_finite()),
            &format!("{layout}.center"),
            "must be two finite numbers of mm",
        );
        if let Some((field, deg)) = angle {
            self.require(
                deg.is_finite(),
                &format!("{layout}.{field}"),
                "must be a finite number of degrees",
            );
        }
        match pattern.layout {
            HoleLayout::Single { .. } => {}
            HoleLayout::Linear {
                count, pitch_mm, ..
            } => {
                self.require(count >= 1, &format!("{layout}.count"), "must be at least 1");
                if count > 1 {
                    self.positive(&format!("{layout}.pitch_mm"), pitch_mm);
                }
            }
            HoleLayout::Grid {
                rows,
                columns,
                pitch_u_mm,
                pitch_v_mm,
                ..
            } => {
                self.require(rows >= 1, &format!("{layout}.rows"), "must be at least 1");
                self.require(
                    columns >= 1,
                    &format!("{layout}.columns"),
                    "must be at least 1",
                );
                if columns > 1 {
                    self.positive(&format!("{layout}.pitch_u_mm"), pitch_u_mm);
                }
                if rows > 1 {
                    self.positive(&format!("{layout}.pitch_v_mm"), pitch_v_mm);
                }
            }
            HoleLayout::Circle {
                count,
                pitch_circle_diameter_mm,
                ..
            } => {
                self.require(count >= 1, &format!("{layout}.count"), "must be at least 1");
                self.positive(
                    &format!("{layout}.pitch_circle_diameter_mm"),
                    pitch_circle_diameter_mm,
                );
            }
        }
        self.violations.len() == before
    }
}

/// Outer radius of a hole on its entry face (the countersink's, if any).
pub(crate) fn entry_radius(hole: &HoleSpec) -> f64 {
    hole.countersink
        .as_ref()
        .map_or(hole.diameter_mm, |cs| cs.diameter_mm.max(hole.diameter_mm))
        / 2.0
}

/// Checks a knob's flutes leave lands between them.
pub(crate) fn flutes_fit(k: &Knob) -> bool {
    k.flutes == 0 || flute_half_angle(k) * 2.0 < std::f64::consts::TAU / f64::from(k.flutes) * 0.9
}
