//! `farm-designer`: the offline, deterministic designer.
