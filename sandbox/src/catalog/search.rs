//! Full-text search over the catalog: the term index built at seed time and its lookups.
//!
//! Search is token based: a query matches a product when every query token is a term of its
//! name, sku or description (a prefix of one, for tokens of three or more characters, as the
//! storefront's type-ahead expects); relevance weighs sku hits over name hits over description
//! hits.

use ahash::{AHashMap, AHashSet};

use super::attributes::{COLORS, MATERIALS};
use super::{Category, Product};

/// Term found in the product's name.
const IN_NAME: u8 = 1;
/// Term found in the product's sku.
const IN_SKU: u8 = 2;
/// Term found in the product's description (which repeats the name).
const IN_TEXT: u8 = 4;

/// Shortest query token matched as a prefix rather than as a whole term.
const MIN_PREFIX_LEN: usize = 3;

/// Products containing a term, ascending, with the fields (`IN_*` bits) they contain it in.
type Postings = Vec<(u32, u8)>;

/// Term → products containing it.
pub(crate) struct SearchIndex {
    /// Sorted by term, so prefixes are a contiguous range.
    terms: Vec<(Box<str>, Postings)>,
}

impl SearchIndex {
    pub(crate) fn build(categories: &[Category], products: &[Product]) -> SearchIndex {
        let mut terms = Interner::default();
        // Description terms shared by many products are looked up once: each category's
        // names down from the top level, each material, each color.
        let category_terms: Vec<Vec<u32>> = (0..categories.len())
            .map(|c| {
                let mut ids = Vec::new();
                let mut at = Some(c);
                while let Some(c) = at {
                    if categories[c].parent.is_some() {
                        ids.extend(tokens(&categories[c].name).map(|w| terms.id(w)));
                    }
                    at = categories[c].parent.map(|p| p as usize);
                }
                ids
            })
            .collect();
        let material_terms: Vec<Vec<u32>> = MATERIALS
            .iter()
            .map(|m| tokens(m).map(|w| terms.id(w)).collect())
            .collect();
        let color_terms: Vec<u32> = COLORS.iter().map(|c| terms.id(c.label)).collect();

        let mut own: Vec<(u32, u8)> = Vec::with_capacity(24);
        for (index, product) in products.iter().enumerate() {
            own.clear();
            for word in tokens(&product.name) {
                add(&mut own, terms.id(word), IN_NAME | IN_TEXT);
            }
            add(&mut own, terms.id(&product.sku), IN_SKU);
            for word in tokens(&product.sku) {
                add(&mut own, terms.id(word), IN_SKU);
            }
            for &id in &material_terms[usize::from(product.material)] {
                add(&mut own, id, IN_TEXT);
            }
            for &id in &category_terms[product.leaf as usize] {
                add(&mut own, id, IN_TEXT);
            }
            let colors = product
                .configurable
                .as_ref()
                .map(|c| c.colors)
                .or(product.color.map(|c| 1u16 << c))
                .unwrap_or(0);
            for (i, &id) in color_terms.iter().enumerate() {
                if colors & (1 << i) != 0 {
                    add(&mut own, id, IN_TEXT);
                }
            }
            for &(id, bits) in &own {
                terms.postings[id as usize].push((index as u32, bits));
            }
        }
        let Interner {
            ids, mut postings, ..
        } = terms;
        let mut terms: Vec<(Box<str>, Postings)> = ids
            .into_iter()
            .map(|(term, id)| (term, std::mem::take(&mut postings[id as usize])))
            .collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        SearchIndex { terms }
    }

    /// Products containing `token` (as a whole term, or as a prefix of one when `prefix`) in one
    /// of the `fields`, with the fields it was found in.
    fn lookup(&self, token: &str, fields: u8, prefix: bool) -> AHashMap<u32, u8> {
        let start = self.terms.partition_point(|(t, _)| &**t < token);
        let mut hits: AHashMap<u32, u8> = AHashMap::new();
        for (term, postings) in &self.terms[start..] {
            let matches = if prefix {
                term.starts_with(token)
            } else {
                &**term == token
            };
            if !matches {
                break;
            }
            for &(product, bits) in postings {
                if bits & fields != 0 {
                    *hits.entry(product).or_default() |= bits & fields;
                }
            }
        }
        hits
    }

