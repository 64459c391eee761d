//! Physical print parameters of the materials the farm prints, in one table.
//!
//! This table owns what the printer does with a material (density, shell,
//! infill, the thinnest wall that survives printing). Prices are not here: the
//! domain crate owns the price per gram and refers to these profiles by `id`.

/// How one material is printed on the farm's FDM printers.
///
/// All lengths are millimetres; `infill` is a fraction in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaterialProfile {
    /// Stable lowercase identifier, shared with the domain catalog.
    pub id: &'static str,
    /// Name a person reads.
    pub name: &'static str,
    /// Density of the solid filament in g/cm³.
    pub density_g_cm3: f64,
    /// Fraction of the interior filled by the sparse infill pattern (the
    /// slicer's `fill_density`).
    pub infill: f64,
    /// Most filament the hotend melts for this material, mm³/s: caps every
    /// print speed (the slicer's `filament_max_volumetric_speed`).
    pub max_flow_mm3_s: f64,
    /// Walls thinner than this do not print reliably in this material.
    pub min_wall_mm: f64,
}

/// Every material the farm prints. Walls and skins are the printer profile's
/// (crate::printer). Flexible TPU gets denser infill and a thicker minimum
/// wall because thin TPU walls buckle under the nozzle. Maximum flow: Bambu
/// Studio's filament presets for a 0.4 mm nozzle (PLA 21, PETG 12, ABS 16,
/// ASA 18, TPU 95A 3.6 mm³/s).
pub const ALL: &[MaterialProfile] = &[
    MaterialProfile {
        id: "pla",
        name: "PLA",
        density_g_cm3: 1.24,
        infill: 0.15,
        max_flow_mm3_s: 21.0,
        min_wall_mm: 0.8,
    },
    MaterialProfile {
        id: "petg",
        name: "PETG",
        density_g_cm3: 1.27,
        infill: 0.15,
        max_flow_mm3_s: 12.0,
        min_wall_mm: 0.8,
    },
    MaterialProfile {
        id: "abs",
        name: "ABS",
        density_g_cm3: 1.04,
        infill: 0.15,
        max_flow_mm3_s: 16.0,
        min_wall_mm: 0.8,
    },
    MaterialProfile {
        id: "asa",
        name: "ASA",
        density_g_cm3: 1.07,
        infill: 0.15,
        max_flow_mm3_s: 18.0,
        min_wall_mm: 0.8,
    },
    MaterialProfile {
        id: "tpu",
        name: "TPU 95A",
        density_g_cm3: 1.21,
        infill: 0.2,
        max_flow_mm3_s: 3.6,
        min_wall_mm: 1.2,
    },
];

/// Looks a material up by id, ignoring ASCII case (`"PLA"` finds `"pla"`).
pub fn profile(id: &str) -> Option<&'static MaterialProfile> {
    let id = id.trim();
    ALL.iter().find(|m| m.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_id_is_found_case_insensitively() {
        for id in ["pla", "PETG", "Abs", "asa", "tpu"] {
            let found = profile(id).map(|m| m.id);
            assert_eq!(found, Some(id.to_ascii_lowercase().as_str()));
        }
    }

    #[test]
    fn unknown_id_is_none() {
        assert!(profile("resin").is_none());
        assert!(profile("").is_none());
    }

    #[test]
    fn ids_are_unique_lowercase_and_values_physical() {
        for (i, m) in ALL.iter().enumerate() {
            assert_eq!(m.id, m.id.to_ascii_lowercase());
            assert!(
                ALL[i + 1..].iter().all(|o| o.id != m.id),
                "duplicate {}",
                m.id
            );
            assert!((0.9..1.5).contains(&m.density_g_cm3));
            assert!((0.0..=1.0).contains(&m.infill));
            assert!(m.max_flow_mm3_s > 0.0 && m.min_wall_mm > 0.0);
        }
    }
}
