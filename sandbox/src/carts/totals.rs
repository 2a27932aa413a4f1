//! A cart's money: line prices (the customer group's price lowered by the quantity tier),
//! the coupon's cart rule, shipping rates, a simple tax rule by destination, the grand total,
//! and the payment methods the total allows. Everything is computed when read, in the
//! request's display currency, from the rules below; nothing here keeps state.
//!
//! Shipping rates follow Commerce's offline carriers: flat rate $5 per item, table rate by
//! destination country, free shipping from a subtotal (after discounts) of $100. Tax is
//! charged on items after discounts, never on shipping (Commerce's default tax classes).

use super::{Cart, CartLine, LineKind, types};
use crate::catalog::Catalog;
use crate::catalog::pricing::{PriceView, UnitPrice};

/// What a coupon's cart rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CouponAction {
    /// Percent off every item.
    PercentOff(u8),
    /// A fixed amount (USD cents, converted) off the whole cart, spread over the items.
    FixedOff(u32),
    /// Every shipping rate costs nothing.
    FreeShipping,
}

/// A cart price rule with a coupon code.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Coupon {
    pub code: &'static str,
    /// The rule's store label: what `Discount.label` shows.
    pub label: &'static str,
    pub action: CouponAction,
}

/// The seeded cart price rules (names in `crate::demo`).
pub(crate) static COUPONS: [Coupon; 3] = [
    Coupon {
        code: crate::demo::COUPON_PERCENT,
        label: "10% off everything",
        action: CouponAction::PercentOff(10),
    },
    Coupon {
        code: crate::demo::COUPON_FIXED,
        label: "$15 off your order",
        action: CouponAction::FixedOff(1_500),
    },
    Coupon {
        code: crate::demo::COUPON_FREE_SHIPPING,
        label: "Free shipping",
        action: CouponAction::FreeShipping,
    },
];

/// The rule behind a coupon code (case-insensitive, as Commerce matches codes).
pub(crate) fn coupon(code: &str) -> Option<&'static Coupon> {
    COUPONS
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
}

/// A tax rate: (country, region code or any, percent, Commerce's rate code).
const TAX_RATES: [(&str, Option<&str>, f64, &str); 3] = [
    ("US", Some("CA"), 8.25, "US-CA-*-Rate 1"),
    ("US", Some("NY"), 8.375, "US-NY-*-Rate 1"),
    ("DE", None, 19.0, "DE-*-*-Rate 1"),
];

/// Where a cart ships to, as far as rates and tax care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Destination<'a> {
    pub country: &'a str,
    pub region_code: Option<&'a str>,
}

/// The tax rate of a destination: percent and label.
pub(crate) fn tax_rate(to: Destination<'_>) -> Option<(f64, &'static str)> {
    TAX_RATES
        .iter()
        .find(|(country, region, _, _)| {
            *country == to.country && region.is_none_or(|r| Some(r) == to.region_code)
        })
        .map(|&(_, _, percent, label)| (percent, label))
}

/// Subtotal after discounts (USD cents) from which free shipping applies.
pub(crate) const FREE_SHIPPING_FROM: u32 = 10_000;
/// Flat rate per item, USD cents (Commerce's default flat rate, "per item").
const FLAT_RATE_PER_ITEM: u32 = 500;

/// Table rate ("Best Way") by destination country, USD cents.
fn table_rate(country: &str) -> u32 {
    match country {
        "US" => 1_000,
        "CA" | "MX" => 1_500,
        "AT" | "BE" | "CH" | "DE" | "DK" | "ES" | "FI" | "FR" | "GB" | "IE" | "IT" | "NL"
        | "NO" | "PL" | "SE" => 1_200,
        _ => 2_500,
    }
}

/// One offline shipping rate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShippingRate {
    pub carrier_code: &'static str,
    pub carrier_title: &'static str,
    pub method_code: &'static str,
    pub method_title: &'static str,
    /// In the display currency.
    pub amount: f64,
}

