//! The whole analysis: metrics, findings and estimates.

use crate::checks::{CheckOptions, overhang, overhang_finding, size_findings, topology_findings};
use crate::error::Result;
use crate::estimate::{Estimates, estimate};
use crate::findings::{Check, Finding, FixHint, Severity, SkippedCheck};
use crate::limits::Limits;
use crate::material::MaterialProfile;
use crate::mesh::{Format, Mesh, ParseWarning};
use crate::metrics::Metrics;
use crate::printer::PrinterProfile;
use crate::units::UnitChoice;
use crate::walls::thin_walls;

/// Everything [`analyze`] needs besides the bytes. `Default` is: unit auto,
/// default limits, the Bambu 256 mm profile, no material, default checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnalyzeOptions {
    pub unit: UnitChoice,
    pub limits: Limits,
    pub printer: PrinterProfile,
    /// Look one up with [`crate::material::profile`]. Without a material there
    /// are no estimates, and the thin-wall check uses
    /// [`CheckOptions::default_min_wall_mm`].
    pub material: Option<&'static MaterialProfile>,
    pub checks: CheckOptions,
}

/// The result of analysing one mesh.
#[derive(Debug, Clone)]
pub struct Report {
    pub format: Format,
    pub metrics: Metrics,
    /// Errors first, then warnings.
    pub findings: Vec<Finding>,
    /// Present when a material was given.
    pub estimates: Option<Estimates>,
    pub parse_warnings: Vec<ParseWarning>,
    pub skipped_checks: Vec<SkippedCheck>,
}

impl Report {
    /// True when no finding is an error (the part can be ordered).
    pub fn is_printable(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Error)
    }
}

/// Parses `bytes` and analyses the mesh: the one call most callers need.
pub fn analyze(bytes: &[u8], opts: &AnalyzeOptions) -> Result<Report> {
    Ok(crate::parse(bytes, &opts.limits)?.analyze(opts))
}

impl Mesh {
    /// Analyses an already parsed mesh (parse once, analyse per unit/material).
    pub fn analyze(&self, opts: &AnalyzeOptions) -> Report {
        let metrics = self.metrics(opts.unit);
        let m = self.measurements();
        let scale = metrics.unit.mm_per_unit();
        let mut findings = topology_findings(self, m, scale);
        findings.extend(size_findings(&metrics, &opts.printer, &opts.checks));
        let mut skipped = Vec::new();

        let closed = m.is_watertight && m.is_winding_consistent;
        let min_wall_mm = opts
            .material
            .map_or(opts.checks.default_min_wall_mm, |mat| mat.min_wall_mm);
        if closed {
            let walls = thin_walls(self, m, scale, min_wall_mm, opts.checks.wall_samples);
            if walls.thin > 0 {
                findings.push(Finding {
                    check: Check::ThinWalls,
                    severity: Severity::Warning,
                    measured: walls.thinnest_mm,
                    limit: min_wall_mm,
                    unit: "mm",
                    point_mm: walls.faces.first().and_then(|&f| crate::checks::centroid_mm(self, f, scale)),
                    faces: walls.faces,
                    fix_hint: FixHint::ThickenWalls { min_mm: min_wall_mm },
                    message: format!(
                        "{} of {} sampled faces sit on walls thinner than {min_wall_mm} mm (thinnest {:.2} mm)",
                        walls.thin, walls.sampled, walls.thinnest_mm
                    ),
                });
            }
        } else {
            skipped.push(SkippedCheck {
                check: Check::ThinWalls,
                reason: "needs a closed, consistently wound mesh to tell inside from outside",
            });
        }
        let over = overhang(self, m, scale, &opts.checks);
        if !m.is_winding_consistent {
            skipped.push(SkippedCheck {
                check: Check::Overhang,
                reason: "face orientation is inconsistent, so downward faces are a guess",
            });
        }
        findings.extend(overhang_finding(self, &over, scale, &opts.checks));
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let estimates = opts
            .material
            .map(|mat| estimate(self, scale, &metrics, mat, &opts.printer));
        Report {
            format: self.format,
            metrics,
            findings,
            estimates,
            parse_warnings: self.warnings.clone(),
            skipped_checks: skipped,
        }
    }
}
