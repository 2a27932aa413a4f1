//! `Products.aggregations`: layered-navigation buckets over every product a query matched
//! (not only the requested page): price ranges, categories, colors and sizes.

use super::Catalog;
use super::attributes::{COLORS, SIZES};
use super::query::Matches;

/// One `Aggregation`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Aggregation {
    pub attribute_code: &'static str,
    pub label: &'static str,
    pub position: u32,
    pub options: Vec<AggregationOption>,
}

/// One `AggregationOption`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AggregationOption {
    pub value: String,
    pub label: String,
    pub count: u32,
}

/// Smallest price step Commerce's automatic price ranges go down to.
const MIN_PRICE_STEP: f64 = 10.0;

impl Catalog {
    /// Buckets over `matches`. With `direct_children_only`, the category buckets of a query
    /// filtered by category are that category's direct children only.
    pub(crate) fn aggregate(
        &self,
        matches: &Matches,
        price_of: &dyn Fn(u32) -> f64,
        direct_children_only: bool,
    ) -> Vec<Aggregation> {
        let products = &matches.products;
        let mut aggregations = Vec::with_capacity(4);
        if products.is_empty() {
            return aggregations;
        }
        let prices: Vec<f64> = products.iter().map(|&p| price_of(p)).collect();
        aggregations.push(Aggregation {
            attribute_code: "price",
            label: "Price",
            position: 0,
            options: price_buckets(&prices),
        });

        let mut per_category = vec![0u32; self.categories.len()];
        let mut per_color = [0u32; COLORS.len()];
        let mut per_size = [0u32; SIZES.len()];
        for &p in products {
            let product = self.product(p);
            let mut at = Some(product.leaf);
            while let Some(c) = at {
                per_category[c as usize] += 1;
                at = self.category(c).parent;
            }
            let colors = match &product.configurable {
                Some(c) => c.colors,
                None => product.color.map_or(0, |c| 1 << c),
            };
            for (i, count) in per_color.iter_mut().enumerate() {
                if colors & (1 << i) != 0 {
                    *count += 1;
                }
            }
            if let Some(c) = &product.configurable {
                for s in c.size_indices() {
                    per_size[usize::from(s)] += 1;
                }
            }
        }

        let filtered = &matches.filtered_categories;
        let shown = |c: usize| -> bool {
            let category = &self.categories[c];
            let Some(parent) = category.parent else {
                return false;
            };
            if filtered.contains(&(c as u32)) {
                return false;
            }
            if direct_children_only && !filtered.is_empty() {
                return filtered.contains(&parent);
            }
            true
        };
        let categories: Vec<AggregationOption> = per_category
            .iter()
            .enumerate()
            .filter(|&(c, &count)| count > 0 && shown(c))
            .map(|(c, &count)| AggregationOption {
                value: crate::uid::encode_id(self.categories[c].id),
                label: self.categories[c].name.clone(),
                count,
            })
            .collect();
        if !categories.is_empty() {
            aggregations.push(Aggregation {
                attribute_code: "category_uid",
                label: "Category",
                position: 1,
                options: categories,
            });
        }

        let colors: Vec<AggregationOption> = COLORS
            .iter()
            .zip(per_color)
            .filter(|(_, count)| *count > 0)
            .map(|(color, count)| AggregationOption {
                value: color.id.to_string(),
                label: color.label.to_owned(),
                count,
            })
            .collect();
        if !colors.is_empty() {
            aggregations.push(Aggregation {
                attribute_code: "color",
                label: "Color",
                position: 2,
                options: colors,
            });
        }
        let sizes: Vec<AggregationOption> = SIZES
            .iter()
            .zip(per_size)
            .filter(|(_, count)| *count > 0)
            .map(|(size, count)| AggregationOption {
                value: size.id.to_string(),
                label: size.label.to_owned(),
                count,
            })
            .collect();
        if !sizes.is_empty() {
            aggregations.push(Aggregation {
                attribute_code: "size",
                label: "Size",
                position: 3,
                options: sizes,
            });
        }
        aggregations
    }
}

