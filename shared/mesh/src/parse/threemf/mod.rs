//! 3MF: an OPC zip package whose model part(s) hold the geometry.
//!
//! The package is read with explicit bounds: number of entries, total bytes
//! decompressed, and the decompressed/compressed ratio of every part read (a
//! zip bomb stops after at most `compressed × ratio` bytes). The build is
//! expanded with every item's and component's transform; a mirroring transform
//! flips the triangle winding so volumes stay positive, as trimesh does.

mod build;
mod model;
mod xml;

use std::collections::HashMap;
use std::io::{Cursor, Read};

use build::{Output, Role, emit, expansion};
use model::{Model, parse_model, root_model_target};

use crate::error::{Error, Location, Result};
use crate::limits::Limits;
use crate::mesh::{Format, Mesh, ParseWarning};
use crate::units::Unit;
use crate::weld::Welder;

const DEFAULT_MODEL: &str = "3D/3dmodel.model";
/// Parts smaller than this are not held to the compression ratio: tiny XML
/// files legitimately compress very well.
const RATIO_FREE_BYTES: u64 = 1 << 20;
/// Most model parts (production extension) a package may pull in.
const MAX_PARTS: usize = 256;

struct Package<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// Decompressed bytes still allowed, of `total`.
    budget: u64,
    total: u64,
    ratio: u64,
}

