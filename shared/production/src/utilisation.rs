//! A printer's utilisation (issue 12, item 8): the share of a window it
//! spent printing, from its state changes.

/// A printer's state as the farm floor reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorState {
    Printing,
    Idle,
    /// Finished; the plate must be cleared before the next one.
    AwaitingClear,
    /// Paused with a fault, a dispatch failure, a changed certificate.
    Attention,
    Offline,
}

/// The share of `[from, to)` (Unix s) spent `Printing`, from `changes`
/// (time, new state) in time order; the state before the first change is
/// `state_at_from`. Returns 0 for an empty window.
pub fn printing_share(
    state_at_from: FloorState,
    changes: &[(i64, FloorState)],
    from: i64,
    to: i64,
) -> f64 {
    if to <= from {
        return 0.0;
    }
    let mut printing = 0i64;
    let mut state = state_at_from;
    let mut since = from;
    for &(at, next) in changes {
        let at = at.clamp(from, to);
        if state == FloorState::Printing {
            printing += at - since;
        }
        state = next;
        since = at;
    }
    if state == FloorState::Printing {
        printing += to - since;
    }
    printing as f64 / (to - from) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use FloorState::*;

    #[test]
    fn counts_only_time_spent_printing_inside_the_window() {
        // Window 0..100: printing 0..30 (carried in), idle 30..50,
        // printing 50..80, awaiting clear 80..; a change before the window
        // and one after it are clamped.
        let changes = [
            (30, Idle),
            (50, Printing),
            (80, AwaitingClear),
            (150, Printing),
        ];
        assert!((printing_share(Printing, &changes, 0, 100) - 0.6).abs() < 1e-12);
        assert_eq!(printing_share(Idle, &[], 0, 100), 0.0);
        assert_eq!(printing_share(Printing, &[], 0, 100), 1.0);
        assert_eq!(printing_share(Printing, &[], 10, 10), 0.0);
    }
}
