//! Commerce's `searchCriteria` query parameters (`searchCriteria[filterGroups][0][filters][0][field]=…`,
//! camelCase or snake_case, as clients send both) and their evaluation over customers: filters
//! in a group are OR-ed, groups AND-ed; `sortOrders`; `pageSize` / `currentPage` (a page past
//! the end shows the last page, as Commerce's collections do).

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::RestError;
use crate::customers::Customer;

/// Most filter groups, filters per group and sort orders a search may have.
const MAX_ENTRIES: usize = 32;

#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Filter {
    field: String,
    value: Option<String>,
    condition_type: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct SortOrder {
    field: String,
    direction: Option<String>,
}

/// `framework-search-criteria-interface`.
#[derive(Debug, Default, PartialEq)]
pub(super) struct SearchCriteria {
    filter_groups: Vec<Vec<Filter>>,
    sort_orders: Vec<SortOrder>,
    page_size: Option<usize>,
    current_page: Option<usize>,
}

impl SearchCriteria {
    /// Reads the criteria from query parameters; Commerce's "required" error when there are none.
    pub fn parse(params: &[(String, String)]) -> Result<SearchCriteria, RestError> {
        let mut criteria = SearchCriteria::default();
        let mut any = false;
        for (key, value) in params {
            let Some(path) = key
                .strip_prefix("searchCriteria")
                .or_else(|| key.strip_prefix("search_criteria"))
            else {
                continue;
            };
            any = true;
            let segments: Vec<&str> = path
                .split('[')
                .skip(1)
                .map(|s| s.trim_end_matches(']'))
                .collect();
            criteria.set(&segments, value)?;
        }
        if !any {
            return Err(RestError::Required {
                field: "searchCriteria".to_owned(),
            });
        }
        criteria.filter_groups.retain(|g| !g.is_empty());
        Ok(criteria)
    }

    fn set(&mut self, segments: &[&str], value: &str) -> Result<(), RestError> {
        match segments {
            [group, i, "filters", j, name] if is_any(group, "filterGroups", "filter_groups") => {
                let groups = grow(&mut self.filter_groups, i)?;
                let filter = grow(groups, j)?;
                match *name {
                    "field" => filter.field = value.to_owned(),
                    "value" => filter.value = Some(value.to_owned()),
                    "conditionType" | "condition_type" => {
                        filter.condition_type = Some(value.to_owned())
                    }
                    _ => {}
                }
            }
            [orders, i, name] if is_any(orders, "sortOrders", "sort_orders") => {
                let order = grow(&mut self.sort_orders, i)?;
                match *name {
                    "field" => order.field = value.to_owned(),
                    "direction" => order.direction = Some(value.to_owned()),
                    _ => {}
                }
            }
            [name] if is_any(name, "pageSize", "page_size") => {
                self.page_size = Some(number(value)?);
            }
            [name] if is_any(name, "currentPage", "current_page") => {
                self.current_page = Some(number(value)?);
            }
            _ => {}
        }
        Ok(())
    }

    /// No criteria at all: every item, one page (for routes where Commerce's `searchCriteria`
    /// is optional).
    pub fn everything() -> SearchCriteria {
        SearchCriteria::default()
    }

    /// `pageSize` and `currentPage` (from 1), when a page size was asked for.
    pub fn page(&self) -> Option<(usize, usize)> {
        let size = self.page_size.filter(|s| *s > 0)?;
        Some((size, self.current_page.unwrap_or(1).max(1)))
    }

