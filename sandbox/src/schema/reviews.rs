//! Product reviews: `createProductReview`, `productReviewRatingsMetadata`, and the `reviews`,
//! `rating_summary`, `review_count` of products and `Customer.reviews`, over `crate::reviews`.
//! Rating and value ids are base64 of Commerce's entity ids, as Commerce encodes them.

use std::sync::Arc;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Map, Value, json};

use super::account::parent_customer;
use super::product::product_ref;
use super::{Data, Handler, Page, arg};
use crate::errors::{input_error, no_such_entity};
use crate::reviews::{RATING, Review, Reviews};
use crate::scope::RequestScope;
use crate::uid;

pub(super) fn query(name: &str) -> Option<Handler> {
    (name == "productReviewRatingsMetadata").then(|| Arc::new(ratings_metadata) as Handler)
}

pub(super) fn mutation(name: &str) -> Option<Handler> {
    (name == "createProductReview").then(|| Arc::new(create_product_review) as Handler)
}

fn ratings_metadata(_: &Data, _: &RequestScope, _: &ResolverContext<'_>) -> Result<Value, Error> {
    let (id, name, options) = RATING;
    let values: Vec<Value> = options
        .iter()
        .enumerate()
        .map(|(i, option)| json!({ "value_id": uid::encode_id(*option), "value": (i + 1).to_string() }))
        .collect();
    Ok(json!({ "items": [{ "id": uid::encode_id(id), "name": name, "values": values }] }))
}

/// A `ProductReview`.
fn review_json(data: &Data, scope: &RequestScope, review: &Review) -> Value {
    let breakdown: Vec<Value> = review
        .rating
        .iter()
        .map(|stars| json!({ "name": RATING.1, "value": stars.to_string() }))
        .collect();
    json!({
        "average_rating": review.rating.map_or(0.0, |s| f64::from(s) * 20.0),
        "created_at": review.created_at,
        "nickname": review.nickname,
        "summary": review.summary,
        "text": review.text,
        "ratings_breakdown": breakdown,
        "product": product_ref(&data.catalog, scope, review.product),
    })
}

fn page_of(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
    reviews: &[Review],
) -> Result<Value, Error> {
    let page = Page::from_args(ctx)?;
    let items: Vec<Value> = page
        .slice(reviews)
        .iter()
        .map(|r| review_json(data, scope, r))
        .collect();
    Ok(json!({ "items": items, "page_info": page.info(reviews.len()) }))
}

/// `ProductInterface.reviews(pageSize, currentPage)` of the visible product `index`; a
/// configurable product's variant has none of its own.
pub(super) fn product_reviews(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
    index: u32,
    is_variant: bool,
) -> Result<Value, Error> {
    let reviews = if is_variant {
        Vec::new()
    } else {
        data.reviews.of_product(index)
    };
    page_of(data, scope, ctx, &reviews)
}

/// `rating_summary` and `review_count` of a product.
pub(super) fn product_summary(data: &Data, index: u32, is_variant: bool) -> (f64, usize) {
    if is_variant {
        (0.0, 0)
    } else {
        data.reviews.summary(index)
    }
}

pub(super) fn customer_reviews(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = parent_customer(data, ctx)?;
    let reviews = data.reviews.of_customer(customer.id);
    page_of(data, scope, ctx, &reviews)
}

/// Longest nickname, summary and text kept.
const MAX_TEXT: usize = 5_000;

fn create_product_review(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let input: Map<String, Value> = arg(ctx, "input")?.unwrap_or_default();
    let field = |key: &str| -> String {
        input
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
            .chars()
            .take(MAX_TEXT)
            .collect()
    };
    let sku = field("sku");
    let (product, variant) = data
        .catalog
        .item_by_sku(&sku)
        .filter(|(p, _)| Reviews::reviewable(&data.catalog, *p))
        .ok_or_else(|| no_such_entity(format!("Could not find a product with SKU \"{sku}\"")))?;
    if variant.is_some() {
        return Err(no_such_entity(format!(
            "Could not find a product with SKU \"{sku}\""
        )));
    }
    let (nickname, summary, text) = (field("nickname"), field("summary"), field("text"));
    for (value, message) in [
        (&nickname, "Please enter a nickname."),
        (&summary, "Please enter a review summary."),
        (&text, "Please enter a review."),
    ] {
        if value.is_empty() {
            return Err(input_error(message));
        }
    }
    let rating = rating_of(&input)?;
    let review = data
        .reviews
        .add(Review {
            id: 0,
            product,
            nickname,
            summary,
            text,
            rating,
            created_at: String::new(),
            customer: scope.customer,
            approved: false,
        })
        .ok_or_else(|| input_error("The review cannot be saved right now."))?;
    Ok(json!({ "review": review_json(data, scope, &review) }))
}

/// The stars of the "Rating" rating in `ratings`; unknown rating or value ids are refused.
fn rating_of(input: &Map<String, Value>) -> Result<Option<u8>, Error> {
    let ratings = input
        .get("ratings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut stars = None;
    for rating in &ratings {
        let id = rating
            .get("id")
            .and_then(Value::as_str)
            .and_then(uid::decode_id);
        let value = rating
            .get("value_id")
            .and_then(Value::as_str)
            .and_then(uid::decode_id);
        let position = value.and_then(|v| RATING.2.iter().position(|o| *o == v));
        match (id, position) {
            (Some(id), Some(position)) if id == RATING.0 => {
                stars = u8::try_from(position + 1).ok();
            }
            _ => return Err(input_error("Invalid rating or rating value.")),
        }
    }
    Ok(stars)
}