impl<'a> Package<'a> {
    fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Error::Zip {
            message: e.to_string(),
        })?;
        if zip.len() as u64 > u64::from(limits.max_zip_entries) {
            return Err(Error::Zip {
                message: format!(
                    "{} entries, over the limit of {}",
                    zip.len(),
                    limits.max_zip_entries
                ),
            });
        }
        Ok(Package {
            zip,
            budget: limits.max_uncompressed_bytes,
            total: limits.max_uncompressed_bytes,
            ratio: u64::from(limits.max_compression_ratio),
        })
    }

    /// Reads a part by name (leading `/` optional, case-insensitive fallback);
    /// `None` when absent.
    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        let name = name.trim_start_matches('/');
        let index = match self.zip.index_for_name(name) {
            Some(i) => i,
            None => {
                let found = self
                    .zip
                    .file_names()
                    .filter_map(|n| n.ok())
                    .position(|n| n.trim_start_matches('/').eq_ignore_ascii_case(name));
                match found {
                    // file_names() iterates in index order.
                    Some(i) => i,
                    None => return Ok(None),
                }
            }
        };
        let zip_err = |e: zip::result::ZipError| Error::Zip {
            message: e.to_string(),
        };
        let mut file = self.zip.by_index(index).map_err(zip_err)?;
        let compressed = file.compressed_size();
        let by_ratio = compressed.saturating_mul(self.ratio).max(RATIO_FREE_BYTES);
        let allowed = by_ratio.min(self.budget);
        let too_much = |got: u64| {
            if got > by_ratio {
                Error::CompressionRatio {
                    name: name.to_owned(),
                    ratio: got as f64 / compressed.max(1) as f64,
                    limit: self.ratio as f64,
                }
            } else {
                Error::EntryTooLarge {
                    name: name.to_owned(),
                    limit: self.total,
                }
            }
        };
        // The directory's declared size refuses an honest bomb before any
        // inflating; a dishonest one is stopped by the bounded read below.
        if file.size() > allowed {
            return Err(too_much(file.size()));
        }
        // Sized from the declaration (at most `allowed`), so an honest entry
        // is read without the Vec doubling.
        let mut out = Vec::with_capacity(file.size() as usize);
        (&mut file)
            .take(allowed + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::Zip {
                message: format!("reading {name}: {e}"),
            })?;
        let got = out.len() as u64;
        if got > allowed {
            return Err(too_much(got));
        }
        self.budget -= got;
        Ok(Some(out))
    }
}

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Mesh> {
    let mut pkg = Package::open(bytes, limits)?;
    let root = match pkg.read("_rels/.rels")? {
        Some(rels) => root_model_target(&rels).unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
        None => DEFAULT_MODEL.to_owned(),
    };
    let cap = limits.triangle_cap();
    let depth = limits.max_nesting_depth;
    let root_bytes = pkg.read(&root)?.ok_or_else(|| Error::MissingModel {
        looked_for: root.clone(),
    })?;
    let root_model = parse_model(&root_bytes, &root, cap, depth.saturating_add(8))?;
    drop(root_bytes);
    let unit = root_model.unit.unwrap_or(Unit::Millimeter);
    let mut models: HashMap<String, Model> = HashMap::new();
    models.insert(root.clone(), root_model);
    load_referenced_parts(&mut pkg, &mut models, &root, cap, depth)?;

    let mut out = Output {
        welder: Welder::with_capacity(1024),
        triangles: Vec::new(),
        remap: Vec::new(),
        touched: Vec::new(),
        cap,
        visits: 0,
        max_visits: limits.max_instances,
        max_depth: depth,
        supports: Vec::new(),
        support_triangles: 0,
        support_volume: 0.0,
        others: Vec::new(),
        empty: Vec::new(),
        root: root.clone(),
    };
    let items = models[&root].build.clone();
    // Count what the build expands to before emitting anything: a component
    // tree that multiplies is refused in time linear in its objects.
    let mut memo = HashMap::new();
    let (mut instances, mut triangles) = (0u64, 0u64);
    for item in &items {
        let part = item.path.as_deref().unwrap_or(&root);
        let e = expansion(&models, part, item, 0, depth, &mut memo)?;
        instances = instances.saturating_add(e.instances);
        triangles = triangles.saturating_add(e.triangles);
        let at = || Location::Part {
            part: part.to_owned(),
            offset: item.offset,
        };
        if instances > limits.max_instances {
            return Err(Error::TooManyInstances {
                limit: limits.max_instances,
                at: at(),
            });
        }
        if triangles > cap {
            return Err(Error::TooManyTriangles {
                limit: cap,
                at: at(),
            });
        }
    }
    for item in &items {
        let part = item.path.clone().unwrap_or_else(|| root.clone());
        emit(
            &models,
            &part,
            item,
            &item.transform,
            0,
            Role::Part,
            &mut out,
        )?;
    }
    let mut warnings = Vec::new();
    if !out.supports.is_empty() {
        warnings.push(ParseWarning::ThreeMfSupportObjects {
            objects: out.supports,
            triangles: out.support_triangles,
            volume: out.support_volume.abs(),
        });
    }
    if !out.others.is_empty() {
        warnings.push(ParseWarning::ThreeMfOtherObjectsExcluded {
            objects: out.others,
        });
    }
    if !out.empty.is_empty() {
        warnings.push(ParseWarning::ThreeMfEmptyObjects { objects: out.empty });
    }
    Mesh::new(
        Format::ThreeMf,
        out.welder.into_vertices(),
        out.triangles,
        Some(unit),
        warnings,
    )
}

/// Loads every model part reachable through `p:path` references.
fn load_referenced_parts(
    pkg: &mut Package<'_>,
    models: &mut HashMap<String, Model>,
    root: &str,
    cap: u64,
    depth: u32,
) -> Result<()> {
    let mut queue = vec![root.to_owned()];
    while let Some(part) = queue.pop() {
        let model = &models[&part];
        let paths: Vec<(String, u64)> = model
            .build
            .iter()
            .chain(model.objects.values().flat_map(|o| o.components.iter()))
            .filter_map(|r| r.path.clone().map(|p| (p, r.offset)))
            .collect();
        for (path, offset) in paths {
            if models.contains_key(&path) {
                continue;
            }
            if models.len() >= MAX_PARTS {
                return Err(Error::Model {
                    part,
                    offset,
                    message: format!("references more than {MAX_PARTS} model parts"),
                });
            }
            let bytes = pkg.read(&path)?.ok_or_else(|| Error::Model {
                part: part.clone(),
                offset,
                message: format!("referenced part {path:?} is not in the package"),
            })?;
            models.insert(
                path.clone(),
                parse_model(&bytes, &path, cap, depth.saturating_add(8))?,
            );
            queue.push(path);
        }
    }
    Ok(())
}
