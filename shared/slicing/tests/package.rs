//! The `.gcode.3mf` package, read back with the zip crate.

use std::io::Read;

use farm_slicing::{PlateMetadata, PrinterModel, package_gcode_3mf};

fn meta() -> PlateMetadata {
    PlateMetadata {
        printer: PrinterModel::P1S,
        nozzle_diameter_mm: 0.4,
        filament_type: "PLA".into(),
        filament_colour: "#FFFFFF".into(),
        weight_g: 12.345,
        filament_used_m: 4.1,
        prediction_s: 3723,
        objects: vec!["part-1".into(), "part <2> & \"3\"".into()],
    }
}

fn entry(package: &[u8], name: &str) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package))?;
    let mut file = zip.by_name(name)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[test]
fn the_gcode_is_stored_with_its_md5_as_bambu_studio_writes_it() -> anyhow::Result<()> {
    // RFC 1321's test vector: MD5("abc").
    let package = package_gcode_3mf(b"abc", &meta())?;
    assert_eq!(entry(&package, "Metadata/plate_1.gcode")?, b"abc");
    assert_eq!(
        entry(&package, "Metadata/plate_1.gcode.md5")?,
        b"900150983CD24FB0D6963F7D28E17F72"
    );
    Ok(())
}

#[test]
fn the_package_has_the_files_a_bambu_printer_reads() -> anyhow::Result<()> {
    let package = package_gcode_3mf(b"G28\n", &meta())?;
    let zip = zip::ZipArchive::new(std::io::Cursor::new(&package))?;
    let mut names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.to_string()))
        .collect::<Result<_, _>>()?;
    names.sort();
    assert_eq!(
        names,
        [
            "3D/3dmodel.model",
            "Metadata/_rels/model_settings.config.rels",
            "Metadata/model_settings.config",
            "Metadata/plate_1.gcode",
            "Metadata/plate_1.gcode.md5",
            "Metadata/slice_info.config",
            "[Content_Types].xml",
            "_rels/.rels",
        ]
    );
    let rels = String::from_utf8(entry(
        &package,
        "Metadata/_rels/model_settings.config.rels",
    )?)?;
    assert!(rels.contains("Target=\"/Metadata/plate_1.gcode\""));
    let settings = String::from_utf8(entry(&package, "Metadata/model_settings.config")?)?;
    assert!(settings.contains("key=\"gcode_file\" value=\"Metadata/plate_1.gcode\""));
    Ok(())
}

#[test]
fn slice_info_carries_the_model_the_figures_and_escaped_part_ids() -> anyhow::Result<()> {
    let package = package_gcode_3mf(b"G28\n", &meta())?;
    let info = String::from_utf8(entry(&package, "Metadata/slice_info.config")?)?;
    assert!(info.contains("key=\"printer_model_id\" value=\"C12\""));
    assert!(info.contains("key=\"prediction\" value=\"3723\""));
    assert!(info.contains("key=\"weight\" value=\"12.35\""));
    assert!(info.contains("type=\"PLA\""));
    assert!(info.contains("name=\"part &lt;2&gt; &amp; &quot;3&quot;\""));
    Ok(())
}

#[test]
fn packaging_is_deterministic() -> anyhow::Result<()> {
    assert_eq!(
        package_gcode_3mf(b"G28\n", &meta())?,
        package_gcode_3mf(b"G28\n", &meta())?
    );
    Ok(())
}
