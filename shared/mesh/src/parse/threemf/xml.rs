//! XML rules of the 3MF model part: attributes unique per element, and the
//! extensions a part requires (3MF core §2.3.1).

use quick_xml::events::BytesStart;

use super::model::Ctx;
use crate::error::{Error, Result};

/// Extensions whose required use we honour: materials and properties (colours
/// do not change the geometry), production (`p:path` parts, read), and beam
/// lattice as long as no beams are present (a beam's material is not in the
/// mesh, so a part with beams is refused rather than under-weighed).
pub(super) const MATERIALS_NS: &str =
    "http://schemas.microsoft.com/3dmanufacturing/material/2015/02";
pub(super) const PRODUCTION_NS: &str =
    "http://schemas.microsoft.com/3dmanufacturing/production/2015/06";
pub(super) const BEAM_LATTICE_NS: &str =
    "http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02";
const CORE_NS: &str = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02";
const SUPPORTED_NS: [&str; 4] = [CORE_NS, MATERIALS_NS, PRODUCTION_NS, BEAM_LATTICE_NS];

/// Calls `f(local name, qualified name, value)` for each attribute of `e`. An attribute that
/// appears twice makes the XML malformed (XML 1.0 §3.1, "Unique Att Spec"):
/// refused, never resolved by taking one of them.
pub(super) fn each_attr(
    ctx: &Ctx<'_>,
    e: &BytesStart<'_>,
    mut f: impl FnMut(&[u8], &[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    // Element attributes are few; a fixed array avoids an allocation per element.
    let mut seen: [&[u8]; 16] = [&[]; 16];
    let mut more: Vec<Vec<u8>> = Vec::new();
    for (n, attr) in e.attributes().with_checks(false).enumerate() {
        let attr = attr.map_err(|err| ctx.err(format!("malformed XML attribute: {err}")))?;
        let key: &[u8] = attr.key.into_inner();
        let earlier = seen[..n.min(16)].contains(&key) || more.iter().any(|k| k == key);
        if earlier {
            return Err(ctx.err(format!(
                "malformed XML: attribute `{}` appears twice on <{}>",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(e.name().as_ref())
            )));
        }
        if n < 16 {
            seen[n] = key;
        } else {
            more.push(key.to_vec());
        }
        f(attr.key.local_name().into_inner(), key, &attr.value)?;
    }
    Ok(())
}

/// Reads `requiredextensions` against the namespaces declared on `<model>`:
/// every prefix must be declared (3MF core §2.3.1) and name an extension we
/// implement.
pub(super) fn required_extensions(
    part: &str,
    declared: &[(Vec<u8>, String)],
    value: &[u8],
) -> Result<Vec<String>> {
    let text = String::from_utf8_lossy(value);
    let mut out = Vec::new();
    for prefix in text.split_ascii_whitespace() {
        let Some((_, ns)) = declared.iter().find(|(p, _)| p == prefix.as_bytes()) else {
            return Err(Error::UnsupportedRequiredExtension {
                part: part.to_owned(),
                extension: prefix.to_owned(),
                reason: format!(
                    "prefix `{prefix}` in requiredextensions is not declared with xmlns:{prefix}"
                ),
            });
        };
        if !SUPPORTED_NS.contains(&ns.as_str()) {
            return Err(Error::UnsupportedRequiredExtension {
                part: part.to_owned(),
                extension: ns.clone(),
                reason: format!("required extension `{prefix}` ({ns}) is not supported"),
            });
        }
        out.push(ns.clone());
    }
    Ok(out)
}
