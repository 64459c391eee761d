//! The slicer profiles, kept in this crate's `profiles/` folder as
//! PrusaSlicer `.ini` files and compiled in:
//!
//! - `printer/bambu-{p1s,x1c,a1}.ini`: one per printer model of the farm: a
//!   256 × 256 mm bed, 256 mm of height, a 0.4 mm nozzle, the machine's
//!   motion limits (for the time estimate) and start/end G-code;
//! - `filament/{pla,petg,abs,asa,tpu}.ini`: the material's nozzle and bed
//!   temperatures, fan and flow limit;
//! - `print/farm.ini`: speeds, accelerations and patterns.
//!
//! The settings the quote's estimate also uses (layer height, walls, top and
//! bottom layers, infill density, extrusion widths, filament density and
//! maximum flow, support threshold, spacing and interface, print speeds,
//! minimum layer time) are not in the files: [`shared_settings`] derives them from
//! mesh-engine's printer and material profiles and passes them to the slicer
//! last, so the slicer and the estimate read the same numbers from one place.

use mesh_engine::{
    SUPPORT_INTERFACE_LAYERS, SUPPORT_SPACING_MM, SUPPORT_THRESHOLD_DEG, material, printer,
};

use crate::{Error, Result};

/// Nozzle diameter of every printer of the farm, mm.
pub const NOZZLE_DIAMETER_MM: f64 = 0.4;

/// The farm's Bambu Lab printer models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrinterModel {
    P1S,
    X1C,
    A1,
}

impl PrinterModel {
    /// Every model, in a fixed order.
    pub const ALL: [PrinterModel; 3] = [PrinterModel::P1S, PrinterModel::X1C, PrinterModel::A1];

    /// Stable lowercase code: `p1s`, `x1c`, `a1`.
    pub fn code(self) -> &'static str {
        match self {
            PrinterModel::P1S => "p1s",
            PrinterModel::X1C => "x1c",
            PrinterModel::A1 => "a1",
        }
    }

    /// Parses a code or Bambu's model name, any case (`P1S`, `x1c`,
    /// `X1 Carbon`, `A1`).
    pub fn parse(s: &str) -> Option<PrinterModel> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-', '_'], "");
        Some(match s.as_str() {
            "p1s" => PrinterModel::P1S,
            "x1c" | "x1carbon" => PrinterModel::X1C,
            "a1" => PrinterModel::A1,
            _ => return None,
        })
    }

    /// The model id Bambu Studio writes into `slice_info.config`
    /// (`printer_model_id`) and its machine profiles (`model_id`).
    pub fn bambu_model_id(self) -> &'static str {
        match self {
            PrinterModel::P1S => "C12",
            PrinterModel::X1C => "BL-P001",
            PrinterModel::A1 => "N2S",
        }
    }

    /// The printer profile (`profiles/printer/bambu-<code>.ini`).
    pub fn printer_ini(self) -> &'static str {
        match self {
            PrinterModel::P1S => include_str!("../profiles/printer/bambu-p1s.ini"),
            PrinterModel::X1C => include_str!("../profiles/printer/bambu-x1c.ini"),
            PrinterModel::A1 => include_str!("../profiles/printer/bambu-a1.ini"),
        }
    }
}

impl std::fmt::Display for PrinterModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The print profile shared by every model (`profiles/print/farm.ini`).
pub const PRINT_INI: &str = include_str!("../profiles/print/farm.ini");

/// A material's slicer profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Filament {
    /// mesh-engine's material id.
    pub material_id: &'static str,
    /// Bambu's filament type name (`slice_info.config`).
    pub bambu_type: &'static str,
    /// `profiles/filament/<id>.ini`.
    pub ini: &'static str,
}

/// Every material the farm prints, with its profile.
pub const FILAMENTS: &[Filament] = &[
    Filament {
        material_id: "pla",
        bambu_type: "PLA",
        ini: include_str!("../profiles/filament/pla.ini"),
    },
    Filament {
        material_id: "petg",
        bambu_type: "PETG",
        ini: include_str!("../profiles/filament/petg.ini"),
    },
    Filament {
        material_id: "abs",
        bambu_type: "ABS",
        ini: include_str!("../profiles/filament/abs.ini"),
    },
    Filament {
        material_id: "asa",
        bambu_type: "ASA",
        ini: include_str!("../profiles/filament/asa.ini"),
    },
    Filament {
        material_id: "tpu",
        bambu_type: "TPU",
        ini: include_str!("../profiles/filament/tpu.ini"),
    },
];

