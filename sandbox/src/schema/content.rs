//! URL resolution (`route`, the deprecated `urlResolver`) and CMS content (`cmsPage`,
//! `cmsBlocks`).
//!
//! URLs resolve the way Commerce's url rewrites do: `<url_key>.html` is a product,
//! `<url_path>.html` a category, a CMS identifier a page, and `/` the store's home page.
//! Unknown URLs resolve to `null`, not to an error.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::category::category_ref;
use super::product::product_ref;
use super::{Data, arg};
use crate::cms::{self, CmsPage};
use crate::errors::{input_error, no_such_entity};
use crate::scope::RequestScope;

/// What a URL points at.
enum Target {
    Product(u32),
    Category(u32),
    Page(&'static CmsPage),
}

fn resolve(data: &Data, scope: &RequestScope, url: &str) -> Option<Target> {
    let path = url.trim();
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return cms::page_by_identifier(data.store(scope).cms_home_page).map(Target::Page);
    }
    if let Some(key) = path.strip_suffix(".html") {
        let key = key.trim_end_matches('/');
        if let Some(p) = data.catalog.product_by_url_key(key) {
            return Some(Target::Product(p));
        }
        // A product under its category path: `women/tops-women/jackets-women/<url_key>.html`.
        if let Some((category, key)) = key.rsplit_once('/')
            && let Some(p) = data.catalog.product_by_url_key(key)
            && data.catalog.category_by_url_path(category).is_some()
        {
            return Some(Target::Product(p));
        }
        return data.catalog.category_by_url_path(key).map(Target::Category);
    }
    cms::page_by_identifier(path.trim_end_matches('/')).map(Target::Page)
}

/// `route(url)`: the routable entity itself.
pub(super) fn route(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let url: String = arg(ctx, "url")?.unwrap_or_default();
    Ok(match resolve(data, scope, &url) {
        None => Value::Null,
        Some(Target::Product(p)) => product_ref(&data.catalog, scope, p),
        Some(Target::Category(c)) => category_ref(data, scope, c),
        Some(Target::Page(page)) => {
            scope.tag_entity("cms_p", page.id);
            page.json()
        }
    })
}

/// The deprecated `urlResolver(url)`: an `EntityUrl`.
pub(super) fn url_resolver(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let url: String = arg(ctx, "url")?.unwrap_or_default();
    let (id, relative_url, kind) = match resolve(data, scope, &url) {
        None => return Ok(Value::Null),
        Some(Target::Product(p)) => {
            scope.tag_entity("cat_p", data.catalog.product_id(p));
            (
                data.catalog.product_id(p),
                format!("{}.html", data.catalog.product(p).url_key),
                "PRODUCT",
            )
        }
        Some(Target::Category(c)) => {
            let category = data.catalog.category(c);
            scope.tag_entity("cat_c", category.id);
            (
                category.id,
                format!("{}.html", category.url_path),
                "CATEGORY",
            )
        }
        Some(Target::Page(page)) => {
            scope.tag_entity("cms_p", page.id);
            (page.id, page.identifier.to_owned(), "CMS_PAGE")
        }
    };
    Ok(json!({
        "id": id,
        "entity_uid": crate::uid::encode_id(id),
        "canonical_url": relative_url,
        "relative_url": relative_url,
        "redirectCode": 0,
        "type": kind,
    }))
}

/// `cmsPage(id, identifier)`: the identifier wins when both are given.
pub(super) fn cms_page(
    _data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let identifier: Option<String> = arg(ctx, "identifier")?;
    let id: Option<i64> = arg(ctx, "id")?;
    let (page, asked) = match (identifier, id) {
        (Some(identifier), _) => (cms::page_by_identifier(&identifier), identifier),
        (None, Some(id)) => (
            u32::try_from(id).ok().and_then(cms::page_by_id),
            id.to_string(),
        ),
        (None, None) => return Err(input_error("Page id/identifier should be specified")),
    };
    let page = page.ok_or_else(|| {
        no_such_entity(format!(
            "The CMS page with the \"{asked}\" ID doesn't exist."
        ))
    })?;
    scope.tag_entity("cms_p", page.id);
    Ok(page.json())
}

/// `cmsBlocks(identifiers)`: blocks by identifier or numeric id, in the order asked.
pub(super) fn cms_blocks(
    _data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let identifiers: Vec<Option<String>> = arg(ctx, "identifiers")?.unwrap_or_default();
    let identifiers: Vec<String> = identifiers.into_iter().flatten().collect();
    if identifiers.is_empty() {
        return Err(input_error(
            "\"identifiers\" of CMS blocks should be specified",
        ));
    }
    let mut items = Vec::with_capacity(identifiers.len());
    for identifier in &identifiers {
        let block = cms::block(identifier).ok_or_else(|| {
            no_such_entity(format!(
                "The CMS block with the \"{identifier}\" ID doesn't exist."
            ))
        })?;
        scope.tag_entity("cms_b", block.id);
        scope.tag(&format!("cms_b_{}", block.identifier));
        items.push(block.json());
    }
    Ok(json!({ "items": items }))
}
