//! API key scopes (least privilege).
//!
//! A key carries a set of scopes; each endpoint requires one. A new key gets
//! every scope unless the caller names fewer. Jobs (`/v1/jobs`) are orders
//! created in one step, so they use the `orders:*` scopes.

use crate::error::{Error, FieldError};
use std::fmt;

/// One permission a key may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read files and their analysis (`GET /v1/files/{id}`).
    FilesRead,
    /// Upload files (presign, confirm, unit override).
    FilesWrite,
    /// Read quotes.
    QuotesRead,
    /// Create quotes.
    QuotesWrite,
    /// Read orders and jobs.
    OrdersRead,
    /// Place orders and jobs (spends money in live mode).
    OrdersWrite,
    /// Create, list and revoke API keys.
    KeysManage,
    /// Read the account's usage counters.
    UsageRead,
    /// Register, list, rotate and delete webhook endpoints; list their
    /// deliveries; redeliver events.
    WebhooksManage,
    /// Read the account's events (`GET /v1/events`).
    EventsRead,
    /// Start part generations, hold conversations and read credits (seed 002's
    /// `generate`; issue 14).
    Generate,
    /// Download generated parts (`POST /v1/exports`; seed 002's `export`).
    Export,
}

impl Scope {
    /// Every scope, in a stable order (the default for a new key).
    pub const ALL: [Scope; 12] = [
        Scope::FilesRead,
        Scope::FilesWrite,
        Scope::QuotesRead,
        Scope::QuotesWrite,
        Scope::OrdersRead,
        Scope::OrdersWrite,
        Scope::KeysManage,
        Scope::UsageRead,
        Scope::WebhooksManage,
        Scope::EventsRead,
        Scope::Generate,
        Scope::Export,
    ];

    /// The wire name, e.g. `files:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::FilesRead => "files:read",
            Scope::FilesWrite => "files:write",
            Scope::QuotesRead => "quotes:read",
            Scope::QuotesWrite => "quotes:write",
            Scope::OrdersRead => "orders:read",
            Scope::OrdersWrite => "orders:write",
            Scope::KeysManage => "keys:manage",
            Scope::UsageRead => "usage:read",
            Scope::WebhooksManage => "webhooks:manage",
            Scope::EventsRead => "events:read",
            Scope::Generate => "generate",
            Scope::Export => "export",
        }
    }

    /// Parses a wire name; `None` for anything not in [`Scope::ALL`].
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty, de-duplicated, sorted set of scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Every scope.
    pub fn all() -> Self {
        ScopeSet(Scope::ALL.to_vec())
    }

    /// Parses the names a caller sent (field `scopes`). Unknown names and an
    /// empty list are field errors naming the offending entry.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, Error> {
        if names.is_empty() {
            return Err(Error::invalid("scopes", "must name at least one scope"));
        }
        let mut errors = Vec::new();
        let mut scopes = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            match Scope::parse(name.as_ref()) {
                Some(s) => scopes.push(s),
                None => errors.push(FieldError::new(
                    format!("scopes[{i}]"),
                    format!(
                        "unknown scope `{}`; known scopes: {}",
                        name.as_ref(),
                        known_list()
                    ),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(Error::InvalidFields(errors));
        }
        scopes.sort();
        scopes.dedup();
        Ok(ScopeSet(scopes))
    }

    /// Reads the storage form (space-separated names). Unknown names written
    /// by a newer version are skipped rather than failing the request.
    pub fn from_storage(s: &str) -> Self {
        let mut scopes: Vec<Scope> = s.split_whitespace().filter_map(Scope::parse).collect();
        scopes.sort();
        scopes.dedup();
        ScopeSet(scopes)
    }

    /// The storage form: space-separated names.
    pub fn to_storage(&self) -> String {
        self.names().collect::<Vec<_>>().join(" ")
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// True when every scope of `other` is also in `self`.
    pub fn is_superset_of(&self, other: &ScopeSet) -> bool {
        other.0.iter().all(|s| self.0.contains(s))
    }

    /// The scopes of `other` that `self` lacks.
    pub fn missing_from(&self, other: &ScopeSet) -> Vec<Scope> {
        other
            .0
            .iter()
            .copied()
            .filter(|s| !self.0.contains(s))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|s| s.as_str())
    }
}

fn known_list() -> String {
    Scope::ALL
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_round_trips_through_its_name() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("files:delete"), None);
    }

    #[test]
    fn parse_sorts_and_dedups() {
        let set = ScopeSet::parse(&["quotes:write", "files:read", "quotes:write"]).expect("valid");
        assert_eq!(
            set.names().collect::<Vec<_>>(),
            ["files:read", "quotes:write"]
        );
    }

    #[test]
    fn unknown_and_empty_scopes_are_field_errors() {
        let err = ScopeSet::parse(&["files:read", "root"]).expect_err("root is unknown");
        match err {
            Error::InvalidFields(f) => {
                assert_eq!(f.len(), 1);
                assert_eq!(f[0].field, "scopes[1]");
                assert!(f[0].reason.contains("`root`"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(ScopeSet::parse::<&str>(&[]).is_err());
    }

    #[test]
    fn storage_form_round_trips_and_skips_unknown() {
        let all = ScopeSet::all();
        assert_eq!(ScopeSet::from_storage(&all.to_storage()), all);
        let some = ScopeSet::from_storage("files:read future:thing");
        assert_eq!(some.names().collect::<Vec<_>>(), ["files:read"]);
    }

    #[test]
    fn superset_and_missing() {
        let all = ScopeSet::all();
        let read = ScopeSet::parse(&["files:read"]).expect("valid");
        assert!(all.is_superset_of(&read));
        assert!(!read.is_superset_of(&all));
        assert_eq!(read.missing_from(&all).len(), Scope::ALL.len() - 1);
    }
}
