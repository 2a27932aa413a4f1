//! Categories: `categories`, the deprecated `categoryList` and `category`, and the fields of
//! `CategoryTree`. A category object is a reference (`_c` = category index) and each field is
//! resolved when selected, so a menu query costs as much as it asks for.

use std::sync::Arc;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde::Deserialize;
use serde_json::{Value, json};

use super::catalog::{product_page, sort_arg};
use super::{Data, Handler, Page, arg};
use crate::catalog::query::{EqualFilter, MatchFilter, ProductFilter, ProductQuery};
use crate::catalog::{Catalog, Category, ROOT_CATEGORY_ID};
use crate::errors::{input_error, no_such_entity};
use crate::scope::RequestScope;

/// `CategoryFilterInput`.
#[derive(Debug, Default, Deserialize)]
struct CategoryFilter {
    category_uid: Option<EqualFilter>,
    ids: Option<EqualFilter>,
    name: Option<MatchFilter>,
    parent_category_uid: Option<EqualFilter>,
    parent_id: Option<EqualFilter>,
    url_key: Option<EqualFilter>,
    url_path: Option<EqualFilter>,
}

/// A reference to a category, tagging the response with it; its fields resolve on demand.
pub(super) fn category_ref(data: &Data, scope: &RequestScope, index: u32) -> Value {
    scope.tag_entity("cat_c", data.catalog.category(index).id);
    json!({ "__typename": "CategoryTree", "_c": index })
}

fn descendants(catalog: &Catalog, index: u32) -> usize {
    catalog
        .category(index)
        .children
        .iter()
        .map(|&c| 1 + descendants(catalog, c))
        .sum()
}

fn parent_index(data: &Data, ctx: &ResolverContext<'_>) -> Result<u32, Error> {
    ctx.parent_value
        .downcast_ref::<Value>()
        .and_then(|p| p.get("_c"))
        .and_then(Value::as_u64)
        .and_then(|i| u32::try_from(i).ok())
        .filter(|&i| (i as usize) < data.catalog.categories.len())
        .ok_or_else(|| Error::new("internal: a category object without its reference"))
}

