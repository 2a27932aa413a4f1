//! Cart lines: adding products with Commerce's quantity and stock checks, changing quantities
//! (zero removes the line) and removing lines. Problems with one product are `UserError`s with
//! Commerce's `CartUserInputErrorType` codes, so the other products of a request still go in.

use super::{Cart, CartError, CartLine, LineKind};
use crate::catalog::Catalog;

/// Lines one cart holds at most.
pub(crate) const MAX_LINES: usize = 100;
/// Commerce's default maximum quantity of one item in the cart.
pub(crate) const MAX_QTY: u32 = 10_000;

/// Commerce's `CartUserInputErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserErrorCode {
    ProductNotFound,
    NotSalable,
    InsufficientStock,
    CouldNotFindCartItem,
    InvalidParameterValue,
    Undefined,
}

impl UserErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            UserErrorCode::ProductNotFound => "PRODUCT_NOT_FOUND",
            UserErrorCode::NotSalable => "NOT_SALABLE",
            UserErrorCode::InsufficientStock => "INSUFFICIENT_STOCK",
            UserErrorCode::CouldNotFindCartItem => "COULD_NOT_FIND_CART_ITEM",
            UserErrorCode::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
            UserErrorCode::Undefined => "UNDEFINED",
        }
    }
}

/// A `CartUserInputError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserError {
    pub code: UserErrorCode,
    pub message: String,
}

impl UserError {
    pub fn new(code: UserErrorCode, message: impl Into<String>) -> UserError {
        UserError {
            code,
            message: message.into(),
        }
    }

    pub fn product_not_found(sku: &str) -> UserError {
        UserError::new(
            UserErrorCode::ProductNotFound,
            format!("Could not find a product with SKU \"{sku}\""),
        )
    }

    pub fn options_required() -> UserError {
        UserError::new(
            UserErrorCode::Undefined,
            "You need to choose options for your item.",
        )
    }

    fn insufficient_stock() -> UserError {
        UserError::new(
            UserErrorCode::InsufficientStock,
            "The requested qty is not available",
        )
    }
}

/// A client's quantity as whole units: Commerce's checks for zero, negative, fractional and
/// too large quantities.
pub(crate) fn whole_quantity(quantity: f64) -> Result<u32, UserError> {
    if !quantity.is_finite() || quantity <= 0.0 {
        return Err(UserError::new(
            UserErrorCode::InvalidParameterValue,
            "The product quantity should be greater than 0",
        ));
    }
    if quantity.fract() != 0.0 {
        return Err(UserError::new(
            UserErrorCode::InvalidParameterValue,
            "You cannot use decimal quantity for this product.",
        ));
    }
    if quantity > f64::from(MAX_QTY) {
        return Err(UserError::new(
            UserErrorCode::InvalidParameterValue,
            format!("The most you may purchase is {MAX_QTY}."),
        ));
    }
    Ok(quantity as u32)
}

/// Adds `quantity` of a product to the cart, onto the line of the same item when there is one.
pub(crate) fn add(
    cart: &mut Cart,
    catalog: &Catalog,
    product: u32,
    kind: LineKind,
    quantity: f64,
    next_id: impl FnOnce() -> u32,
) -> Result<(), UserError> {
    let quantity = whole_quantity(quantity)?;
    let existing = cart
        .items
        .iter()
        .position(|l| l.product == product && l.kind == kind);
    let candidate = CartLine {
        id: 0,
        product,
        kind,
        quantity: existing
            .map_or(0, |i| cart.items[i].quantity)
            .saturating_add(quantity),
    };
    let salable = candidate.salable(catalog);
    if salable == 0 {
        return Err(UserError::new(
            UserErrorCode::NotSalable,
            "Product that you are trying to add is not available.",
        ));
    }
    if candidate.quantity > MAX_QTY {
        return Err(UserError::new(
            UserErrorCode::InvalidParameterValue,
            format!("The most you may purchase is {MAX_QTY}."),
        ));
    }
    if candidate.quantity > salable {
        return Err(UserError::insufficient_stock());
    }
    match existing {
        Some(i) => cart.items[i].quantity = candidate.quantity,
        None if cart.items.len() >= MAX_LINES => {
            return Err(UserError::new(
                UserErrorCode::Undefined,
                format!("The sandbox holds at most {MAX_LINES} lines per cart."),
            ));
        }
        None => cart.items.push(CartLine {
            id: next_id(),
            ..candidate
        }),
    }
    Ok(())
}

