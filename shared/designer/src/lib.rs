//! `farm-designer`: the offline, deterministic designer.
//!
//! Reads an English prompt ("a 50 × 30 × 10 mm bracket with two M3 clearance
//! holes 40 mm apart") into a validated [`PartSpec`], listing every default it
//! filled in as an assumption and the checks the prompt implies as
//! requirements; follow-up turns ("5 mm thicker", "add a third hole", "make
//! the holes M4", "mirror it") patch the previous program. A prompt it
//! cannot map is refused with [`DesignError::UnsupportedPrompt`], naming
//! what it understood and what it lacks. No I/O; builds for `wasm32-wasip2`.
//!
//! Implementations of [`PartDesigner`] (this one, an LLM one) are
//! interchangeable: both produce the same part program. [`llm`] holds the
//! LLM designer's side of an OpenAI-compatible chat-completions exchange
//! (request bodies, tool-call parsing, the repair turn); the component does
//! the HTTP and falls back to this designer.

mod bracket;
mod build;
mod clip;
mod edit;
mod edit_fields;
mod edit_ops;
pub mod facts;
pub mod fasteners;
mod flat;
pub mod llm;
mod round;
mod summary;
pub mod text;
mod vocabulary;

use facts::Family;
use farm_partspec::{Assumption, Invalid, PartSpec, SPEC_VERSION};

pub use summary::summary;

/// Why a prompt produced no part.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DesignError {
    /// The designer cannot map the prompt to a part: `understood` lists what
    /// it read, `missing` what it would need.
    #[error("unsupported_prompt: understood [{}]; missing [{}]", .understood.join(", "), .missing.join(", "))]
    UnsupportedPrompt {
        understood: Vec<String>,
        missing: Vec<String>,
    },
    /// The prompt maps to a part that breaks a printer rule (the violations
    /// name the parameters).
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

impl DesignError {
    /// The stable error code for the API (`unsupported_prompt`, `invalid_part`).
    pub fn code(&self) -> &'static str {
        match self {
            DesignError::UnsupportedPrompt { .. } => "unsupported_prompt",
            DesignError::Invalid(_) => "invalid_part",
        }
    }
}

/// A designer's answer: the part program and a one-line summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub spec: PartSpec,
    pub summary: String,
}

/// Turns a prompt (and, in a conversation, the previous program) into a
/// part program. The offline designer and an LLM designer both implement it.
pub trait PartDesigner {
    fn design(&self, prompt: &str, previous: Option<&PartSpec>) -> Result<Design, DesignError>;
}

/// The deterministic, offline designer (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineDesigner;

impl PartDesigner for OfflineDesigner {
    fn design(&self, prompt: &str, previous: Option<&PartSpec>) -> Result<Design, DesignError> {
        match previous {
            Some(previous) => revise(previous, prompt),
            None => design(prompt),
        }
    }
}

/// Designs a new part from a prompt.
pub fn design(prompt: &str) -> Result<Design, DesignError> {
    let f = facts::read(prompt);
    let mut missing = Vec::new();
    if !f.unsupported.is_empty() {
        missing.push(format!(
            "support for {} (not a part family or feature we make)",
            f.unsupported.join(", ")
        ));
    }
    if f.family.is_none() {
        missing.push(
            "a part family: plate, L-bracket, angle bracket with gusset, box or enclosure, cylinder, rod, tube, \
             spacer, standoff, washer, flange, hook, knob, spur gear or cable clip"
                .to_string(),
        );
    }
    for number in &f.unattached {
        missing.push(format!("what the number {number} measures"));
    }
    let family = match (f.family, missing.is_empty()) {
        (Some(family), true) => family,
        _ => {
            return Err(DesignError::UnsupportedPrompt {
                understood: f.understood(),
                missing,
            });
        }
    };
    let mut c = build::Ctx::new(&f);
    let part = match family {
        Family::Plate => flat::plate(&mut c),
        Family::LBracket => bracket::bracket(&mut c, false),
        Family::AngleBracket => bracket::bracket(&mut c, true),
        Family::Box => flat::box_part(&mut c),
        Family::Hook => flat::hook(&mut c),
        Family::CableClip => clip::cable_clip(&mut c),
        Family::Cylinder => round::cylinder(&mut c),
        Family::Spacer => round::spacer(&mut c),
        Family::Standoff => round::standoff(&mut c),
        Family::Washer => round::washer(&mut c),
        Family::Flange => round::flange(&mut c),
        Family::Knob => round::knob(&mut c),
        Family::Gear => round::gear(&mut c),
    };
    let mut unused = c.unused();
    for (count, noun, owner) in [
        (f.teeth, "teeth", Family::Gear),
        (f.flutes, "flutes", Family::Knob),
        (f.gussets, "gussets", Family::AngleBracket),
    ] {
        if let Some(n) = count
            && family != owner
        {
            unused.push(format!("{n} {noun}"));
        }
    }
    if !unused.is_empty() {
        let family = f.family_word.clone();
        return Err(DesignError::UnsupportedPrompt {
            understood: f.understood(),
            missing: unused
                .into_iter()
                .map(|phrase| format!("what \"{phrase}\" means for a {family}"))
                .collect(),
        });
    }
    let mut assumptions = Vec::new();
    if f.unitless == Some(text::Unit::Mm) {
        assumptions.push(Assumption {
            parameter: "units".into(),
            value: "mm".into(),
            reason: "numbers without a unit are millimetres".into(),
        });
    }
    assumptions.extend(c.assumptions);
    let requirements = c.requirements;
    let spec = PartSpec {
        version: SPEC_VERSION,
        part,
        material: f.material,
        assumptions,
        requirements,
    };
    finish(spec)
}

/// Validates a program and wraps it with its summary.
fn finish(spec: PartSpec) -> Result<Design, DesignError> {
    spec.validate()?;
    let summary = summary(&spec);
    Ok(Design { spec, summary })
}

/// Applies a follow-up turn to the previous program.
pub fn revise(previous: &PartSpec, prompt: &str) -> Result<Design, DesignError> {
    let spec = edit::apply(previous, prompt)?;
    finish(spec)
}
