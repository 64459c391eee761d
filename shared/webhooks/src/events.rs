//! Event types partners can subscribe to (issue 13, seeds 000 and 001), and
//! an endpoint's `events` filter.

/// Every event type we emit or will emit, in the envelope's `type` field.
pub const EVENT_TYPES: &[&str] = &[
    "order.created",
    "order.paid",
    "order.queued",
    "order.status_changed",
    "order.in_production",
    "order.inspection",
    "order.print_failed",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
    "file.ready",
    "file.failed",
    "job.printing",
    "job.shipped",
    "generation.completed",
    "generation.failed",
];

/// The filter that subscribes to everything.
pub const ALL_EVENTS: &str = "*";

/// Checks an endpoint's `events` list: each entry a known type or `*`, at
/// least one, no duplicates. Returns the list sorted; `Err` names the first
/// bad entry.
pub fn parse_filter(entries: &[String]) -> Result<Vec<String>, String> {
    if entries.is_empty() {
        return Err("must list at least one event type (or \"*\" for all)".to_owned());
    }
    let mut out: Vec<String> = Vec::with_capacity(entries.len());
    for e in entries {
        if e != ALL_EVENTS && !EVENT_TYPES.contains(&e.as_str()) {
            return Err(format!(
                "{e:?} is not an event type; use \"*\" or one of {}",
                EVENT_TYPES.join(", ")
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// Whether an endpoint with `filter` receives events of type `kind`.
pub fn matches(filter: &[String], kind: &str) -> bool {
    filter.iter().any(|f| f == ALL_EVENTS || f == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn filters_accept_known_types_and_the_wildcard_only() {
        assert_eq!(
            parse_filter(&v(&["file.ready", "order.paid", "file.ready"])),
            Ok(v(&["file.ready", "order.paid"]))
        );
        assert_eq!(parse_filter(&v(&["*"])), Ok(v(&["*"])));
        assert!(parse_filter(&v(&[])).is_err());
        let err = parse_filter(&v(&["order.teleported"])).expect_err("unknown type");
        assert!(err.contains("order.teleported"), "{err}");
    }

    #[test]
    fn the_wildcard_matches_everything_and_a_list_only_its_types() {
        assert!(matches(&v(&["*"]), "job.shipped"));
        assert!(matches(&v(&["file.ready"]), "file.ready"));
        assert!(!matches(&v(&["file.ready"]), "file.failed"));
    }
}