/// A merged cart's line: its quantity joins the same item's line (capped at the maximum), or
/// it becomes a new line while there is room.
pub(crate) fn absorb(
    cart: &mut Cart,
    line: CartLine,
    _catalog: &Catalog,
    next_id: impl FnOnce() -> u32,
) {
    let room = cart.items.len() < MAX_LINES;
    match cart
        .items
        .iter_mut()
        .find(|l| l.product == line.product && l.kind == line.kind)
    {
        Some(existing) => {
            existing.quantity = existing.quantity.saturating_add(line.quantity).min(MAX_QTY);
        }
        None if room => cart.items.push(CartLine {
            id: next_id(),
            ..line
        }),
        None => {}
    }
}

/// `updateCartItems` for one line: a quantity of zero removes it; an unknown line or a stock
/// problem leaves the cart as it was and is reported as a user error.
pub(crate) fn set_quantity(
    cart: &mut Cart,
    catalog: &Catalog,
    item: u32,
    quantity: f64,
) -> Result<Option<UserError>, CartError> {
    let Some(at) = cart.items.iter().position(|l| l.id == item) else {
        return Ok(Some(UserError::new(
            UserErrorCode::CouldNotFindCartItem,
            format!("Could not find cart item with id: {item}"),
        )));
    };
    if quantity == 0.0 {
        cart.items.remove(at);
        return Ok(None);
    }
    let quantity = match whole_quantity(quantity) {
        Ok(q) => q,
        Err(e) => return Ok(Some(e)),
    };
    let line = cart.items[at];
    if quantity > line.salable(catalog) {
        return Ok(Some(UserError::insufficient_stock()));
    }
    cart.items[at].quantity = quantity;
    Ok(None)
}

/// `removeItemFromCart`.
pub(crate) fn remove(cart: &mut Cart, item: u32) -> Result<(), CartError> {
    let before = cart.items.len();
    cart.items.retain(|l| l.id != item);
    if cart.items.len() == before {
        return Err(CartError::NoSuchEntity(
            "The cart doesn't contain the item".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple_with_stock(catalog: &Catalog, at_least: u32) -> u32 {
        (0..catalog.products.len() as u32)
            .find(|&p| {
                catalog.product(p).configurable.is_none() && catalog.product_qty(p) >= at_least
            })
            .expect("a simple product in stock")
    }

    #[test]
    fn adding_the_same_product_twice_adds_to_its_line_within_stock() {
        let catalog = Catalog::seed(200, 20, 3);
        let mut cart = Cart::new("x".repeat(32), 0, None);
        let product = simple_with_stock(&catalog, 3);
        let stock = catalog.product_qty(product);
        let mut ids = 1..;
        let mut next = || ids.next().unwrap_or(0);
        add(
            &mut cart,
            &catalog,
            product,
            LineKind::Simple,
            1.0,
            &mut next,
        )
        .expect("added");
        add(
            &mut cart,
            &catalog,
            product,
            LineKind::Simple,
            2.0,
            &mut next,
        )
        .expect("added");
        assert_eq!(cart.items.len(), 1);
        assert_eq!(cart.items[0].quantity, 3);
        let too_many = add(
            &mut cart,
            &catalog,
            product,
            LineKind::Simple,
            f64::from(stock),
            &mut next,
        );
        assert_eq!(
            too_many.map_err(|e| e.code),
            Err(UserErrorCode::InsufficientStock)
        );
        assert_eq!(cart.items[0].quantity, 3, "unchanged");
        for bad in [0.0, -1.0, 1.5, f64::NAN] {
            assert_eq!(
                add(
                    &mut cart,
                    &catalog,
                    product,
                    LineKind::Simple,
                    bad,
                    &mut next
                )
                .map_err(|e| e.code),
                Err(UserErrorCode::InvalidParameterValue)
            );
        }
    }

    #[test]
    fn a_zero_quantity_removes_the_line_and_unknown_lines_are_commerces_errors() {
        let catalog = Catalog::seed(200, 20, 3);
        let mut cart = Cart::new("x".repeat(32), 0, None);
        let product = simple_with_stock(&catalog, 2);
        add(&mut cart, &catalog, product, LineKind::Simple, 1.0, || 9).expect("added");
        assert_eq!(set_quantity(&mut cart, &catalog, 9, 2.0), Ok(None));
        assert_eq!(cart.items[0].quantity, 2);
        assert_eq!(
            set_quantity(&mut cart, &catalog, 10, 1.0),
            Ok(Some(UserError::new(
                UserErrorCode::CouldNotFindCartItem,
                "Could not find cart item with id: 10"
            )))
        );
        assert_eq!(set_quantity(&mut cart, &catalog, 9, 0.0), Ok(None));
        assert!(cart.items.is_empty());
        assert!(remove(&mut cart, 9).is_err());
    }
}