/// A line's money, in the display currency.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LineTotals {
    pub line: CartLine,
    /// Unit price after the group price and the quantity tier.
    pub price: f64,
    /// Unit regular price.
    pub regular: f64,
    pub row_total: f64,
    pub discount: f64,
    pub tax: f64,
}

/// A cart's money, in the display currency.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Totals {
    pub currency: &'static str,
    pub lines: Vec<LineTotals>,
    pub subtotal: f64,
    pub discount: f64,
    /// Percent and label of the tax rule that applied.
    pub tax_rate: Option<(f64, &'static str)>,
    pub tax: f64,
    /// The chosen shipping rate, when one is chosen and still offered.
    pub shipping: Option<ShippingRate>,
    /// Rates offered for the shipping address (empty without one).
    pub rates: Vec<ShippingRate>,
    pub grand_total: f64,
}

impl Totals {
    pub fn shipping_amount(&self) -> f64 {
        self.shipping.as_ref().map_or(0.0, |r| r.amount)
    }
}

pub(crate) fn round_cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// The cart's totals as seen through `view`, shipping to `to` (the shipping address, or the
/// address an estimate names).
pub(crate) fn compute(
    catalog: &Catalog,
    view: &PriceView,
    cart: &Cart,
    to: Option<Destination<'_>>,
    method: Option<(&str, &str)>,
) -> Totals {
    let mut lines: Vec<LineTotals> = cart
        .items
        .iter()
        .map(|line| line_totals(catalog, view, line))
        .collect();
    let subtotal = round_cents(lines.iter().map(|l| l.row_total).sum());
    spread_discount(view, cart, &mut lines, subtotal);
    let discount = round_cents(lines.iter().map(|l| l.discount).sum());
    let tax_rate = to.and_then(tax_rate);
    if let Some((percent, _)) = tax_rate {
        for line in &mut lines {
            line.tax = round_cents((line.row_total - line.discount) * percent / 100.0);
        }
    }
    let tax = round_cents(lines.iter().map(|l| l.tax).sum());
    let rates = to.map_or_else(Vec::new, |to| {
        shipping_rates(view, cart, to.country, subtotal - discount)
    });
    let shipping = method.and_then(|(carrier, code)| {
        rates
            .iter()
            .find(|r| r.carrier_code == carrier && r.method_code == code)
            .cloned()
    });
    let shipping_amount = shipping.as_ref().map_or(0.0, |r| r.amount);
    Totals {
        currency: view.currency,
        lines,
        subtotal,
        discount,
        tax_rate,
        tax,
        rates,
        grand_total: round_cents((subtotal - discount + shipping_amount + tax).max(0.0)),
        shipping,
    }
}

fn line_totals(catalog: &Catalog, view: &PriceView, line: &CartLine) -> LineTotals {
    let product = catalog.product(line.product);
    let unit = unit_price(catalog, view, line);
    let tiers = match line.variant() {
        Some(_) => view.tiers_of(product, unit),
        None => view.tiers(product, None),
    };
    let final_cents = tiers
        .iter()
        .rfind(|tier| tier.quantity <= line.quantity)
        .map_or(unit.final_price, |tier| tier.price.final_price);
    let price = view.amount(final_cents);
    LineTotals {
        line: *line,
        price,
        regular: view.amount(unit.regular),
        row_total: round_cents(price * f64::from(line.quantity)),
        discount: 0.0,
        tax: 0.0,
    }
}

