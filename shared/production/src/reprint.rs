//! What happens to a part that failed (issue 12, item 4): "failed prints
//! are re-queued automatically and never ship" (seed 000).

/// Failures of one part after which its order is flagged for a person
/// instead of printing it again (issue 12: "after three failures of one
/// part the order is flagged").
pub const MAX_FAILURES_PER_PART: u32 = 3;

/// Why a part failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The printer stopped the task (0x0300_4xxx) or a fault was not recovered.
    Print,
    /// The finished part did not pass inspection.
    Inspection,
}

/// What to do with a part after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Back in the queue, at the front, as attempt `attempt` (1-based count
    /// of failures so far).
    Requeue { attempt: u32 },
    /// Out of attempts: the order needs a person; the part is not printed
    /// again and the order does not ship.
    FlagOrder { failures: u32 },
}

/// The decision after the part's `failures_before` earlier failures and
/// this one. A farm-initiated cancel is not a failure and never comes here.
pub fn after_failure(failures_before: u32, _why: Failure) -> Next {
    let failures = failures_before.saturating_add(1);
    if failures >= MAX_FAILURES_PER_PART {
        Next::FlagOrder { failures }
    } else {
        Next::Requeue { attempt: failures }
    }
}

/// The failures of a part that count toward [`MAX_FAILURES_PER_PART`]: those
/// since a person last re-queued it after it gave up (`set_aside`, its
/// failures then). The person's re-queue gives the part the automatic
/// policy's attempts again; its attempt count keeps every failure.
pub fn counted_failures(failures: u32, set_aside: u32) -> u32 {
    failures.saturating_sub(set_aside)
}

/// Longest [`PrintCause::reason`] kept, in characters: the gateway's
/// reasons are one line ("the printer stopped the print (print_error
/// 0x03004000)"); anything longer is cut, since it is shown to anyone
/// holding the tracking link.
pub const MAX_REASON_CHARS: usize = 200;

/// Why a print failed, as the gateway reported it on the plate's
/// `task_failed` (or `needs_attention` for a lost plate) event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrintCause {
    /// The printer's `print_error` (Bambu's MQTT report field, e.g.
    /// 0x0300_4000: the task stopped); `None` when the plate was lost or
    /// the printer gave no code.
    pub print_error: Option<u32>,
    /// The gateway's one-line reason, at most [`MAX_REASON_CHARS`].
    pub reason: Option<String>,
}

impl PrintCause {
    /// From an event's `detail` fields `print_error` and `reason`, as
    /// parsed: a code that is zero or not a 32-bit unsigned integer, or a
    /// reason that is blank, is left out rather than refused, since the
    /// print has failed either way.
    pub fn new(print_error: Option<u64>, reason: Option<&str>) -> Self {
        let print_error = print_error
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n != 0);
        let reason = reason
            .map(|r| r.trim().chars().take(MAX_REASON_CHARS).collect::<String>())
            .filter(|r| !r.is_empty());
        Self {
            print_error,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_print_cause_keeps_a_real_code_and_a_short_reason() {
        let cause = PrintCause::new(Some(0x0300_4000), Some(" the printer stopped the print "));
        assert_eq!(cause.print_error, Some(0x0300_4000));
        assert_eq!(
            cause.reason.as_deref(),
            Some("the printer stopped the print")
        );
        // A lost plate has a reason and no code; junk is left out.
        let lost = PrintCause::new(None, Some("lost"));
        assert_eq!(
            (lost.print_error, lost.reason.as_deref()),
            (None, Some("lost"))
        );
        for (code, reason) in [
            (Some(1u64 << 40), Some("  ")),
            (Some(0), None),
            (None, None),
        ] {
            assert_eq!(
                PrintCause::new(code, reason),
                PrintCause::default(),
                "{code:?} {reason:?}"
            );
        }
        let long = "é".repeat(500);
        let cut = PrintCause::new(None, Some(&long)).reason;
        assert_eq!(cut.map(|r| r.chars().count()), Some(MAX_REASON_CHARS));
    }

    #[test]
    fn a_person_s_requeue_gives_three_more_attempts() {
        // Gave up at 3, re-queued (3 set aside): the 4th and 5th failures
        // re-print, the 6th flags the order again.
        assert_eq!(counted_failures(3, 3), 0);
        assert_eq!(
            after_failure(counted_failures(4, 3) - 1, Failure::Print),
            Next::Requeue { attempt: 1 }
        );
        assert_eq!(
            after_failure(counted_failures(6, 3) - 1, Failure::Print),
            Next::FlagOrder { failures: 3 }
        );
        // Never below zero.
        assert_eq!(counted_failures(1, 3), 0);
    }

    #[test]
    fn the_third_failure_flags_the_order() {
        assert_eq!(
            after_failure(0, Failure::Print),
            Next::Requeue { attempt: 1 }
        );
        assert_eq!(
            after_failure(1, Failure::Inspection),
            Next::Requeue { attempt: 2 }
        );
        assert_eq!(
            after_failure(2, Failure::Print),
            Next::FlagOrder { failures: 3 }
        );
        assert_eq!(
            after_failure(u32::MAX, Failure::Print),
            Next::FlagOrder { failures: u32::MAX }
        );
    }
}