    /// Whether `item` passes every filter group (filters in a group OR-ed).
    pub fn accepts<T>(&self, item: &T, fields: &dyn Fields<T>) -> Result<bool, RestError> {
        for group in &self.filter_groups {
            let mut any = false;
            for filter in group {
                any |= filter.matches(item, fields)?;
            }
            if !any {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The customers matching the criteria, sorted, and the page asked for; plus the total.
    pub fn apply(
        &self,
        customers: Vec<std::sync::Arc<Customer>>,
    ) -> Result<(Vec<std::sync::Arc<Customer>>, usize), RestError> {
        let mut matching = Vec::new();
        for customer in customers {
            if self.accepts(&customer, &CustomerFields)? {
                matching.push(customer);
            }
        }
        for order in self.sort_orders.iter().rev() {
            field_of(&order.field)?;
            let descending = order
                .direction
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            matching.sort_by(|a, b| {
                let ordering =
                    compare(&field_value(a, &order.field), &field_value(b, &order.field));
                if descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
        }
        let total = matching.len();
        let page = match self.page_size.filter(|s| *s > 0) {
            None => matching,
            Some(size) => {
                let last = total.div_ceil(size).max(1);
                let current = self.current_page.unwrap_or(1).clamp(1, last);
                matching
                    .into_iter()
                    .skip((current - 1).saturating_mul(size))
                    .take(size)
                    .collect()
            }
        };
        Ok((page, total))
    }

    /// The criteria as Commerce echoes them in `search_criteria`.
    pub fn to_json(&self) -> Value {
        let groups: Vec<Value> = self
            .filter_groups
            .iter()
            .map(|filters| {
                let filters: Vec<Value> = filters
                    .iter()
                    .map(|f| {
                        let mut filter = json!({ "field": f.field, "value": f.value.clone().unwrap_or_default() });
                        if let (Some(condition), Value::Object(map)) = (&f.condition_type, &mut filter) {
                            map.insert("condition_type".to_owned(), json!(condition));
                        }
                        filter
                    })
                    .collect();
                json!({ "filters": filters })
            })
            .collect();
        let mut out = json!({ "filter_groups": groups });
        if let Value::Object(map) = &mut out {
            if !self.sort_orders.is_empty() {
                let orders: Vec<Value> = self
                    .sort_orders
                    .iter()
                    .map(|o| json!({ "field": o.field, "direction": o.direction.clone().unwrap_or_else(|| "ASC".to_owned()) }))
                    .collect();
                map.insert("sort_orders".to_owned(), json!(orders));
            }
            if let Some(size) = self.page_size {
                map.insert("page_size".to_owned(), json!(size));
            }
            if let Some(current) = self.current_page {
                map.insert("current_page".to_owned(), json!(current));
            }
        }
        out
    }
}

/// The fields a search may name on items of type `T`.
pub(super) trait Fields<T> {
    /// Whether `field` exists (and sorts as a number).
    fn kind(&self, field: &str) -> Option<Kind>;
    fn value(&self, item: &T, field: &str) -> Option<String>;
}

struct CustomerFields;

impl Fields<std::sync::Arc<Customer>> for CustomerFields {
    fn kind(&self, field: &str) -> Option<Kind> {
        field_of(field).ok()
    }

    fn value(&self, item: &std::sync::Arc<Customer>, field: &str) -> Option<String> {
        field_value(item, field)
    }
}

impl Filter {
    fn matches<T>(&self, item: &T, fields: &dyn Fields<T>) -> Result<bool, RestError> {
        let kind = fields
            .kind(&self.field)
            .ok_or_else(|| RestError::InvalidValue {
                field: "field".to_owned(),
                value: self.field.chars().take(64).collect(),
            })?;
        let actual = fields.value(item, &self.field);
        let wanted = self.value.clone().unwrap_or_default();
        let condition = self
            .condition_type
            .as_deref()
            .unwrap_or("eq")
            .to_ascii_lowercase();
        let eq = |value: &str| match (&actual, kind) {
            (Some(actual), _) => actual.eq_ignore_ascii_case(value.trim()),
            (None, _) => false,
        };
        let ordered = |accept: fn(Ordering) -> bool| {
            actual
                .as_ref()
                .is_some_and(|a| accept(compare(&Some(a.clone()), &Some(wanted.clone()))))
        };
        Ok(match condition.as_str() {
            "eq" => eq(&wanted),
            "neq" => !eq(&wanted),
            "like" => actual.as_deref().is_some_and(|a| like(a, &wanted)),
            "nlike" => !actual.as_deref().is_some_and(|a| like(a, &wanted)),
            "in" => wanted.split(',').any(eq),
            "nin" => !wanted.split(',').any(eq),
            "gt" => ordered(|o| o == Ordering::Greater),
            "lt" => ordered(|o| o == Ordering::Less),
            "gteq" | "from" => ordered(|o| o != Ordering::Less),
            "lteq" | "to" => ordered(|o| o != Ordering::Greater),
            "null" => actual.is_none(),
            "notnull" => actual.is_some(),
            _ => {
                return Err(RestError::InvalidValue {
                    field: "condition_type".to_owned(),
                    value: condition.chars().take(32).collect(),
                });
            }
        })
    }
}

/// Whether a field sorts as a number.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Number,
    Text,
}

fn field_of(field: &str) -> Result<Kind, RestError> {
    match field {
        "entity_id" | "id" | "group_id" | "website_id" | "store_id" | "gender" => Ok(Kind::Number),
        "email" | "firstname" | "lastname" | "middlename" | "prefix" | "suffix" | "dob"
        | "taxvat" | "created_at" | "updated_at" | "created_in" => Ok(Kind::Text),
        other => Err(RestError::InvalidValue {
            field: "field".to_owned(),
            value: other.chars().take(64).collect(),
        }),
    }
}

fn field_value(customer: &Customer, field: &str) -> Option<String> {
    let text = |s: &Option<String>| s.clone();
    match field {
        "entity_id" | "id" => Some(customer.id.to_string()),
        "group_id" => Some(customer.group.id().to_string()),
        "website_id" => Some(customer.website_id.to_string()),
        "store_id" => Some(customer.store_id.to_string()),
        "gender" => (customer.gender != 0).then(|| customer.gender.to_string()),
        "email" => Some(customer.email.clone()),
        "firstname" => Some(customer.firstname.clone()),
        "lastname" => Some(customer.lastname.clone()),
        "middlename" => text(&customer.middlename),
        "prefix" => text(&customer.prefix),
        "suffix" => text(&customer.suffix),
        "dob" => text(&customer.dob),
        "taxvat" => text(&customer.taxvat),
        "created_at" => Some(customer.created_at.clone()),
        "updated_at" => Some(customer.updated_at.clone()),
        "created_in" => Some(customer.created_in.clone()),
        _ => None,
    }
}

/// Numbers as numbers, text case-insensitively (MySQL's default collation); missing first.
fn compare(a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
            (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => a.to_lowercase().cmp(&b.to_lowercase()),
        },
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// SQL `LIKE` with `%` and `_`, case-insensitive.
fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    // Iterative wildcard matching with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '_' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '%' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

fn is_any(name: &str, camel: &str, snake: &str) -> bool {
    name == camel || name == snake
}

/// The entry at index `i` of `items`, created (with those before it) when missing.
fn grow<'v, T: Default>(items: &'v mut Vec<T>, i: &str) -> Result<&'v mut T, RestError> {
    let index: usize = i.parse().map_err(|_| RestError::InvalidType {
        value: i.chars().take(32).collect(),
        expected: "int",
    })?;
    if index >= MAX_ENTRIES {
        return Err(RestError::Input(format!(
            "A search may have at most {MAX_ENTRIES} filter groups, filters per group and sort orders."
        )));
    }
    if items.len() <= index {
        items.resize_with(index + 1, T::default);
    }
    Ok(&mut items[index])
}

fn number(value: &str) -> Result<usize, RestError> {
    value.trim().parse().map_err(|_| RestError::InvalidType {
        value: value.chars().take(32).collect(),
        expected: "int",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_sql_wildcards_case_insensitively() {
        assert!(like("Roni_Cost@example.com", "%@EXAMPLE.com"));
        assert!(like("abc", "a_c"));
        assert!(like("abc", "%"));
        assert!(!like("abc", "a_"));
        assert!(like("aXbXc", "a%b%c"));
    }

    #[test]
    fn camel_and_snake_case_parameters_parse_alike() {
        let camel = [
            (
                "searchCriteria[filterGroups][0][filters][0][field]",
                "email",
            ),
            (
                "searchCriteria[filterGroups][0][filters][0][value]",
                "a@b.c",
            ),
            (
                "searchCriteria[filterGroups][0][filters][0][conditionType]",
                "eq",
            ),
            ("searchCriteria[pageSize]", "5"),
        ];
        let snake = [
            (
                "search_criteria[filter_groups][0][filters][0][field]",
                "email",
            ),
            (
                "search_criteria[filter_groups][0][filters][0][value]",
                "a@b.c",
            ),
            (
                "search_criteria[filter_groups][0][filters][0][condition_type]",
                "eq",
            ),
            ("search_criteria[page_size]", "5"),
        ];
        let owned = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let a = SearchCriteria::parse(&owned(&camel)).expect("camel");
        let b = SearchCriteria::parse(&owned(&snake)).expect("snake");
        assert_eq!(a, b);
        assert_eq!(a.filter_groups.len(), 1);
        assert_eq!(a.page_size, Some(5));
    }

    #[test]
    fn huge_indexes_are_refused_without_allocating() {
        let params = vec![(
            "searchCriteria[filterGroups][99999999][filters][0][field]".to_owned(),
            "email".to_owned(),
        )];
        assert!(matches!(
            SearchCriteria::parse(&params),
            Err(RestError::Input(_))
        ));
    }
}