/// One unit of a line, before quantity tiers: a downloadable product's price plus its chosen
/// links', a dynamic bundle's the sum of its selections' (each at its quantity).
pub(crate) fn unit_price(catalog: &Catalog, view: &PriceView, line: &CartLine) -> UnitPrice {
    let product = catalog.product(line.product);
    match &line.kind {
        LineKind::Bundle { picks } => types::pick_products(catalog, line.product, picks).fold(
            UnitPrice {
                regular: 0,
                final_price: 0,
            },
            |sum, (simple, units)| {
                let unit = view.unit_price(catalog.product(simple), None);
                UnitPrice {
                    regular: sum
                        .regular
                        .saturating_add(unit.regular.saturating_mul(units)),
                    final_price: sum
                        .final_price
                        .saturating_add(unit.final_price.saturating_mul(units)),
                }
            },
        ),
        LineKind::Downloadable { links } => {
            let unit = view.unit_price(product, None);
            let separately = types::downloadable_of(product)
                .filter(|d| d.links_purchased_separately)
                .map_or(0, |d| {
                    links
                        .indices()
                        .filter_map(|i| d.links.get(i))
                        .map(|l| l.price)
                        .sum()
                });
            UnitPrice {
                regular: unit.regular.saturating_add(separately),
                final_price: unit.final_price.saturating_add(separately),
            }
        }
        _ => match line.variant() {
            Some(v) => view.variant_unit_price(catalog, line.product, v),
            None => view.unit_price(product, None),
        },
    }
}

/// The coupon's item discount, line by line; a fixed amount is spread in proportion to the
/// rows (the last line takes the rounding) and never exceeds the subtotal.
fn spread_discount(view: &PriceView, cart: &Cart, lines: &mut [LineTotals], subtotal: f64) {
    match cart.coupon.map(|c| c.action) {
        Some(CouponAction::PercentOff(percent)) => {
            for line in lines.iter_mut() {
                line.discount = round_cents(line.row_total * f64::from(percent) / 100.0);
            }
        }
        Some(CouponAction::FixedOff(cents)) if subtotal > 0.0 => {
            let total = view.amount(cents).min(subtotal);
            let mut left = total;
            let count = lines.len();
            for (i, line) in lines.iter_mut().enumerate() {
                let share = if i + 1 == count {
                    left
                } else {
                    round_cents(total * line.row_total / subtotal)
                };
                line.discount = share.min(line.row_total);
                left = round_cents(left - line.discount);
            }
        }
        _ => {}
    }
}

/// The offline rates for a destination country: flat rate, table rate, and free shipping
/// once the discounted subtotal reaches the threshold (every rate is free with the
/// free-shipping coupon).
fn shipping_rates(
    view: &PriceView,
    cart: &Cart,
    country: &str,
    discounted_subtotal: f64,
) -> Vec<ShippingRate> {
    // Virtual and downloadable lines ship nothing, so they cost no flat rate either.
    let shipped: u32 = cart
        .items
        .iter()
        .filter(|l| !l.is_virtual())
        .map(|l| l.quantity)
        .sum();
    if shipped == 0 {
        return Vec::new();
    }
    let free = cart
        .coupon
        .is_some_and(|c| c.action == CouponAction::FreeShipping);
    let price = |cents: u32| if free { 0.0 } else { view.amount(cents) };
    let mut rates = vec![
        ShippingRate {
            carrier_code: "flatrate",
            carrier_title: "Flat Rate",
            method_code: "flatrate",
            method_title: "Fixed",
            amount: price(FLAT_RATE_PER_ITEM.saturating_mul(shipped)),
        },
        ShippingRate {
            carrier_code: "tablerate",
            carrier_title: "Best Way",
            method_code: "bestway",
            method_title: "Table Rate",
            amount: price(table_rate(country)),
        },
    ];
    if discounted_subtotal >= view.amount(FREE_SHIPPING_FROM) {
        rates.push(ShippingRate {
            carrier_code: "freeshipping",
            carrier_title: "Free Shipping",
            method_code: "freeshipping",
            method_title: "Free",
            amount: 0.0,
        });
    }
    rates
}

/// One payment method: a table, so provider methods join as rows.
#[derive(Debug)]
pub(crate) struct PaymentMethod {
    pub code: &'static str,
    pub title: &'static str,
    pub is_deferred: bool,
    /// Whether the method is offered for a cart with this grand total.
    pub offered: fn(grand_total: f64) -> bool,
}

/// Commerce's offline payment methods the sandbox enables.
pub(crate) static PAYMENT_METHODS: [PaymentMethod; 2] = [
    PaymentMethod {
        code: "checkmo",
        title: "Check / Money order",
        is_deferred: false,
        offered: |total| total > 0.0,
    },
    PaymentMethod {
        code: "free",
        title: "No Payment Information Required",
        is_deferred: false,
        offered: |total| total <= 0.0,
    },
];

