//! Sales orders: what `placeOrder` turns an active cart into. An order keeps a snapshot of
//! the cart's lines, addresses, methods and totals in the currency it was placed in, gets
//! Commerce's next increment id ("000000001", …) and starts "Pending" with no invoice or
//! shipment. Nothing is seeded; orders live as long as the sandbox.

use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::carts::totals::Totals;
use crate::carts::{Cart, CartAddress, CartLine};

/// Orders the sandbox keeps at most.
pub(crate) const MAX_ORDERS: usize = 100_000;

/// One ordered line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderLine {
    /// Order item id.
    pub id: u32,
    pub line: CartLine,
    /// Sku and name of what ships (the variant's for configurable lines).
    pub sku: String,
    pub name: String,
    pub price: f64,
    pub row_total: f64,
    pub discount: f64,
    pub tax: f64,
}

/// A placed order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Order {
    pub entity_id: u32,
    /// The increment id: `Order.order_number`, `CustomerOrder.number`.
    pub number: String,
    pub store: usize,
    pub customer: Option<u32>,
    pub email: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    pub status: &'static str,
    pub currency: &'static str,
    pub lines: Vec<OrderLine>,
    pub subtotal: f64,
    pub discount: f64,
    pub tax: f64,
    pub tax_rate: Option<(f64, &'static str)>,
    pub shipping: f64,
    pub grand_total: f64,
    pub coupon: Option<&'static str>,
    pub shipping_address: Option<CartAddress>,
    pub billing_address: Option<CartAddress>,
    /// (carrier title, method title).
    pub shipping_method: Option<(&'static str, &'static str)>,
    /// (code, title).
    pub payment_method: (&'static str, &'static str),
    pub gift_receipt_included: bool,
    pub printed_card_included: bool,
    /// Guest order lookup token (`CustomerOrder.token`).
    pub token: String,
}

/// Every order, behind one lock.
#[derive(Default)]
pub(crate) struct Orders {
    state: Mutex<Vec<Order>>,
}

/// Why an order could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OrderError {
    #[error("The sandbox holds at most {MAX_ORDERS} orders.")]
    Full,
}

/// What an order is made from, besides the cart: the customer's email, the totals, and the
/// sku and name of each line's item.
pub(crate) struct Placement<'a> {
    pub cart: &'a Cart,
    pub email: String,
    pub totals: &'a Totals,
    pub items: Vec<(String, String)>,
    /// `(code, title)` of the payment method.
    pub payment: (&'static str, &'static str),
    pub now: u64,
}

impl Orders {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Order>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether another order fits (checked before stock is reserved for it).
    pub fn has_room(&self) -> bool {
        self.lock().len() < MAX_ORDERS
    }

    /// Stores a new order and returns it.
    pub fn place(&self, placement: Placement<'_>) -> Result<Order, OrderError> {
        let mut orders = self.lock();
        if orders.len() >= MAX_ORDERS {
            return Err(OrderError::Full);
        }
        let entity_id = u32::try_from(orders.len() + 1).map_err(|_| OrderError::Full)?;
        let Placement {
            cart,
            email,
            totals,
            items,
            payment,
            now,
        } = placement;
        let lines = totals
            .lines
            .iter()
            .zip(items)
            .enumerate()
            .map(|(i, (t, (sku, name)))| OrderLine {
                id: entity_id * 1_000 + i as u32 + 1,
                line: t.line,
                sku,
                name,
                price: t.price,
                row_total: t.row_total,
                discount: t.discount,
                tax: t.tax,
            })
            .collect();
        let token = Sha256::new()
            .chain_update(b"sandbox order")
            .chain_update(cart.masked_id.as_bytes())
            .chain_update(entity_id.to_le_bytes())
            .finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        let order = Order {
            entity_id,
            number: format!("{entity_id:09}"),
            store: cart.store,
            customer: cart.customer,
            email,
            created_at: crate::clock::datetime(now),
            status: "Pending",
            currency: totals.currency,
            lines,
            subtotal: totals.subtotal,
            discount: totals.discount,
            tax: totals.tax,
            tax_rate: totals.tax_rate,
            shipping: totals.shipping_amount(),
            grand_total: totals.grand_total,
            coupon: cart.coupon.map(|c| c.code),
            shipping_address: cart.shipping_address.clone(),
            billing_address: cart.billing_address.clone(),
            shipping_method: totals
                .shipping
                .as_ref()
                .map(|r| (r.carrier_title, r.method_title)),
            payment_method: payment,
            gift_receipt_included: cart.gift.gift_receipt_included,
            printed_card_included: cart.gift.printed_card_included,
            token,
        };
        orders.push(order.clone());
        Ok(order)
    }

    /// A customer's orders in one store view, oldest first.
    pub fn of_customer(&self, customer: u32, store: usize) -> Vec<Order> {
        self.lock()
            .iter()
            .filter(|o| o.customer == Some(customer) && o.store == store)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carts::totals::compute;
    use crate::catalog::Catalog;
    use crate::catalog::pricing::PriceView;

    #[test]
    fn orders_get_commerces_increment_ids_and_belong_to_their_customer() {
        let catalog = Catalog::seed(20, 5, 1);
        let orders = Orders::default();
        let view = PriceView {
            currency: "USD",
            rate: 1.0,
            group_discount: 0,
        };
        let mut cart = crate::carts::Carts::new(1)
            .create_guest(0, None)
            .expect("cart");
        cart.customer = Some(4);
        let totals = compute(&catalog, &view, &cart, None, None);
        let place = |cart: &Cart| {
            orders.place(Placement {
                cart,
                email: "a@example.com".into(),
                totals: &totals,
                items: Vec::new(),
                payment: ("checkmo", "Check / Money order"),
                now: 0,
            })
        };
        let first = place(&cart).expect("placed");
        assert_eq!(first.number, "000000001");
        assert_eq!(first.created_at, "1970-01-01 00:00:00");
        assert_eq!(first.status, "Pending");
        assert_eq!(place(&cart).map(|o| o.number), Ok("000000002".into()));
        assert_eq!(orders.of_customer(4, 0).len(), 2);
        assert!(orders.of_customer(5, 0).is_empty());
        assert!(orders.of_customer(4, 1).is_empty());
    }
}
