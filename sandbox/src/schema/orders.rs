//! Orders as Adobe's `CustomerOrder`: `Customer.orders(filter, currentPage, pageSize, sort)`,
//! the deprecated `customerOrders`, and `PlaceOrderOutput.orderV2`. Orders are listed for the
//! request's store view (the `STORE` scope, Commerce's default), newest first unless sorted.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde::Deserialize;
use serde_json::{Value, json};

use super::customer::logged_in;
use super::product::product_ref;
use super::{Data, Page, arg, configurable};
use crate::carts::totals::round_cents;
use crate::carts::types::{BundlePick, BundlePicks, bundle_of, downloadable_of};
use crate::carts::{CartAddress, LineKind};
use crate::catalog::Catalog;
use crate::catalog::pricing::PriceView;
use crate::catalog::types::Bundle;
use crate::orders::{Order, OrderLine};
use crate::scope::RequestScope;

#[derive(Deserialize, Default)]
struct StringFilter {
    eq: Option<String>,
    #[serde(default)]
    r#in: Vec<String>,
    #[serde(rename = "match")]
    matches: Option<String>,
}

#[derive(Deserialize, Default)]
struct RangeFilter {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize, Default)]
struct EqualFilter {
    eq: Option<String>,
    #[serde(default)]
    r#in: Vec<String>,
}

/// `CustomerOrdersFilterInput`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct OrdersFilter {
    number: Option<StringFilter>,
    grand_total: Option<RangeFilter>,
    order_date: Option<RangeFilter>,
    status: Option<EqualFilter>,
}

