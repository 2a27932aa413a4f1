//! `products(filter, sort)` and the category listings: Commerce's filter inputs and the query
//! that turns them, with a search, into an ordered list of product indices.

use ahash::AHashMap;
use serde::Deserialize;

use super::Catalog;

/// `FilterEqualTypeInput`.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct EqualFilter {
    pub eq: Option<String>,
    #[serde(rename = "in")]
    pub any_of: Option<Vec<Option<String>>>,
}

impl EqualFilter {
    /// The values the filter accepts (`eq` and `in` together).
    pub(crate) fn values(&self) -> Vec<&str> {
        let mut values: Vec<&str> = self.eq.iter().map(String::as_str).collect();
        values.extend(self.any_of.iter().flatten().flatten().map(String::as_str));
        values
    }

    /// Whether the filter constrains anything.
    pub(crate) fn is_set(&self) -> bool {
        self.eq.is_some() || self.any_of.is_some()
    }
}

/// `FilterMatchTypeInput`.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct MatchFilter {
    #[serde(rename = "match")]
    pub text: Option<String>,
    /// `FULL` (default) or `PARTIAL`.
    pub match_type: Option<String>,
}

/// `FilterRangeTypeInput`.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RangeFilter {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `ProductAttributeFilterInput`, as Adobe's 2.4.9 schema defines it.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct ProductFilter {
    pub category_id: Option<EqualFilter>,
    pub category_uid: Option<EqualFilter>,
    pub category_url_path: Option<EqualFilter>,
    pub description: Option<MatchFilter>,
    pub name: Option<MatchFilter>,
    pub price: Option<RangeFilter>,
    pub short_description: Option<MatchFilter>,
    pub sku: Option<EqualFilter>,
    pub url_key: Option<EqualFilter>,
}

/// A `ProductAttributeSortInput` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortKey {
    Name,
    Position,
    Price,
    Relevance,
}

/// One sort criterion; `true` for ascending.
pub(crate) type SortBy = (SortKey, bool);

/// A products query after argument parsing.
#[derive(Debug, Default, Clone)]
pub(crate) struct ProductQuery {
    pub search: Option<String>,
    pub filter: ProductFilter,
    /// In the order the client gave them; empty for the default order.
    pub sort: Vec<SortBy>,
}

/// A filter value Commerce would reject.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum FilterError {
    #[error("Value of uid \"{0}\" is incorrect.")]
    InvalidUid(String),
    #[error("Invalid value of \"{0}\" provided for the price field.")]
    InvalidPrice(String),
}

/// Where a query's candidate products come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Sku,
    UrlKey,
    Categories,
    Search,
    All,
}

/// Matching products in result order, with the categories the filter named (for aggregations).
#[derive(Debug, Default)]
pub(crate) struct Matches {
    pub products: Vec<u32>,
    pub filtered_categories: Vec<u32>,
}

impl Catalog {
    /// Runs a products query. `price_of` gives a product's minimal final price as displayed (in
    /// the request's currency and customer group), used by the price filter and sort.
    pub(crate) fn find_products(
        &self,
        query: &ProductQuery,
        price_of: &dyn Fn(u32) -> f64,
    ) -> Result<Matches, FilterError> {
        let filter = &query.filter;
        let categories = self.filtered_categories(filter)?;
        let search = query
            .search
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| self.search.search(s));

        // Start from the most selective source; the other constraints then filter it.
        let by_sku = filter.sku.as_ref().filter(|f| f.is_set());
        let by_url_key = filter.url_key.as_ref().filter(|f| f.is_set());
        let (mut products, source) = if let Some(f) = by_sku {
            (self.lookup_all(f, |s| self.product_by_sku(s)), Source::Sku)
        } else if let Some(f) = by_url_key {
            (
                self.lookup_all(f, |k| self.product_by_url_key(k)),
                Source::UrlKey,
            )
        } else if let Some(cats) = &categories {
            (self.products_in(cats), Source::Categories)
        } else if let Some(scores) = &search {
            let mut found: Vec<u32> = scores.keys().copied().collect();
            found.sort_unstable();
            (found, Source::Search)
        } else {
            ((0..self.product_count()).collect(), Source::All)
        };
        if self.overlay.is_active() {
            self.apply_overlay(&mut products, source, query.search.as_deref());
        }

