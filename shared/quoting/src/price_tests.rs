use super::*;
use proptest::prelude::*;

fn material(id: &str) -> &'static Material {
    Material::parse(id).expect("catalog material")
}

fn qty(n: u32) -> Quantity {
    Quantity::new(n).expect("valid quantity")
}

/// One case: grams (model, support), material, quantity → (unit cents, total
/// cents, minimum applied).
fn check(model: f64, support: f64, id: &str, n: u32, expected: (i64, i64, bool)) {
    let p = price(model, support, material(id), qty(n));
    assert_eq!(
        (p.unit_price.minor(), p.total.minor(), p.minimum_applied),
        expected,
        "{model} g + {support} g of {id} × {n}"
    );
}

#[test]
fn worked_examples() {
    // Seed 000: 25 PETG brackets at $1.84 each, $46.00 in total (3¢/g → 61.33 g).
    check(61.33, 0.0, "petg", 25, (184, 4600, false));
    // PLA at 2¢/g: 100 g is $2.00, below the $3 minimum for one part; the
    // unit price stays $2.00 and the total is the minimum.
    check(100.0, 0.0, "pla", 1, (200, 300, true));
    check(100.0, 0.0, "pla", 2, (200, 400, false));
    // Support grams are billed like part grams.
    check(80.0, 20.0, "pla", 2, (200, 400, false));
    // 50 parts: 10 % off; 100: 15 %; 250: 20 %; 500: 25 %.
    check(100.0, 0.0, "pla", 50, (180, 9000, false));
    check(100.0, 0.0, "pla", 100, (170, 17000, false));
    check(100.0, 0.0, "pla", 250, (160, 40000, false));
    check(100.0, 0.0, "pla", 500, (150, 75000, false));
    // Half a cent rounds up: 0.25 g × 2¢ = 0.5¢ → 1¢; 7 parts stay at the minimum.
    check(0.25, 0.0, "pla", 7, (1, 300, true));
    // Issue 9's ten cubes: 3.5 g × 2¢ = 7¢ each, 70¢ for ten, the $3 minimum
    // in total; the unit price is 7¢, never 30¢.
    check(3.5, 0.0, "pla", 10, (7, 300, true));
    // 49 → 50 parts crosses the first tier: 150 ¢ × 49 vs 135 ¢ × 50.
    check(75.0, 0.0, "pla", 49, (150, 7350, false));
    check(75.0, 0.0, "pla", 50, (135, 6750, false));
}

#[test]
fn breakdown_adds_up() {
    let p = price(61.33, 4.0, material("tpu"), qty(60));
    assert_eq!(p.billable_centigrams, 6533);
    assert_eq!(p.price_per_gram.minor(), 5);
    assert_eq!(p.tier.discount_bp, 1000);
    assert_eq!(p.list_unit_price.minor(), 327); // 65.33 g × 5¢ = 326.65¢
    assert_eq!(p.unit_price.minor(), 294); // × 0.9 = 293.985¢
    assert_eq!(p.subtotal.minor(), 294 * 60);
    assert_eq!(p.total.minor(), 294 * 60);
    assert_eq!(p.discount.minor(), 327 * 60 - 294 * 60);
    assert!(!p.minimum_applied);
}

#[test]
fn tiers_are_ascending_and_start_at_one() {
    assert_eq!(
        BULK_TIERS[0],
        BulkTier {
            min_quantity: 1,
            discount_bp: 0
        }
    );
    for pair in BULK_TIERS.windows(2) {
        assert!(pair[0].min_quantity < pair[1].min_quantity);
        assert!(pair[0].discount_bp < pair[1].discount_bp);
    }
    assert_eq!(tier(qty(49)).discount_bp, 0);
    assert_eq!(tier(qty(50)).discount_bp, 1000);
}

#[test]
fn quantity_bounds() {
    assert!(Quantity::new(0).is_none());
    assert!(Quantity::new(MAX_QUANTITY + 1).is_none());
    assert_eq!(
        Quantity::new(MAX_QUANTITY).map(Quantity::get),
        Some(MAX_QUANTITY)
    );
}

#[test]
fn nonsense_weights_cost_the_minimum_not_a_panic() {
    for g in [f64::NAN, -5.0, 0.0, f64::INFINITY] {
        let p = price(g, g, material("pla"), qty(1));
        assert!(p.total.minor() >= 300);
    }
}

#[test]
fn range_brackets_the_price() {
    let facts = crate::PartFacts {
        model_grams: 200.0,
        support_grams: 0.0,
        weight_uncertainty: 0.1,
        print_hours: 1.0,
        is_watertight: true,
        is_manifold: true,
        unit_confidence: 1.0,
        unit_confirmed: false,
        findings: vec![],
    };
    let r = range(&facts, material("pla"), qty(1));
    assert_eq!((r.min.minor(), r.max.minor()), (360, 440));
}

proptest! {
    #[test]
    fn unit_price_never_increases_with_quantity(grams in 0.0f64..5000.0, support in 0.0f64..500.0, n in 1u32..MAX_QUANTITY, id in 0usize..5) {
        let m = &farm_domain::catalog::MATERIALS[id];
        let a = price(grams, support, m, qty(n));
        let b = price(grams, support, m, qty(n + 1));
        prop_assert!(b.unit_price.minor() <= a.unit_price.minor());
    }

    #[test]
    fn total_is_never_below_the_minimum_and_discount_matches_the_table(grams in 0.0f64..5000.0, n in 1u32..=MAX_QUANTITY) {
        let p = price(grams, 0.0, material("pla"), qty(n));
        prop_assert!(p.total.minor() >= 300);
        prop_assert_eq!(p.subtotal.minor(), p.unit_price.minor() * i64::from(n));
        prop_assert_eq!(p.total.minor(), p.subtotal.minor().max(300));
        prop_assert_eq!(p.minimum_applied, p.subtotal.minor() < 300);
        // The discount never exceeds the published tier's share (plus rounding).
        let list = p.list_unit_price.minor() * i64::from(n);
        let max_discount = (list * i64::from(p.tier.discount_bp) + 9_999) / 10_000 + i64::from(n);
        prop_assert!(p.discount.minor() <= max_discount);
    }

    #[test]
    fn same_inputs_same_price(grams in 0.0f64..5000.0, n in 1u32..1000) {
        prop_assert_eq!(price(grams, 1.0, material("abs"), qty(n)), price(grams, 1.0, material("abs"), qty(n)));
    }
}
