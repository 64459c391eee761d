//! Public order ids: the key of the tracking link anyone holding it may
//! open, so they must be unguessable. 160 random bits (issue 10 asks for at
//! least 128) as 40 lowercase hex digits after the prefix `pord_`
//! (seed 001's `mc_ord_…`, with our own prefix).

/// Prefix of every public order id.
pub const PREFIX: &str = "pord_";
/// Random bytes in a public order id (160 bits).
pub const RANDOM_BYTES: usize = 20;

/// Formats a public order id from random bytes supplied by the caller (the
/// host's CSPRNG).
pub fn format(random: [u8; RANDOM_BYTES]) -> String {
    let mut s = String::with_capacity(PREFIX.len() + RANDOM_BYTES * 2);
    s.push_str(PREFIX);
    for b in random {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// True when `s` has the form of a public order id. A malformed id is
/// answered like an unknown one (404), after the same work (see
/// `tracking`'s caller), so the form reveals nothing.
pub fn is_valid(s: &str) -> bool {
    s.strip_prefix(PREFIX).is_some_and(|body| {
        body.len() == RANDOM_BYTES * 2
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_at_least_128_random_bits() {
        let id = format([0x5a; RANDOM_BYTES]);
        assert_eq!(id, format!("pord_{}", "5a".repeat(20)));
        // Each hex digit is 4 bits.
        assert!((id.len() - PREFIX.len()) * 4 >= 128);
        assert!(is_valid(&id));
    }

    #[test]
    fn other_forms_are_not_public_ids() {
        assert!(!is_valid("pord_abc"));
        assert!(!is_valid(&format!("ord_{}", "a".repeat(40))));
        assert!(!is_valid(&format!("pord_{}", "A".repeat(40))));
    }
}