        if let (Some(f), true) = (by_url_key, source != Source::UrlKey) {
            let keys = f.values();
            products.retain(|&p| keys.contains(&self.product(p).url_key.as_str()));
        }
        if let (Some(cats), true) = (&categories, source != Source::Categories) {
            products.retain(|&p| {
                cats.iter()
                    .any(|&c| self.is_within(self.product(p).leaf, c))
            });
        }
        if let (Some(scores), true) = (&search, source != Source::Search) {
            products.retain(|p| scores.contains_key(p));
        }
        for (text, in_description) in [
            (&filter.name, false),
            (&filter.description, true),
            (&filter.short_description, true),
        ] {
            if let Some(MatchFilter {
                text: Some(text),
                match_type,
            }) = text
            {
                let partial = match_type.as_deref() == Some("PARTIAL");
                let hits = self.search.text_match(text, in_description, partial);
                products.retain(|p| hits.contains(p));
            }
        }
        if let Some(range) = &filter.price {
            let from = parse_price(range.from.as_deref())?;
            let to = parse_price(range.to.as_deref())?;
            products.retain(|&p| {
                let price = price_of(p);
                from.is_none_or(|f| price >= f) && to.is_none_or(|t| price <= t)
            });
        }

        self.sort_products(&mut products, query, search.as_ref(), price_of);
        Ok(Matches {
            products,
            filtered_categories: categories.unwrap_or_default(),
        })
    }

    /// What REST writes changed: disabled or invisible products leave the list; products
    /// created over REST join a search whose words are all in their name (the seeded search
    /// index does not know them).
    fn apply_overlay(&self, products: &mut Vec<u32>, source: Source, search: Option<&str>) {
        products.retain(|&p| self.is_listed(p));
        if source != Source::Search {
            return;
        }
        let Some(words) = search.map(|s| s.to_lowercase()) else {
            return;
        };
        let first_new = self.products.len() as u32;
        for index in first_new..self.product_count() {
            let name = self.product(index).name.to_lowercase();
            if self.is_listed(index) && words.split_whitespace().all(|w| name.contains(w)) {
                products.push(index);
            }
        }
    }

    /// Category indices named by the category filters; `None` when none is set. Several
    /// filters intersect; values that name no category select nothing.
    fn filtered_categories(&self, filter: &ProductFilter) -> Result<Option<Vec<u32>>, FilterError> {
        let mut selected: Option<Vec<u32>> = None;
        let mut narrow = |found: Vec<u32>| {
            selected = Some(match selected.take() {
                None => found,
                Some(previous) => previous.into_iter().filter(|c| found.contains(c)).collect(),
            });
        };
        if let Some(f) = filter.category_id.as_ref().filter(|f| f.is_set()) {
            narrow(
                f.values()
                    .into_iter()
                    .filter_map(|v| v.trim().parse().ok())
                    .filter_map(|id| self.category_index(id))
                    .collect(),
            );
        }
        if let Some(f) = filter.category_uid.as_ref().filter(|f| f.is_set()) {
            let mut found = Vec::new();
            for uid in f.values() {
                let id = crate::uid::decode_id(uid)
                    .ok_or_else(|| FilterError::InvalidUid(uid.to_owned()))?;
                found.extend(self.category_index(id));
            }
            narrow(found);
        }
        if let Some(f) = filter.category_url_path.as_ref().filter(|f| f.is_set()) {
            narrow(
                f.values()
                    .into_iter()
                    .filter_map(|p| self.category_by_url_path(p))
                    .collect(),
            );
        }
        Ok(selected)
    }

    /// Products named by an equality filter, in position order without duplicates.
    fn lookup_all(&self, filter: &EqualFilter, find: impl Fn(&str) -> Option<u32>) -> Vec<u32> {
        let mut found: Vec<u32> = filter.values().into_iter().filter_map(find).collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Products of the given categories, in position order without duplicates.
    fn products_in(&self, categories: &[u32]) -> Vec<u32> {
        match categories {
            [] => Vec::new(),
            [one] => self.category(*one).products.clone(),
            many => {
                let mut all: Vec<u32> = many
                    .iter()
                    .flat_map(|&c| self.category(c).products.iter().copied())
                    .collect();
                all.sort_unstable();
                all.dedup();
                all
            }
        }
    }

    fn sort_products(
        &self,
        products: &mut Vec<u32>,
        query: &ProductQuery,
        search: Option<&AHashMap<u32, u32>>,
        price_of: &dyn Fn(u32) -> f64,
    ) {
        let default = [if search.is_some() {
            (SortKey::Relevance, false)
        } else {
            (SortKey::Position, true)
        }];
        let sort: &[SortBy] = if query.sort.is_empty() {
            &default
        } else {
            &query.sort
        };
        // Products come in position (index) order, so position ascending needs no work.
        if sort == [(SortKey::Position, true)] {
            return;
        }
        // One key per product and criterion (at most one per `SortKey`), computed once;
        // descending keys are negated.
        let keyed = |p: u32| -> [f64; 4] {
            let mut keys = [0.0; 4];
            for (slot, &(key, ascending)) in keys.iter_mut().zip(sort) {
                let value = match key {
                    SortKey::Name => f64::from(self.name_rank(p)),
                    SortKey::Position => f64::from(p),
                    SortKey::Price => price_of(p),
                    SortKey::Relevance => {
                        f64::from(search.and_then(|s| s.get(&p)).copied().unwrap_or(0))
                    }
                };
                *slot = if ascending { value } else { -value };
            }
            keys
        };
        let mut keys: Vec<([f64; 4], u32)> = products.iter().map(|&p| (keyed(p), p)).collect();
        keys.sort_unstable_by(|(a, pa), (b, pb)| {
            a.iter()
                .zip(b)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| pa.cmp(pb))
        });
        *products = keys.into_iter().map(|(_, p)| p).collect();
    }
}

