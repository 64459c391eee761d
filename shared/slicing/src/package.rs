//! A plate's G-code packaged as a Bambu `.gcode.3mf`: the file a Bambu
//! printer receives by FTPS and starts with the `project_file` command.
//!
//! Layout, as Bambu Studio writes a sliced plate ("export plate sliced
//! file"): an OPC/3MF zip with no geometry, the G-code and its metadata.
//!
//! ```text
//! [Content_Types].xml                       OPC content types
//! _rels/.rels                               -> /3D/3dmodel.model
//! 3D/3dmodel.model                          empty 3MF model (no mesh)
//! Metadata/plate_1.gcode                    the G-code
//! Metadata/plate_1.gcode.md5                its MD5, 32 uppercase hex digits
//! Metadata/model_settings.config            the plate (plater_id 1, gcode_file)
//! Metadata/_rels/model_settings.config.rels -> /Metadata/plate_1.gcode
//! Metadata/slice_info.config                printer model id, nozzle,
//!                                           prediction (s), weight (g), the
//!                                           filament and the objects
//! ```
//!
//! The printer checks the G-code against the MD5 before printing. Thumbnails
//! (`Metadata/plate_1.png`) are optional for printing and left out: the
//! slicer runs headless. Bambu Studio's full `project_settings.config` (its
//! own slicer settings, several hundred keys) is not written: printers print
//! from the G-code; Bambu Connect (the cloud middleware) wants it, LAN mode
//! does not.

use std::io::{Cursor, Write};

use md5::{Digest, Md5};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::profiles::PrinterModel;
use crate::{GcodeStats, Plate, Result};

/// Path of the G-code inside the package.
pub const GCODE_PATH: &str = "Metadata/plate_1.gcode";
/// Path of the G-code's MD5 inside the package.
pub const GCODE_MD5_PATH: &str = "Metadata/plate_1.gcode.md5";

/// What `slice_info.config` says about the plate.
#[derive(Debug, Clone, PartialEq)]
pub struct PlateMetadata {
    pub printer: PrinterModel,
    /// Nozzle diameter, mm (0.4 on the farm's printers).
    pub nozzle_diameter_mm: f64,
    /// Bambu's filament type name: `PLA`, `PETG`, `ABS`, `ASA`, `TPU`.
    pub filament_type: String,
    /// `#RRGGBB`.
    pub filament_colour: String,
    /// Filament, grams (the slicer's figure).
    pub weight_g: f64,
    /// Filament length, metres.
    pub filament_used_m: f64,
    /// Estimated print time, seconds (Bambu's `prediction`).
    pub prediction_s: u64,
    /// The parts on the plate, by the caller's id.
    pub objects: Vec<String>,
}

impl PlateMetadata {
    /// The metadata of a sliced plate: its printer, the material's Bambu
    /// filament type, the slicer's figures and the part ids.
    pub fn for_plate(plate: &Plate, stats: &GcodeStats) -> Result<PlateMetadata> {
        let filament = crate::profiles::filament(&plate.material)?;
        Ok(PlateMetadata {
            printer: plate.printer,
            nozzle_diameter_mm: crate::profiles::NOZZLE_DIAMETER_MM,
            filament_type: filament.bambu_type.to_string(),
            filament_colour: "#FFFFFF".to_string(),
            weight_g: stats.filament_g,
            filament_used_m: stats.filament_mm / 1000.0,
            prediction_s: stats.print_s.round() as u64,
            objects: plate.parts.iter().map(|p| p.part_id.clone()).collect(),
        })
    }
}

/// Packages G-code as a Bambu `.gcode.3mf` (layout in the module docs).
/// Deterministic: the same input gives the same bytes (fixed timestamps).
///
/// Errors: [`crate::Error::Package`] when the zip cannot be written.
pub fn package_gcode_3mf(gcode: &[u8], meta: &PlateMetadata) -> Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let mut put = |path: &str, bytes: &[u8]| -> Result<()> {
        zip.start_file(path, options)?;
        zip.write_all(bytes).map_err(|source| crate::Error::Io {
            context: "writing the .gcode.3mf",
            source,
        })?;
        Ok(())
    };
    put("[Content_Types].xml", CONTENT_TYPES.as_bytes())?;
    put("_rels/.rels", ROOT_RELS.as_bytes())?;
    put("3D/3dmodel.model", EMPTY_MODEL.as_bytes())?;
    put(GCODE_PATH, gcode)?;
    put(GCODE_MD5_PATH, md5_upper_hex(gcode).as_bytes())?;
    put("Metadata/model_settings.config", MODEL_SETTINGS.as_bytes())?;
    put(
        "Metadata/_rels/model_settings.config.rels",
        MODEL_SETTINGS_RELS.as_bytes(),
    )?;
    put("Metadata/slice_info.config", slice_info(meta).as_bytes())?;
    let cursor = zip.finish()?;
    Ok(cursor.into_inner())
}

/// MD5 of the bytes as 32 uppercase hex digits (what Bambu Studio writes).
pub fn md5_upper_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
 <Default Extension="png" ContentType="image/png"/>
 <Default Extension="gcode" ContentType="text/x.gcode"/>
</Types>
"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel-1" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>
"#;

const EMPTY_MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02" xmlns:BambuStudio="http://schemas.bambulab.com/package/2021">
 <metadata name="Application">farm-slicing</metadata>
 <metadata name="BambuStudio:3mfVersion">1</metadata>
 <resources>
 </resources>
 <build/>
</model>
"#;

const MODEL_SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<config>
  <plate>
    <metadata key="plater_id" value="1"/>
    <metadata key="plater_name" value=""/>
    <metadata key="locked" value="false"/>
    <metadata key="gcode_file" value="Metadata/plate_1.gcode"/>
    <metadata key="thumbnail_file" value="Metadata/plate_1.png"/>
    <metadata key="pattern_bbox_file" value="Metadata/plate_1.json"/>
  </plate>
</config>
"#;

const MODEL_SETTINGS_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/Metadata/plate_1.gcode" Id="rel-1" Type="http://schemas.bambulab.com/package/2021/gcode"/>
</Relationships>
"#;

fn slice_info(meta: &PlateMetadata) -> String {
    let mut objects = String::new();
    for (i, id) in meta.objects.iter().enumerate() {
        objects.push_str(&format!(
            "    <object identify_id=\"{}\" name=\"{}\" skipped=\"false\"/>\n",
            i + 1,
            xml_escape(id)
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<config>
  <header>
    <header_item key="X-BBL-Client-Type" value="slicer"/>
    <header_item key="X-BBL-Client-Version" value="01.00.00.00"/>
  </header>
  <plate>
    <metadata key="index" value="1"/>
    <metadata key="printer_model_id" value="{model_id}"/>
    <metadata key="nozzle_diameters" value="{nozzle}"/>
    <metadata key="timelapse_type" value="0"/>
    <metadata key="prediction" value="{prediction}"/>
    <metadata key="weight" value="{weight:.2}"/>
    <metadata key="outside" value="false"/>
    <metadata key="support_used" value="false"/>
    <metadata key="label_object_enabled" value="true"/>
{objects}    <filament id="1" type="{ftype}" color="{colour}" used_m="{used_m:.2}" used_g="{weight:.2}"/>
  </plate>
</config>
"#,
        model_id = meta.printer.bambu_model_id(),
        nozzle = meta.nozzle_diameter_mm,
        prediction = meta.prediction_s,
        weight = meta.weight_g,
        ftype = xml_escape(&meta.filament_type),
        colour = xml_escape(&meta.filament_colour),
        used_m = meta.filament_used_m,
    )
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
