//! `farm-inspection`: the simulated farm's inspection photos (issue 12,
//! item 3). A real farm photographs each finished part; the simulated farm
//! renders the actual part from its mesh instead, from several views, so
//! the photos a partner downloads show the part they ordered. A failed part
//! shows a defect a person can see (a layer shift, or stringing).
//!
//! [`render_views`] takes the mesh as vertices (mm) and triangles, and
//! returns one PNG per [`View`]. Deterministic: the same mesh, defect and
//! size give the same bytes.

mod raster;
mod views;

pub use raster::{BACKGROUND, Image};
pub use views::{DEFAULT_FILAMENT, Defect, Photo, View, render, render_views};