impl OrdersFilter {
    fn admits(&self, order: &Order) -> bool {
        let number = self.number.as_ref().is_none_or(|f| {
            f.eq.as_ref().is_none_or(|eq| *eq == order.number)
                && (f.r#in.is_empty() || f.r#in.contains(&order.number))
                && f.matches
                    .as_ref()
                    .is_none_or(|m| order.number.contains(m.as_str()))
        });
        let total = self.grand_total.as_ref().is_none_or(|r| {
            let bound = |b: &Option<String>| b.as_deref().and_then(|b| b.parse::<f64>().ok());
            bound(&r.from).is_none_or(|from| order.grand_total >= from)
                && bound(&r.to).is_none_or(|to| order.grand_total <= to)
        });
        let date = self.order_date.as_ref().is_none_or(|r| {
            let at = order.created_at.as_str();
            r.from.as_deref().is_none_or(|from| at >= from)
                && r.to.as_deref().is_none_or(|to| at <= to)
        });
        let status = self.status.as_ref().is_none_or(|f| {
            f.eq.as_ref()
                .is_none_or(|eq| eq.eq_ignore_ascii_case(order.status))
                && (f.r#in.is_empty()
                    || f.r#in.iter().any(|s| s.eq_ignore_ascii_case(order.status)))
        });
        number && total && date && status
    }
}

/// `CustomerOrderSortInput`; both sortable fields (`NUMBER`, `CREATED_AT`) grow with the
/// entity id, so only the direction matters.
#[derive(Deserialize)]
struct OrdersSort {
    sort_direction: String,
}

/// `Customer.orders(…)`: the logged-in customer's orders.
pub(super) fn customer_orders(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let filter: OrdersFilter = arg(ctx, "filter")?.unwrap_or_default();
    let sort: Option<OrdersSort> = arg(ctx, "sort")?;
    let page = Page::from_args(ctx)?;
    let all = data.orders.of_customer(customer.id, scope.store);
    let first = all.first().map(|o| o.created_at.clone());
    let mut orders: Vec<Order> = all.into_iter().filter(|o| filter.admits(o)).collect();
    let ascending = sort
        .as_ref()
        .is_some_and(|s| s.sort_direction.eq_ignore_ascii_case("ASC"));
    orders.sort_by_key(|o| o.entity_id);
    if !ascending {
        orders.reverse();
    }
    Ok(json!({
        "items": page.slice(&orders).iter().map(|o| order_json(data, scope, o)).collect::<Vec<_>>(),
        "page_info": page.info(orders.len()),
        "total_count": orders.len(),
        "date_of_first_order": first,
    }))
}

fn money(order: &Order, amount: f64) -> Value {
    json!({ "value": round_cents(amount), "currency": order.currency })
}

/// A `CustomerOrder`.
pub(super) fn order_json(data: &Data, scope: &RequestScope, order: &Order) -> Value {
    let customer = order.customer.and_then(|id| data.customers.by_id(id));
    let (firstname, lastname) = match (&customer, &order.billing_address) {
        (Some(c), _) => (c.firstname.to_string(), Some(c.lastname.to_string())),
        (None, Some(a)) => (a.firstname.clone(), Some(a.lastname.clone())),
        (None, None) => (String::new(), None),
    };
    let discounts: Vec<Value> = order
        .coupon
        .filter(|_| order.discount > 0.0)
        .map(|code| json!({ "amount": money(order, order.discount), "label": code, "applied_to": "ITEM", "coupon": { "code": code } }))
        .into_iter()
        .collect();
    let taxes: Vec<Value> = order
        .tax_rate
        .filter(|_| order.tax > 0.0)
        .map(|(rate, title)| json!({ "amount": money(order, order.tax), "rate": rate, "title": title }))
        .into_iter()
        .collect();
    let shipping_method = order
        .shipping_method
        .map(|(carrier, method)| format!("{carrier} - {method}"));
    json!({
        "id": crate::uid::encode_id(order.entity_id),
        "number": order.number,
        "order_number": order.number,
        "increment_id": order.number,
        "order_date": order.created_at,
        "created_at": order.created_at,
        "order_status_change_date": order.created_at,
        "status": order.status,
        "email": order.email,
        "token": order.token,
        "is_virtual": !order.lines.is_empty() && order.lines.iter().all(|l| l.line.is_virtual()),
        "gift_receipt_included": order.gift_receipt_included,
        "printed_card_included": order.printed_card_included,
        "grand_total": order.grand_total,
        "carrier": order.shipping_method.map(|(carrier, _)| carrier),
        "shipping_method": shipping_method,
        "applied_coupons": order.coupon.map(|c| json!({ "code": c })).into_iter().collect::<Vec<_>>(),
        "available_actions": ["REORDER"],
        "invoices": [],
        "credit_memos": [],
        "shipments": [],
        "comments": [],
        "items_eligible_for_return": [],
        "customer_info": { "firstname": firstname, "lastname": lastname },
        "payment_methods": [{ "name": order.payment_method.1, "type": order.payment_method.0, "additional_data": [] }],
        "shipping_address": order.shipping_address.as_ref().map(address_json),
        "billing_address": order.billing_address.as_ref().map(address_json),
        "items": order.lines.iter().map(|l| item_json(&data.catalog, scope, order, l)).collect::<Vec<_>>(),
        "total": total_json(order, taxes, discounts),
    })
}

/// An `OrderTotal`.
fn total_json(order: &Order, taxes: Vec<Value>, discounts: Vec<Value>) -> Value {
    json!({
        "base_grand_total": money(order, order.grand_total),
        "grand_total": money(order, order.grand_total),
        "grand_total_excl_tax": money(order, order.grand_total - order.tax),
        "subtotal": money(order, order.subtotal),
        "subtotal_excl_tax": money(order, order.subtotal),
        "subtotal_incl_tax": money(order, order.subtotal + order.tax),
        "total_tax": money(order, order.tax),
        "total_shipping": money(order, order.shipping),
        "taxes": taxes,
        "discounts": discounts,
        "shipping_handling": {
            "total_amount": money(order, order.shipping),
            "amount_excluding_tax": money(order, order.shipping),
            "amount_including_tax": money(order, order.shipping),
            "taxes": [],
            "discounts": [],
        },
    })
}

fn address_json(address: &CartAddress) -> Value {
    json!({
        "firstname": address.firstname,
        "lastname": address.lastname,
        "middlename": address.middlename,
        "prefix": address.prefix,
        "suffix": address.suffix,
        "company": address.company,
        "street": address.street,
        "city": address.city,
        "region": address.region.as_ref().map(|r| r.label.clone()),
        "region_id": address.region.as_ref().and_then(|r| r.id).map(crate::uid::encode_id),
        "postcode": address.postcode,
        "country_code": address.country_code,
        "telephone": address.telephone,
        "vat_id": address.vat_id,
        "fax": address.fax,
        "custom_attributesV2": [],
    })
}

fn item_json(catalog: &Catalog, scope: &RequestScope, order: &Order, line: &OrderLine) -> Value {
    let product = catalog.product(line.line.product);
    let quantity = f64::from(line.line.quantity);
    let unit_tax = if quantity > 0.0 {
        line.tax / quantity
    } else {
        0.0
    };
    let mut item = json!({
        "__typename": "OrderItem",
        "id": crate::uid::encode_id(line.id),
        "product_name": line.name,
        "product_sku": line.sku,
        "product_url_key": product.url_key,
        "product_type": "simple",
        "product_sale_price": money(order, line.price),
        "product": product_ref(catalog, scope, line.line.product),
        "quantity_ordered": quantity,
        "quantity_invoiced": 0.0,
        "quantity_shipped": 0.0,
        "quantity_canceled": 0.0,
        "quantity_refunded": 0.0,
        "quantity_returned": 0.0,
        "quantity_return_requested": 0.0,
        "status": "Ordered",
        "eligible_for_return": false,
        "entered_options": [],
        "selected_options": [],
        "discounts": [],
        "prices": {
            "price": money(order, line.price),
            "price_including_tax": money(order, line.price + unit_tax),
            "row_total": money(order, line.row_total),
            "row_total_including_tax": money(order, line.row_total + line.tax),
            "original_price": money(order, line.price),
            "original_row_total": money(order, line.row_total),
            "original_row_total_including_tax": money(order, line.row_total + line.tax),
            "total_item_discount": money(order, line.discount),
            "discounts": [],
            "fixed_product_taxes": [],
        },
    });
    if let Some(variant) = line.line.variant() {
        item["__typename"] = json!("ConfigurableOrderItem");
        item["product_type"] = json!("configurable");
        item["parent_sku"] = json!(product.sku);
        let options =
            configurable::selected_options(catalog.product_id(line.line.product), &variant);
        item["selected_options"] = options
            .as_array()
            .map(|options| {
                options
                    .iter()
                    .map(|o| json!({ "label": o["option_label"], "value": o["value_label"] }))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into();
    }
    decorate_typed_item(catalog, order, line, &mut item);
    item
}

/// A virtual line is a plain `OrderItem` of type "virtual"; downloadable and bundle lines are
/// Adobe's `DownloadableOrderItem` (the links bought) and `BundleOrderItem` (the selections
/// with their units per bundle and unit prices).
fn decorate_typed_item(catalog: &Catalog, order: &Order, line: &OrderLine, item: &mut Value) {
    let product = catalog.product(line.line.product);
    match &line.line.kind {
        LineKind::Virtual => item["product_type"] = json!("virtual"),
        LineKind::Downloadable { links } => {
            item["__typename"] = json!("DownloadableOrderItem");
            item["product_type"] = json!("downloadable");
            let bought = downloadable_of(product).map_or_else(Vec::new, |d| {
                links
                    .indices()
                    .filter_map(|i| d.links.get(i))
                    .map(|l| {
                        json!({
                            "uid": crate::uid::encode(&format!("downloadable/{}", l.id)),
                            "title": l.title,
                            "sort_order": l.sort_order,
                        })
                    })
                    .collect()
            });
            item["downloadable_links"] = bought.into();
        }
        LineKind::Bundle { picks } => {
            item["__typename"] = json!("BundleOrderItem");
            item["product_type"] = json!("bundle");
            item["parent_sku"] = json!(product.sku);
            item["bundle_options"] = bundle_of(product)
                .map_or_else(Vec::new, |b| {
                    ordered_bundle_options(catalog, order, line, b, picks)
                })
                .into();
        }
        LineKind::Simple | LineKind::Configurable { .. } => {}
    }
}

/// `BundleOrderItem.bundle_options`: each option with what was chosen from it.
fn ordered_bundle_options(
    catalog: &Catalog,
    order: &Order,
    line: &OrderLine,
    bundle: &Bundle,
    picks: &BundlePicks,
) -> Vec<Value> {
    // The order keeps the line's unit price in its currency and group price; each selection
    // gets its share of it, in proportion to its catalog price.
    let usd = PriceView {
        currency: "USD",
        rate: 1.0,
        group_discount: 0,
    };
    let catalog_unit: f64 = pick_prices(catalog, &usd, bundle, picks)
        .map(|(p, price)| price * f64::from(p.quantity))
        .sum();
    let share = if catalog_unit > 0.0 {
        line.price / catalog_unit
    } else {
        1.0
    };
    bundle
        .options
        .iter()
        .enumerate()
        .filter_map(|(o, option)| {
            let values: Vec<Value> = picks
                .iter()
                .filter(|p| usize::from(p.option) == o)
                .filter_map(|p| {
                    option
                        .selections
                        .get(usize::from(p.selection))
                        .map(|s| (p, s))
                })
                .map(|(p, selection)| {
                    let simple = catalog.product(selection.product);
                    let price = usd.amount(usd.unit_price(simple, None).final_price) * share;
                    json!({
                        "id": crate::uid::encode_id(selection.id),
                        "uid": crate::uid::encode_id(selection.id),
                        "product_name": simple.name,
                        "product_sku": simple.sku,
                        "quantity": f64::from(p.quantity),
                        "price": money(order, price),
                    })
                })
                .collect();
            let uid = crate::uid::encode(&format!("bundle/{}", option.id));
            (!values.is_empty())
                .then(|| json!({ "id": uid, "uid": uid, "label": option.title, "values": values }))
        })
        .collect()
}

/// Each pick with its selection's unit price in `view`.
fn pick_prices<'a>(
    catalog: &'a Catalog,
    view: &'a PriceView,
    bundle: &'a Bundle,
    picks: &'a BundlePicks,
) -> impl Iterator<Item = (&'a BundlePick, f64)> + 'a {
    picks.iter().filter_map(move |p| {
        let selection = bundle
            .options
            .get(usize::from(p.option))?
            .selections
            .get(usize::from(p.selection))?;
        let unit = view.unit_price(catalog.product(selection.product), None);
        Some((p, view.amount(unit.final_price)))
    })
}