type FieldFn =
    fn(&Data, &RequestScope, &ResolverContext<'_>, u32, &Category) -> Result<Value, Error>;

/// Resolvers of `CategoryTree`'s fields; `None` for fields that stay null.
pub(super) fn field(name: &str) -> Option<Handler> {
    let f: FieldFn = match name {
        "id" => |_, _, _, _, c| Ok(json!(c.id)),
        "uid" => |_, _, _, _, c| Ok(json!(crate::uid::encode_id(c.id))),
        "name" => |_, _, _, _, c| Ok(json!(c.name)),
        "url_key" => |_, _, _, _, c| Ok(json!(c.url_key)),
        "url_path" => |_, _, _, _, c| Ok(url(c, "")),
        "url_suffix" => |_, _, _, _, _| Ok(json!(".html")),
        "canonical_url" | "relative_url" => |_, _, _, _, c| Ok(url(c, ".html")),
        "redirect_code" => |_, _, _, _, _| Ok(json!(0)),
        "type" => |_, _, _, _, _| Ok(json!("CATEGORY")),
        "level" => |_, _, _, _, c| Ok(json!(c.level)),
        "path" => |_, _, _, _, c| Ok(json!(c.path)),
        "position" => |_, _, _, _, c| Ok(json!(c.position)),
        "children_count" => |d, _, _, i, _| Ok(json!(descendants(&d.catalog, i).to_string())),
        "product_count" => |_, _, _, _, c| Ok(json!(c.products.len())),
        "include_in_menu" | "is_anchor" => |_, _, _, _, _| Ok(json!(1)),
        "display_mode" => |_, _, _, _, _| Ok(json!("PRODUCTS")),
        "default_sort_by" => |_, _, _, _, _| Ok(json!("position")),
        "available_sort_by" => |_, _, _, _, _| Ok(json!(["name", "position", "price"])),
        "description" => |_, _, _, _, c| {
            Ok(match c.parent {
                None => Value::Null,
                Some(_) => json!(format!("<p>Discover our {} selection.</p>", c.name)),
            })
        },
        "meta_title" => |_, _, _, _, c| Ok(c.parent.map_or(Value::Null, |_| json!(c.name))),
        "staged" => |_, _, _, _, _| Ok(json!(false)),
        "children" => |d, scope, _, _, c| {
            Ok(Value::Array(
                c.children
                    .iter()
                    .map(|&child| category_ref(d, scope, child))
                    .collect(),
            ))
        },
        "breadcrumbs" => |d, _, _, i, _| Ok(breadcrumbs(&d.catalog, i)),
        "products" => |d, scope, ctx, i, _| category_products(d, scope, ctx, i),
        _ => return None,
    };
    Some(Arc::new(move |data, scope, ctx| {
        let index = parent_index(data, ctx)?;
        f(data, scope, ctx, index, data.catalog.category(index))
    }))
}

/// The category's URL path with `suffix`; `null` for the root, which has no URL.
fn url(category: &Category, suffix: &str) -> Value {
    match category.parent {
        None => Value::Null,
        Some(_) => json!(format!("{}{suffix}", category.url_path)),
    }
}

/// Ancestors below the root, top-level first; `null` for top-level categories, as Commerce.
fn breadcrumbs(catalog: &Catalog, index: u32) -> Value {
    let chain: Vec<Value> = catalog
        .ancestry(index)
        .into_iter()
        .filter(|&c| c != index && catalog.category(c).parent.is_some())
        .map(|c| {
            let category = catalog.category(c);
            json!({
                "category_id": category.id,
                "category_uid": crate::uid::encode_id(category.id),
                "category_name": category.name,
                "category_level": category.level,
                "category_url_key": category.url_key,
                "category_url_path": category.url_path,
            })
        })
        .collect();
    if chain.is_empty() {
        Value::Null
    } else {
        Value::Array(chain)
    }
}

/// `CategoryTree.products(pageSize, currentPage, sort)`.
fn category_products(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
    index: u32,
) -> Result<Value, Error> {
    let id = data.catalog.category(index).id;
    let query = ProductQuery {
        search: None,
        filter: ProductFilter {
            category_id: Some(EqualFilter {
                eq: Some(id.to_string()),
                any_of: None,
            }),
            ..Default::default()
        },
        sort: sort_arg(ctx)?,
    };
    let page = Page::from_args(ctx)?;
    let (matches, items) = product_page(data, scope, &query, page)?;
    Ok(json!({
        "items": items,
        "total_count": matches.products.len(),
        "page_info": page.info(matches.products.len()),
    }))
}

/// Categories matching `CategoryFilterInput`, in tree order; the store's root without filters.
fn find(data: &Data, filters: Option<CategoryFilter>) -> Result<Vec<u32>, Error> {
    let catalog = &data.catalog;
    let Some(filters) = filters else {
        return Ok(vec![0]);
    };
    let uid_ids = |f: &Option<EqualFilter>| -> Result<Option<Vec<u32>>, Error> {
        match f.as_ref().filter(|f| f.is_set()) {
            None => Ok(None),
            Some(f) => f
                .values()
                .into_iter()
                .map(|uid| {
                    crate::uid::decode_id(uid)
                        .ok_or_else(|| input_error(format!("Value of uid \"{uid}\" is incorrect.")))
                })
                .collect::<Result<Vec<u32>, Error>>()
                .map(Some),
        }
    };
    let plain_ids = |f: &Option<EqualFilter>| -> Option<Vec<u32>> {
        f.as_ref().filter(|f| f.is_set()).map(|f| {
            f.values()
                .into_iter()
                .filter_map(|v| v.trim().parse().ok())
                .collect()
        })
    };
    let values = |f: &Option<EqualFilter>| -> Option<Vec<String>> {
        f.as_ref()
            .filter(|f| f.is_set())
            .map(|f| f.values().into_iter().map(str::to_owned).collect())
    };
    let ids = [uid_ids(&filters.category_uid)?, plain_ids(&filters.ids)];
    let parents = [
        uid_ids(&filters.parent_category_uid)?,
        plain_ids(&filters.parent_id),
    ];
    let url_keys = values(&filters.url_key);
    let url_paths = values(&filters.url_path);
    let name = filters
        .name
        .as_ref()
        .and_then(|n| n.text.as_deref())
        .map(str::to_lowercase);

    Ok((0..catalog.categories.len() as u32)
        .filter(|&c| {
            let category = catalog.category(c);
            let parent_id = category.parent.map(|p| catalog.category(p).id);
            ids.iter().flatten().all(|ids| ids.contains(&category.id))
                && parents
                    .iter()
                    .flatten()
                    .all(|ids| parent_id.is_some_and(|p| ids.contains(&p)))
                && url_keys.as_ref().is_none_or(|keys| {
                    category.parent.is_some() && keys.contains(&category.url_key)
                })
                && url_paths.as_ref().is_none_or(|paths| {
                    category.parent.is_some() && paths.contains(&category.url_path)
                })
                && name
                    .as_ref()
                    .is_none_or(|n| category.name.to_lowercase().contains(n.as_str()))
        })
        .collect())
}

/// `categories(filters, pageSize, currentPage)`.
pub(super) fn categories(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let page = Page::from_args(ctx)?;
    let found = find(data, arg(ctx, "filters")?)?;
    page.check(found.len())?;
    let items: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|&c| category_ref(data, scope, c))
        .collect();
    Ok(json!({ "items": items, "total_count": found.len(), "page_info": page.info(found.len()) }))
}

/// The deprecated `categoryList(filters)`.
pub(super) fn category_list(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let page = Page::from_args(ctx)?;
    let found = find(data, arg(ctx, "filters")?)?;
    page.check(found.len())?;
    Ok(Value::Array(
        page.slice(&found)
            .iter()
            .map(|&c| category_ref(data, scope, c))
            .collect(),
    ))
}

/// The deprecated `category(id)`: the store's root without an id.
pub(super) fn category(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let id = arg::<i64>(ctx, "id")?.unwrap_or(i64::from(ROOT_CATEGORY_ID));
    let index = u32::try_from(id)
        .ok()
        .and_then(|id| data.catalog.category_index(id))
        .ok_or_else(|| no_such_entity("Category doesn't exist"))?;
    Ok(category_ref(data, scope, index))
}