/// The filament profile of a material id (any case).
///
/// Errors: [`Error::UnknownMaterial`].
pub fn filament(material_id: &str) -> Result<&'static Filament> {
    FILAMENTS
        .iter()
        .find(|f| f.material_id.eq_ignore_ascii_case(material_id.trim()))
        .ok_or_else(|| Error::UnknownMaterial(material_id.to_string()))
}

/// The settings the quote's estimate shares with the slicer, as PrusaSlicer
/// `key = value` pairs, from mesh-engine's printer profile (the farm's Bambu
/// profile) and the material's profile.
///
/// Errors: [`Error::UnknownMaterial`] when mesh-engine has no such material.
pub fn shared_settings(material_id: &str) -> Result<Vec<(&'static str, String)>> {
    let m = material::profile(material_id)
        .ok_or_else(|| Error::UnknownMaterial(material_id.to_string()))?;
    let p = printer::BAMBU_256;
    let v = p.speeds;
    let w = p.line_width_mm.to_string();
    let mut out = vec![
        ("layer_height", p.layer_height_mm.to_string()),
        ("first_layer_height", p.layer_height_mm.to_string()),
        ("perimeters", p.wall_loops.to_string()),
        ("top_solid_layers", p.top_layers.to_string()),
        ("bottom_solid_layers", p.bottom_layers.to_string()),
        ("top_solid_min_thickness", "0".into()),
        ("bottom_solid_min_thickness", "0".into()),
        ("fill_density", format!("{}%", m.infill * 100.0)),
        ("filament_density", m.density_g_cm3.to_string()),
        (
            "filament_max_volumetric_speed",
            m.max_flow_mm3_s.to_string(),
        ),
        ("extrusion_multiplier", "1".into()),
        (
            "support_material_threshold",
            SUPPORT_THRESHOLD_DEG.to_string(),
        ),
        ("support_material_spacing", SUPPORT_SPACING_MM.to_string()),
        (
            "support_material_interface_layers",
            SUPPORT_INTERFACE_LAYERS.to_string(),
        ),
        ("external_perimeter_speed", v.outer_wall.to_string()),
        ("perimeter_speed", v.inner_wall.to_string()),
        ("infill_speed", v.sparse_infill.to_string()),
        ("solid_infill_speed", v.solid_infill.to_string()),
        ("top_solid_infill_speed", v.top_surface.to_string()),
        ("support_material_speed", v.support.to_string()),
        ("first_layer_speed", v.first_layer.to_string()),
        ("travel_speed", v.travel.to_string()),
        ("slowdown_below_layer_time", p.min_layer_time_s.to_string()),
    ];
    for key in [
        "extrusion_width",
        "first_layer_extrusion_width",
        "perimeter_extrusion_width",
        "external_perimeter_extrusion_width",
        "infill_extrusion_width",
        "solid_infill_extrusion_width",
        "top_infill_extrusion_width",
        "support_material_extrusion_width",
    ] {
        out.push((key, w.clone()));
    }
    Ok(out)
}

/// Writes `key = value` lines (a PrusaSlicer config file).
pub(crate) fn ini(settings: &[(&'static str, String)]) -> String {
    settings
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_material_of_the_estimate_has_a_filament_profile() {
        for m in material::ALL {
            let f = filament(m.id).expect("a profile per material");
            assert!(f.ini.contains("temperature = "), "{}", m.id);
        }
    }

    #[test]
    fn the_shared_settings_are_set_in_no_profile_file() {
        // One place for each number: a key the estimate shares must not be
        // set (and silently overridden) in a file.
        let shared = shared_settings("pla").expect("pla");
        let files = FILAMENTS
            .iter()
            .map(|f| f.ini)
            .chain(PrinterModel::ALL.iter().map(|m| m.printer_ini()))
            .chain([PRINT_INI]);
        for file in files {
            for line in file.lines() {
                let key = line.split('=').next().unwrap_or("").trim();
                assert!(
                    !shared.iter().any(|(k, _)| *k == key),
                    "{key} is set in a profile file and by shared_settings"
                );
            }
        }
    }

    #[test]
    fn printer_profiles_have_the_farm_bed_and_nozzle() {
        for model in PrinterModel::ALL {
            let ini = model.printer_ini();
            assert!(
                ini.contains("bed_shape = 0x0,256x0,256x256,0x256"),
                "{model}"
            );
            assert!(ini.contains("nozzle_diameter = 0.4\n"), "{model}");
            assert!(ini.contains("max_print_height = 256\n"), "{model}");
            assert_eq!(PrinterModel::parse(model.code()), Some(model));
        }
    }
}