    /// Full-text search: products matching every token of `text`, with their relevance.
    pub(crate) fn search(&self, text: &str) -> AHashMap<u32, u32> {
        let mut scores: Option<AHashMap<u32, u32>> = None;
        for token in tokens(text) {
            let token = token.to_ascii_lowercase();
            let prefix = token.len() >= MIN_PREFIX_LEN;
            let hits = self.lookup(&token, IN_NAME | IN_SKU | IN_TEXT, prefix);
            let exact = if prefix {
                self.lookup(&token, IN_NAME | IN_SKU, false)
            } else {
                AHashMap::new()
            };
            let weigh = |product: &u32, bits: u8| {
                let base = if bits & IN_SKU != 0 {
                    5
                } else if bits & IN_NAME != 0 {
                    3
                } else {
                    1
                };
                base + u32::from(exact.contains_key(product))
            };
            scores = Some(match scores {
                None => hits.iter().map(|(p, &bits)| (*p, weigh(p, bits))).collect(),
                Some(previous) => previous
                    .into_iter()
                    .filter_map(|(p, score)| hits.get(&p).map(|&bits| (p, score + weigh(&p, bits))))
                    .collect(),
            });
        }
        scores.unwrap_or_default()
    }

    /// Products whose name (or description) contains every token of `text`: Commerce's
    /// `FilterMatchTypeInput`, FULL matching whole words, PARTIAL their beginnings.
    pub(crate) fn text_match(
        &self,
        text: &str,
        in_description: bool,
        partial: bool,
    ) -> AHashSet<u32> {
        let fields = if in_description { IN_TEXT } else { IN_NAME };
        let mut result: Option<AHashSet<u32>> = None;
        for token in tokens(text) {
            let token = token.to_ascii_lowercase();
            let hits: AHashSet<u32> = self.lookup(&token, fields, partial).into_keys().collect();
            result = Some(match result {
                None => hits,
                Some(previous) => previous.intersection(&hits).copied().collect(),
            });
        }
        result.unwrap_or_default()
    }
}

/// Adds a term to one product's terms, merging the fields it was found in.
fn add(own: &mut Vec<(u32, u8)>, id: u32, bits: u8) {
    match own.iter_mut().find(|(t, _)| *t == id) {
        Some((_, b)) => *b |= bits,
        None => own.push((id, bits)),
    }
}

/// Lower-cased terms and their postings while the index is built; only new terms allocate.
#[derive(Default)]
struct Interner {
    ids: AHashMap<Box<str>, u32>,
    postings: Vec<Postings>,
    buffer: String,
}

impl Interner {
    fn id(&mut self, word: &str) -> u32 {
        self.buffer.clear();
        self.buffer
            .extend(word.chars().map(|c| c.to_ascii_lowercase()));
        if let Some(&id) = self.ids.get(self.buffer.as_str()) {
            return id;
        }
        let id = self.postings.len() as u32;
        self.ids.insert(self.buffer.as_str().into(), id);
        self.postings.push(Vec::new());
        id
    }
}

/// Alphanumeric runs of `text`.
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::Catalog;

    fn catalog() -> Catalog {
        Catalog::seed(600, 50, 11)
    }

    #[test]
    fn every_token_must_match_and_longer_tokens_match_word_beginnings() {
        let catalog = catalog();
        let name = catalog.products[0].name.clone();
        let mut words = name.split(' ');
        let (style, noun) = (
            words.next().expect("style"),
            words.next_back().expect("noun"),
        );
        let hits = catalog.search.search(&noun[..3]);
        assert!(hits.contains_key(&0), "a prefix of {noun} finds {name}");
        let both = catalog.search.search(&format!("{style} {noun}"));
        assert!(both.contains_key(&0));
        assert!(both.len() <= hits.len());
        assert!(catalog.search.search("zzzqqq").is_empty());
        assert!(catalog.search.search("").is_empty());
    }

    #[test]
    fn sku_hits_outrank_name_hits() {
        let catalog = catalog();
        let sku = catalog.products[42].sku.clone();
        let scores = catalog.search.search(&sku);
        let best = scores
            .iter()
            .max_by_key(|(p, score)| (**score, std::cmp::Reverse(**p)))
            .map(|(p, _)| *p);
        assert_eq!(best, Some(42));
    }

    #[test]
    fn descriptions_mention_categories_materials_and_colors() {
        let catalog = catalog();
        let women = catalog.category_by_url_path("women").expect("women");
        let hits = catalog.search.text_match("women", true, false);
        assert_eq!(hits.len(), catalog.category(women).products.len());
        assert!(
            catalog.search.text_match("women", false, false).is_empty(),
            "not in names"
        );
    }
}
