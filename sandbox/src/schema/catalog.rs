//! `products(search, filter, pageSize, currentPage, sort)`: runs the catalog query, pages it,
//! and adds layered-navigation aggregations when the selection asks for them.

use async_graphql::dynamic::ResolverContext;
use async_graphql::{Error, Value as GqlValue};
use serde_json::{Value, json};

use super::product::product_ref;
use super::{Data, Page, arg};
use crate::catalog::aggregations::Aggregation;
use crate::catalog::query::{Matches, ProductFilter, ProductQuery, SortBy, SortKey};
use crate::errors::input_error;
use crate::scope::RequestScope;

/// `ProductAttributeSortInput`, keys in the order the client wrote them.
pub(super) fn sort_arg(ctx: &ResolverContext<'_>) -> Result<Vec<SortBy>, Error> {
    let Some(sort) = ctx.args.get("sort").filter(|s| !s.is_null()) else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    for (name, direction) in sort.object()?.iter() {
        if direction.is_null() {
            continue;
        }
        let key = match name.as_str() {
            "name" => SortKey::Name,
            "position" => SortKey::Position,
            "price" => SortKey::Price,
            "relevance" => SortKey::Relevance,
            other => return Err(input_error(format!("Invalid sort field \"{other}\"."))),
        };
        keys.push((key, direction.enum_name()? == "ASC"));
    }
    Ok(keys)
}

/// Runs a query and returns the matches with the references of the requested page.
pub(super) fn product_page(
    data: &Data,
    scope: &RequestScope,
    query: &ProductQuery,
    page: Page,
) -> Result<(Matches, Vec<Value>), Error> {
    let view = scope.price_view();
    let price_of = |p: u32| view.min_final_price(&data.catalog, p);
    let matches = data
        .catalog
        .find_products(query, &price_of)
        .map_err(|e| input_error(e.to_string()))?;
    page.check(matches.products.len())?;
    let items = page
        .slice(&matches.products)
        .iter()
        .map(|&p| product_ref(&data.catalog, scope, p))
        .collect();
    Ok((matches, items))
}

pub(super) fn products(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let search: Option<String> = arg(ctx, "search")?;
    let filter: Option<ProductFilter> = arg(ctx, "filter")?;
    if search.is_none() && filter.is_none() {
        return Err(input_error(
            "'search' or 'filter' input argument is required.",
        ));
    }
    let page = Page::from_args(ctx)?;
    let searching = search.as_deref().is_some_and(|s| !s.trim().is_empty());
    let query = ProductQuery {
        search,
        filter: filter.unwrap_or_default(),
        sort: sort_arg(ctx)?,
    };
    let (matches, items) = product_page(data, scope, &query, page)?;
    let total = matches.products.len();

    let mut sort_options = vec![
        json!({ "value": "position", "label": "Position" }),
        json!({ "value": "name", "label": "Product Name" }),
        json!({ "value": "price", "label": "Price" }),
    ];
    if searching {
        sort_options.insert(0, json!({ "value": "relevance", "label": "Relevance" }));
    }
    let mut result = json!({
        "total_count": total,
        "items": items,
        "page_info": page.info(total),
        "sort_fields": {
            "default": if searching { "relevance" } else { "position" },
            "options": sort_options,
        },
        "suggestions": [],
    });
    let aggregations = ctx.look_ahead().field("aggregations");
    if aggregations.exists() {
        let direct_children_only = aggregations
            .selection_fields()
            .first()
            .is_some_and(|field| {
                field.arguments().ok().is_some_and(|args| {
                    args.iter().any(|(name, value)| {
                        name.as_str() == "filter" && includes_direct_children_only(value)
                    })
                })
            });
        let view = scope.price_view();
        let price_of = |p: u32| view.min_final_price(&data.catalog, p);
        let buckets = data
            .catalog
            .aggregate(&matches, &price_of, direct_children_only);
        result["aggregations"] = Value::Array(buckets.iter().map(aggregation_json).collect());
    }
    Ok(result)
}

/// `AggregationsFilterInput.category.includeDirectChildrenOnly`.
fn includes_direct_children_only(filter: &GqlValue) -> bool {
    let GqlValue::Object(filter) = filter else {
        return false;
    };
    let Some(GqlValue::Object(category)) = filter.get("category") else {
        return false;
    };
    matches!(
        category.get("includeDirectChildrenOnly"),
        Some(GqlValue::Boolean(true))
    )
}

fn aggregation_json(aggregation: &Aggregation) -> Value {
    json!({
        "attribute_code": aggregation.attribute_code,
        "label": aggregation.label,
        "position": aggregation.position,
        "count": aggregation.options.len(),
        "options": aggregation
            .options
            .iter()
            .map(|o| json!({ "__typename": "AggregationOption", "value": o.value, "label": o.label, "count": o.count }))
            .collect::<Vec<_>>(),
    })
}
