//! Mesh engine: parse, measure and judge printability of STL, OBJ and 3MF.
//!
//! Pure Rust, no I/O, single-threaded; the same code runs natively, in the
//! `mesh-report` command-line tool and inside the `analyze`/`jobs` Wasm
//! components (`wasm32-wasip2`).
//!
//! # Use
//!
//! ```
//! use mesh_engine::{AnalyzeOptions, UnitChoice, Unit, material};
//! # let bytes = include_bytes!("../../../../shared/corpus/synthetic/cube10_ok.stl");
//! let opts = AnalyzeOptions { material: material::profile("pla"), ..AnalyzeOptions::default() };
//! let report = mesh_engine::analyze(bytes, &opts)?;
//! assert!(report.is_printable());
//! assert_eq!(report.metrics.volume_cm3, 1.0);
//! let grams = report.estimates.map(|e| e.weight_g);
//! # assert!(grams.is_some());
//!
//! // Parse once, measure many: a unit override only rescales cached figures.
//! let mesh = mesh_engine::parse(bytes, &opts.limits)?;
//! let in_inches = mesh.analyze(&AnalyzeOptions { unit: UnitChoice::Fixed(Unit::Inch), ..opts });
//! assert!((in_inches.metrics.volume_cm3 - 16_387.064).abs() < 1e-6); // 10 in sides
//! # Ok::<(), mesh_engine::Error>(())
//! ```
//!
//! Entry points: [`analyze`] (bytes → [`Report`]), [`parse`] / [`parse_as`]
//! (bytes → [`Mesh`]), [`Mesh::analyze`], [`Mesh::metrics`] (metrics only),
//! [`Mesh::from_indexed`] (generated geometry). Every failure is an [`Error`]
//! variant with a stable [`Error::code`] and a [`Location`] (byte offset or
//! line); hostile input never panics and is bounded by [`Limits`].
//!
//! # Formats
//!
//! Detected from content: binary STL (also with a `solid` header, a zero
//! count or trailing bytes, reported as [`ParseWarning`]s), ASCII STL (several
//! `solid` blocks allowed; the dialects exporters write and PrusaSlicer,
//! trimesh and numpy-stl read — lone-CR line ends, one line, any case,
//! E-notation, words after `endloop`/`endfacet`/`endsolid`, `end loop` as two
//! words — are read whole with a `stl_ascii_nonstandard` warning listing each
//! [`StlQuirk`]; a file cut inside a facet is refused, never half read), OBJ
//! (`v`/`f`, polygons triangulated by ear clipping so non-convex faces stay
//! inside their outline, negative indices, `\` line continuations), 3MF (core
//! spec: objects, components, build items with transforms, `unit`;
//! production-extension `p:path` parts).
//!
//! 3MF rules that change the price (core spec §2.3.1, §4.1): an attribute
//! written twice on an element is malformed XML (`invalid_model`, naming the
//! part); `requiredextensions` naming an undeclared prefix or a namespace we
//! do not implement is `unsupported_required_extension` (materials and
//! production are implemented; beam lattice is accepted while the part has no
//! beams and refused when it has, since beams are not measured); objects of
//! type `support`/`solidsupport` are not part of the weighed mesh and are
//! reported apart (`3mf_support_objects`, with their volume); `other` objects
//! in the build are excluded and named (`3mf_other_objects_excluded`);
//! objects with an empty mesh are skipped and named (`3mf_empty_objects`).
//! 3MF reading is bounded by entry count, total decompressed bytes (checked
//! against each entry's declared size before inflating, and while inflating),
//! per-part compression ratio, element and component nesting, and object
//! instances (counted over the component tree before any geometry is made).
//!
//! # Metric definitions (agree with trimesh 5.2)
//!
//! - vertices are welded when equal after rounding each coordinate to 1e-8;
//! - watertight: every undirected edge is used by exactly two faces;
//! - winding consistent: every edge used by exactly two faces is traversed once
//!   in each direction (edges used once or 3+ times are ignored);
//! - bodies: connected components of faces joined by edges used exactly twice;
//! - degenerate face: one of the heights over the two edges from its first
//!   vertex is at most 1e-8 (file units);
//! - volume: the signed divergence-theorem sum Σ cross_x·(x0+x1+x2)/6, reported
//!   as its absolute value (`volume_cm3`) with the sign kept in
//!   `signed_volume_cm3` and an `inside_out` finding when negative;
//! - manifold (ours): watertight, consistently wound, and no vertex where two
//!   shells touch (`non_manifold_vertices`).
//!
//! Units: 3MF declares its unit (confidence 1). STL and OBJ have none; the unit
//! is guessed from the largest bounding-box side with prior weights (mm 0.85,
//! in 0.07, m 0.04, cm 0.04) times a plausibility that is 1 for 8–300 mm
//! parts and falls off on a log scale outside, times the evidence of round
//! sides: when the sides become whole tenths of a millimetre in some units
//! only (3.93700788 × 25.4 = 100), each such unit gains the likelihood ratio
//! of that coincidence (see [`units::detect_from_sides`]). The decision's
//! basis is reported as [`UnitEvidence`] beside the confidence.
//! `UnitChoice::Fixed` overrides.
//!
//! # Printability checks
//!
//! Stable ids ([`Check::id`]), error = blocks an order: `build_volume` (error;
//! hint `scale_by` or `reorient`), `open_edges` (error), `non_manifold_edges`
//! (error), `inconsistent_winding` (error), `non_manifold_vertices`,
//! `inside_out`, `degenerate_faces`, `multiple_bodies`, `unit_suspect` (largest
//! side outside 1–1000 mm; hint `set_unit`), `thin_walls` (short ray casts
//! inwards from up to 2048 sampled faces, tested against every triangle in
//! one pass through a grid of the rays, no BVH, so memory follows the
//! samples; walls thinner than the material's `min_wall_mm`), `overhang` (downward faces within 45° of
//! horizontal, excluding those on the bed) — all warnings. Open edges, winding
//! and non-manifold edges are errors because the volume, and so the price, is
//! undefined for such meshes.
//!
//! # Estimates (with a material)
//!
//! A slicer's arithmetic on the mesh's layer sections, with the printer's
//! process ([`printer::PrinterProfile`]: 0.2 mm layers, 0.42 mm lines, 2
//! walls, 5 top and 3 bottom layers, speeds) and the material's infill, flow
//! and density. These are the numbers farm-slicing passes to PrusaSlicer, so
//! the slicer prints what the quote priced; the calibration factors in
//! `estimate.rs` are fitted against PrusaSlicer, and
//! `benches/quote_accuracy.sh` guards them (on the corpus and generated
//! shapes, per material: median absolute error 2 % of the grams, 90th
//! percentile 8 %, and 6–9 % of the hours without setup).
//!
//! - Sections: at the middle of every layer, the area and the outline length
//!   of the cut, from the triangles crossing the plane (no polygons built).
//! - Walls: `wall_loops` lines along the real outline, line spacing
//!   width − height × (1 − π/4) (PrusaSlicer's flow), less the corners
//!   ([`WALL_CORNER`]), or the whole section where it is thinner.
//! - Skins: where a section is not covered by the one `top_layers` above or
//!   `bottom_layers` below (an area difference: sections nest on most
//!   parts), inside the walls; × [`SKIN_FLOW`], and on slopes partly under
//!   the walls ([`SLOPE_SKIN_UNDER_WALLS`]).
//! - Infill: the rest × the material's `infill`, plus anchors along the
//!   outline ([`INFILL_ANCHOR`]).
//! - Supports: under faces flatter than [`SUPPORT_THRESHOLD_DEG`] facing
//!   down, a column to the bed; [`SUPPORT_INTERFACE_LAYERS`] solid layers
//!   under the overhang (× [`SUPPORT_INTERFACE_GROWTH`]),
//!   [`SUPPORT_BASE_FILL`] of the column below, and a sheath of
//!   [`SUPPORT_SHEATH`] lines along the overhang's outline (edges of one
//!   overhanging face) down to the bed. Assumes supports reach the bed
//!   (over-estimates supports that land on the part).
//! - `weight_g` = (walls + skins + infill) × density, `support_g` apart,
//!   `total_g` both (what the quote prices).
//! - `print_hours`: per layer, each kind of line's length / its speed (capped
//!   by the material's `max_flow_mm3_s`), plus acceleration
//!   ([`ACCEL_LENGTH`]), plus
//!   [`SEGMENT_S`] per outline segment, at least the minimum layer time (as
//!   far as [`MIN_SLOWDOWN_SPEED`] allows), plus the layer overhead; plus the
//!   printer's setup time. `reliable` is false for meshes that are not
//!   closed.
mod checks;
pub mod error;
mod estimate;
mod findings;
mod layers;
pub mod limits;
pub mod material;
mod measure;
mod mesh;
mod metrics;
mod parse;
pub mod printer;
mod report;
pub mod units;
mod walls;
mod weld;

pub use checks::CheckOptions;
pub use error::{Error, Location, Result};
pub use estimate::{
    ACCEL_LENGTH, Estimates, INFILL_ANCHOR, MIN_SLOWDOWN_SPEED, SEGMENT_S, SKIN_FLOW,
    SLOPE_SKIN_UNDER_WALLS, SUPPORT_BASE_FILL, SUPPORT_INTERFACE_GROWTH, SUPPORT_INTERFACE_LAYERS,
    SUPPORT_SHEATH, SUPPORT_SPACING_MM, SUPPORT_THRESHOLD_DEG, WALL_CORNER,
};
pub use findings::{Check, Finding, FixHint, Severity, SkippedCheck};
pub use limits::Limits;
pub use measure::Measurements;
pub use mesh::{Format, Mesh, ParseWarning, StlQuirk};
pub use metrics::{Metrics, RawMetrics};
pub use parse::{detect, parse, parse_as};
pub use report::{AnalyzeOptions, Report, analyze};
pub use units::{Unit, UnitChoice, UnitEvidence, UnitSource};