fn parse_price(value: Option<&str>) -> Result<Option<f64>, FilterError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .map(Some)
            .map_err(|_| FilterError::InvalidPrice(v.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::seed(600, 50, 11)
    }

    fn by_price(catalog: &Catalog) -> impl Fn(u32) -> f64 + '_ {
        |p| f64::from(catalog.product(p).price) / 100.0
    }

    fn run(catalog: &Catalog, query: ProductQuery) -> Vec<u32> {
        catalog
            .find_products(&query, &by_price(catalog))
            .expect("valid query")
            .products
    }

    fn search(text: &str) -> ProductQuery {
        ProductQuery {
            search: Some(text.to_owned()),
            ..Default::default()
        }
    }

    fn equal(value: &str) -> Option<EqualFilter> {
        Some(EqualFilter {
            eq: Some(value.to_owned()),
            any_of: None,
        })
    }

    #[test]
    fn a_sku_search_puts_the_product_first() {
        let catalog = catalog();
        let sku = catalog.products[42].sku.clone();
        let hits = run(&catalog, search(&sku));
        assert_eq!(hits.first(), Some(&42));
    }

    #[test]
    fn category_filter_includes_descendants_in_position_order() {
        let catalog = catalog();
        let women = catalog.category_by_url_path("women").expect("women");
        let query = ProductQuery {
            filter: ProductFilter {
                category_id: equal(&catalog.category(women).id.to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        let hits = run(&catalog, query);
        assert!(!hits.is_empty());
        assert!(hits.windows(2).all(|w| w[0] < w[1]));
        assert!(
            hits.iter()
                .all(|&p| catalog.is_within(catalog.product(p).leaf, women))
        );
        assert_eq!(hits.len(), catalog.category(women).products.len());
    }

    #[test]
    fn category_uid_and_url_path_filters_agree_with_the_id_filter() {
        let catalog = catalog();
        let jackets = catalog
            .category_by_url_path("men/tops-men/jackets-men")
            .expect("men's jackets");
        let id = catalog.category(jackets).id;
        let by_id = run(
            &catalog,
            ProductQuery {
                filter: ProductFilter {
                    category_id: equal(&id.to_string()),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        let by_uid = run(
            &catalog,
            ProductQuery {
                filter: ProductFilter {
                    category_uid: equal(&crate::uid::encode_id(id)),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        let by_path = run(
            &catalog,
            ProductQuery {
                filter: ProductFilter {
                    category_url_path: equal("men/tops-men/jackets-men"),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        assert_eq!(by_id, by_uid);
        assert_eq!(by_id, by_path);
        let bad = catalog.find_products(
            &ProductQuery {
                filter: ProductFilter {
                    category_uid: equal("%%%"),
                    ..Default::default()
                },
                ..Default::default()
            },
            &by_price(&catalog),
        );
        assert_eq!(bad.err(), Some(FilterError::InvalidUid("%%%".to_owned())));
    }

    #[test]
    fn sku_and_url_key_filters_select_exactly() {
        let catalog = catalog();
        let query = ProductQuery {
            filter: ProductFilter {
                sku: Some(EqualFilter {
                    eq: None,
                    any_of: Some(vec![
                        Some(catalog.products[3].sku.clone()),
                        Some(catalog.products[1].sku.clone()),
                        None,
                    ]),
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(run(&catalog, query), vec![1, 3]);
        let query = ProductQuery {
            filter: ProductFilter {
                url_key: equal(&catalog.products[9].url_key),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(run(&catalog, query), vec![9]);
    }

    #[test]
    fn price_range_is_inclusive_and_sorting_by_price_orders_both_ways() {
        let catalog = catalog();
        let query = ProductQuery {
            filter: ProductFilter {
                price: Some(RangeFilter {
                    from: Some("20".into()),
                    to: Some("50".into()),
                }),
                ..Default::default()
            },
            sort: vec![(SortKey::Price, true)],
            ..Default::default()
        };
        let hits = run(&catalog, query.clone());
        assert!(!hits.is_empty());
        let prices: Vec<u32> = hits.iter().map(|&p| catalog.product(p).price).collect();
        assert!(prices.iter().all(|&c| (2000..=5000).contains(&c)));
        assert!(prices.windows(2).all(|w| w[0] <= w[1]));
        let descending = run(
            &catalog,
            ProductQuery {
                sort: vec![(SortKey::Price, false)],
                ..query
            },
        );
        let prices: Vec<u32> = descending
            .iter()
            .map(|&p| catalog.product(p).price)
            .collect();
        assert!(prices.windows(2).all(|w| w[0] >= w[1]));
        let bad = ProductQuery {
            filter: ProductFilter {
                price: Some(RangeFilter {
                    from: Some("cheap".into()),
                    to: None,
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(catalog.find_products(&bad, &by_price(&catalog)).is_err());
    }

    #[test]
    fn sorting_by_name_is_alphabetical() {
        let catalog = catalog();
        let hits = run(
            &catalog,
            ProductQuery {
                filter: ProductFilter::default(),
                sort: vec![(SortKey::Name, true)],
                ..Default::default()
            },
        );
        let names: Vec<&str> = hits
            .iter()
            .map(|&p| catalog.product(p).name.as_str())
            .collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(hits.len(), catalog.products.len());
    }

    #[test]
    fn name_match_full_needs_whole_words_and_partial_accepts_beginnings() {
        let catalog = catalog();
        let style = catalog.products[5]
            .name
            .split(' ')
            .next()
            .expect("style")
            .to_owned();
        let name = |text: &str, partial: bool| ProductQuery {
            filter: ProductFilter {
                name: Some(MatchFilter {
                    text: Some(text.to_owned()),
                    match_type: partial.then(|| "PARTIAL".to_owned()),
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let full = run(&catalog, name(&style, false));
        assert!(full.contains(&5));
        let stem = &style[..style.len() - 1];
        assert!(!run(&catalog, name(stem, false)).contains(&5));
        assert!(run(&catalog, name(stem, true)).contains(&5));
    }
}