/// The payment methods offered for a grand total.
pub(crate) fn payment_methods(grand_total: f64) -> impl Iterator<Item = &'static PaymentMethod> {
    PAYMENT_METHODS
        .iter()
        .filter(move |m| (m.offered)(grand_total))
}

/// A payment method by code, whether offered or not.
pub(crate) fn payment_method(code: &str) -> Option<&'static PaymentMethod> {
    PAYMENT_METHODS.iter().find(|m| m.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: PriceView = PriceView {
        currency: "USD",
        rate: 1.0,
        group_discount: 0,
    };

    fn cart_of(catalog: &Catalog, quantity: u32) -> Cart {
        let product = (0..catalog.products.len() as u32)
            .find(|&p| catalog.product(p).configurable.is_none())
            .expect("simple");
        let mut cart = Cart::new("c".repeat(32), 0, None);
        cart.items.push(CartLine {
            id: 1,
            product,
            kind: LineKind::Simple,
            quantity,
        });
        cart
    }

    #[test]
    fn tax_follows_the_destination_and_applies_after_discounts() {
        let catalog = Catalog::seed(50, 10, 1);
        let mut cart = cart_of(&catalog, 2);
        cart.coupon = coupon("save10");
        let ca = Destination {
            country: "US",
            region_code: Some("CA"),
        };
        let totals = compute(
            &catalog,
            &USD,
            &cart,
            Some(ca),
            Some(("flatrate", "flatrate")),
        );
        assert_eq!(totals.discount, round_cents(totals.subtotal * 0.10));
        assert_eq!(
            totals.tax,
            round_cents((totals.subtotal - totals.discount) * 0.0825)
        );
        assert_eq!(totals.shipping_amount(), 10.0, "$5 per item");
        assert_eq!(
            totals.grand_total,
            round_cents(totals.subtotal - totals.discount + 10.0 + totals.tax)
        );
        let tx = Destination {
            country: "US",
            region_code: Some("TX"),
        };
        assert_eq!(compute(&catalog, &USD, &cart, Some(tx), None).tax, 0.0);
    }

    #[test]
    fn a_fixed_discount_never_exceeds_the_subtotal_and_zero_totals_pay_with_free() {
        let catalog = Catalog::seed(50, 10, 1);
        let mut cart = cart_of(&catalog, 1);
        cart.coupon = coupon(crate::demo::COUPON_FIXED);
        let totals = compute(&catalog, &USD, &cart, None, None);
        assert_eq!(totals.discount, totals.subtotal.min(15.0));
        let codes: Vec<&str> = payment_methods(0.0).map(|m| m.code).collect();
        assert_eq!(codes, ["free"]);
        let codes: Vec<&str> = payment_methods(1.0).map(|m| m.code).collect();
        assert_eq!(codes, ["checkmo"]);
    }

    #[test]
    fn free_shipping_is_offered_from_the_threshold_or_with_its_coupon() {
        let catalog = Catalog::seed(50, 10, 1);
        let de = Destination {
            country: "DE",
            region_code: None,
        };
        let mut cart = cart_of(&catalog, 1);
        let small = compute(&catalog, &USD, &cart, Some(de), None);
        let offered = |t: &Totals| t.rates.iter().any(|r| r.carrier_code == "freeshipping");
        assert_eq!(offered(&small), small.subtotal >= 100.0);
        cart.items[0].quantity = 100;
        assert!(offered(&compute(&catalog, &USD, &cart, Some(de), None)));
        cart.coupon = coupon(crate::demo::COUPON_FREE_SHIPPING);
        let free = compute(
            &catalog,
            &USD,
            &cart,
            Some(de),
            Some(("tablerate", "bestway")),
        );
        assert_eq!(free.shipping_amount(), 0.0);
        assert_eq!(free.tax_rate.map(|(p, _)| p), Some(19.0));
    }
}
