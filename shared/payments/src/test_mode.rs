//! Test mode without the provider (issue 10, item 4): test keys never reach
//! it, so their SetupIntent is made here and the only payment methods they
//! may save are Stripe's documented test PaymentMethods
//! (<https://docs.stripe.com/testing#cards>), which charge nobody.

/// Test PaymentMethod ids a test key may save as its default: Stripe's card
/// test ids for a successful charge (`pm_card_visa` first, the one the issue
/// names).
pub const TEST_PAYMENT_METHODS: [&str; 4] = [
    "pm_card_visa",
    "pm_card_mastercard",
    "pm_card_amex",
    "pm_card_visa_debit",
];

/// True for a payment method a test key may save.
pub fn is_test_payment_method(id: &str) -> bool {
    TEST_PAYMENT_METHODS.contains(&id)
}

/// A local SetupIntent id and client secret in Stripe's shapes
/// (`seti_test_<hex>`, `<id>_secret_<hex>`) from 16 + 16 random bytes.
pub fn setup_intent_ids(id_bytes: &[u8; 16], secret_bytes: &[u8; 16]) -> (String, String) {
    let id = format!("seti_test_{}", farm_signing::mac::hex_lower(id_bytes));
    let secret = format!("{id}_secret_{}", farm_signing::mac::hex_lower(secret_bytes));
    (id, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stripe_test_methods_are_accepted() {
        assert!(is_test_payment_method("pm_card_visa"));
        assert!(!is_test_payment_method("pm_1PqRsTuVwXyZ"));
        assert!(!is_test_payment_method("pm_card_visa_chargeDeclined"));
        assert!(!is_test_payment_method(""));
    }

    #[test]
    fn setup_intent_ids_have_stripe_shapes() {
        let (id, secret) = setup_intent_ids(&[0xab; 16], &[0x01; 16]);
        assert_eq!(id, format!("seti_test_{}", "ab".repeat(16)));
        assert_eq!(secret, format!("{id}_secret_{}", "01".repeat(16)));
    }
}