/// Commerce's automatic price ranges: the largest power-of-ten step below the highest price
/// that still yields two buckets (down to a step of 10); values "from_to", labels "from-to".
fn price_buckets(prices: &[f64]) -> Vec<AggregationOption> {
    let max = prices.iter().copied().fold(0.0_f64, f64::max);
    let digits = (max.floor().max(1.0)).log10().floor() as i32 + 1;
    let mut step = 10f64.powi(digits - 1).max(MIN_PRICE_STEP);
    let mut buckets = bucket(prices, step);
    while buckets.len() < 2 && step > MIN_PRICE_STEP {
        step /= 10.0;
        buckets = bucket(prices, step);
    }
    buckets
        .into_iter()
        .map(|(index, count)| {
            let from = index as f64 * step;
            let to = from + step;
            AggregationOption {
                value: format!("{from}_{to}"),
                label: format!("{from}-{to}"),
                count,
            }
        })
        .collect()
}

/// Counts per bucket index, ascending.
fn bucket(prices: &[f64], step: f64) -> Vec<(u64, u32)> {
    let mut counts: std::collections::BTreeMap<u64, u32> = Default::default();
    for &price in prices {
        *counts
            .entry((price / step).floor().max(0.0) as u64)
            .or_default() += 1;
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::query::{EqualFilter, ProductFilter, ProductQuery};
    use super::*;

    fn catalog() -> Catalog {
        Catalog::seed(600, 50, 5)
    }

    fn price(catalog: &Catalog) -> impl Fn(u32) -> f64 + '_ {
        |p| f64::from(catalog.product(p).price) / 100.0
    }

    #[test]
    fn price_buckets_use_the_largest_step_giving_two_ranges() {
        let buckets = price_buckets(&[12.0, 45.0, 45.5, 180.0]);
        let values: Vec<&str> = buckets.iter().map(|b| b.value.as_str()).collect();
        assert_eq!(values, ["0_100", "100_200"]);
        assert_eq!(buckets[0].count, 3);
        assert_eq!(buckets[0].label, "0-100");
        let narrow = price_buckets(&[41.0, 45.0, 49.0]);
        assert_eq!(narrow.len(), 1, "a step below 10 is never used: {narrow:?}");
        let tens = price_buckets(&[31.0, 45.0, 59.0]);
        assert_eq!(
            tens.iter().map(|b| b.value.as_str()).collect::<Vec<_>>(),
            ["30_40", "40_50", "50_60"]
        );
    }

    #[test]
    fn bucket_counts_add_up_to_the_matched_products() {
        let catalog = catalog();
        let matches = catalog
            .find_products(&ProductQuery::default(), &price(&catalog))
            .expect("query");
        let aggregations = catalog.aggregate(&matches, &price(&catalog), false);
        let codes: Vec<&str> = aggregations.iter().map(|a| a.attribute_code).collect();
        assert_eq!(codes, ["price", "category_uid", "color", "size"]);
        let price_total: u32 = aggregations[0].options.iter().map(|o| o.count).sum();
        assert_eq!(price_total as usize, catalog.products.len());
        let top_level_total: u32 = aggregations[1]
            .options
            .iter()
            .filter(|o| {
                let id = crate::uid::decode_id(&o.value).expect("uid");
                catalog
                    .category(catalog.category_index(id).expect("category"))
                    .level
                    == 2
            })
            .map(|o| o.count)
            .sum();
        assert_eq!(top_level_total as usize, catalog.products.len());
    }

    #[test]
    fn direct_children_only_narrows_category_buckets_to_the_filtered_category() {
        let catalog = catalog();
        let women = catalog.category_by_url_path("women").expect("women");
        let query = ProductQuery {
            filter: ProductFilter {
                category_id: Some(EqualFilter {
                    eq: Some(catalog.category(women).id.to_string()),
                    any_of: None,
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let matches = catalog
            .find_products(&query, &price(&catalog))
            .expect("query");
        let direct = catalog.aggregate(&matches, &price(&catalog), true);
        let labels: Vec<&str> = direct[1].options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels, ["Tops", "Bottoms"]);
        let all = catalog.aggregate(&matches, &price(&catalog), false);
        assert!(all[1].options.len() > 2);
        assert!(all[1].options.iter().all(|o| o.label != "Women"));
    }
}
