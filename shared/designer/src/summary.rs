//! A one-line summary of a part program, for the generation's result.

use farm_partspec::{Part, PartSpec};

fn family_name(part: &Part) -> &'static str {
    match part {
        Part::Plate(_) => "plate",
        Part::LBracket(_) => "L-bracket",
        Part::AngleBracket(_) => "angle bracket with gusset",
        Part::Box(b) if b.lid.is_some() => "box with lid",
        Part::Box(_) => "open box",
        Part::Cylinder(c) if c.bore_diameter_mm.is_some() => "tube",
        Part::Cylinder(_) => "cylinder",
        Part::Spacer(_) => "spacer",
        Part::Standoff(_) => "hex standoff",
        Part::Washer(_) => "washer",
        Part::Flange(_) => "flange",
        Part::Hook(_) => "hook",
        Part::Knob(_) => "knob",
        Part::SpurGear(_) => "spur gear",
        Part::CableClip(_) => "cable clip",
    }
}

fn mm(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    format!("{r}")
}

/// "Created a 50×30×10 mm plate with 2 holes of 3.4 mm (M3 clearance)."
pub fn summary(spec: &PartSpec) -> String {
    let size = spec.part.bounding_box().size();
    let mut text = format!(
        "Created a {}×{}×{} mm {}",
        mm(size[0]),
        mm(size[1]),
        mm(size[2]),
        family_name(&spec.part)
    );
    if let Part::SpurGear(g) = &spec.part {
        text.push_str(&format!(" (module {}, {} teeth)", mm(g.module_mm), g.teeth));
    }
    let holes = spec.part.holes();
    if let Some(first) = holes.first() {
        let fastener = first
            .spec
            .fastener
            .as_ref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        text.push_str(&format!(
            " with {} hole{} of {} mm{fastener}",
            holes.len(),
            if holes.len() == 1 { "" } else { "s" },
            mm(first.spec.diameter_mm)
        ));
    }
    text.push('.');
    text
}
