//! What a cart line of a virtual, downloadable or bundle product carries beyond its product
//! and quantity, and how Commerce's buy requests turn into it: the chosen downloadable links
//! and the chosen bundle selections with their quantities. Both are small `Copy` values (a
//! bit set, a bounded array) so a cart line stays a plain value.
//!
//! The checks and messages are Commerce's: a downloadable product whose links are bought
//! separately needs at least one of its links ("Please specify product link(s)."; unknown link
//! ids are ignored, as Commerce ignores them), a bundle needs a selection for every required
//! option ("Please select all required options.") and at least one selection at all ("Please
//! specify product option(s).").

use super::lines::{UserError, UserErrorCode, whole_quantity};
use crate::catalog::types::{Bundle, Downloadable, Kind};
use crate::catalog::{Catalog, Product};

/// Selections one bundle line holds at most.
pub(crate) const MAX_PICKS: usize = 8;

/// The chosen links of a downloadable line: bit `i` is the product's `links[i]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct LinkSet(u32);

impl LinkSet {
    /// The indices (into the product's links) chosen.
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..32).filter(move |i| self.0 & (1 << i) != 0)
    }
}

/// One chosen bundle selection: indices into the bundle's options and that option's
/// selections, and the units of it in one bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct BundlePick {
    pub option: u8,
    pub selection: u8,
    pub quantity: u16,
}

/// The chosen selections of a bundle line, in option order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct BundlePicks {
    picks: [BundlePick; MAX_PICKS],
    len: u8,
}

impl BundlePicks {
    pub fn iter(&self) -> impl Iterator<Item = &BundlePick> {
        self.picks[..usize::from(self.len)].iter()
    }
}

/// A bundle selection as a request names it: option id, selection id, and the quantity the
/// request asked for (`None`: the selection's default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RequestedPick {
    pub option: u32,
    pub selection: u32,
    pub quantity: Option<f64>,
}

fn undefined(message: &str) -> UserError {
    UserError::new(UserErrorCode::Undefined, message)
}

/// The links a downloadable line buys: the requested ones the product has (all of them when
/// links are not bought separately).
pub(crate) fn choose_links(
    downloadable: &Downloadable,
    requested: &[u32],
) -> Result<LinkSet, UserError> {
    let mut set = 0u32;
    for (i, link) in downloadable.links.iter().enumerate().take(32) {
        if !downloadable.links_purchased_separately || requested.contains(&link.id) {
            set |= 1 << i;
        }
    }
    if set == 0 {
        return Err(undefined("Please specify product link(s)."));
    }
    Ok(LinkSet(set))
}

/// The selections a bundle line buys, checked against the bundle's options.
pub(crate) fn choose_selections(
    bundle: &Bundle,
    requested: &[RequestedPick],
) -> Result<BundlePicks, UserError> {
    if requested.is_empty() {
        return Err(undefined("Please specify product option(s)."));
    }
    let mut picks = BundlePicks::default();
    for (o, option) in bundle.options.iter().enumerate() {
        let mut chosen = requested.iter().filter(|r| r.option == option.id);
        let mut count = 0;
        for wanted in chosen.by_ref() {
            let (s, selection) = option
                .selections
                .iter()
                .enumerate()
                .find(|(_, s)| s.id == wanted.selection)
                .ok_or_else(|| undefined("The required options you selected are not available."))?;
            count += 1;
            if count > 1 && !option.option_type.is_multiple() {
                return Err(undefined(
                    "The required options you selected are not available.",
                ));
            }
            let quantity = match wanted.quantity {
                Some(q) if selection.can_change_quantity => u16::try_from(whole_quantity(q)?)
                    .map_err(|_| {
                        UserError::new(
                            UserErrorCode::InvalidParameterValue,
                            "The requested qty is not available",
                        )
                    })?,
                _ => selection.quantity,
            };
            if usize::from(picks.len) >= MAX_PICKS {
                return Err(undefined("The sandbox takes at most 8 bundle selections."));
            }
            picks.picks[usize::from(picks.len)] = BundlePick {
                option: o as u8,
                selection: s as u8,
                quantity,
            };
            picks.len += 1;
        }
        if count == 0 && option.required {
            return Err(undefined("Please select all required options."));
        }
    }
    let known = |r: &RequestedPick| bundle.options.iter().any(|o| o.id == r.option);
    if !requested.iter().all(known) {
        return Err(undefined(
            "The required options you selected are not available.",
        ));
    }
    Ok(picks)
}

/// The bundle behind a product, if it is one.
pub(crate) fn bundle_of(product: &Product) -> Option<&Bundle> {
    match &product.kind {
        Kind::Bundle(b) => Some(b),
        _ => None,
    }
}

/// The downloadable part of a product, if it is one.
pub(crate) fn downloadable_of(product: &Product) -> Option<&Downloadable> {
    match &product.kind {
        Kind::Downloadable(d) => Some(d),
        _ => None,
    }
}

/// The simple product index and units per bundle of each pick.
pub(crate) fn pick_products<'a>(
    catalog: &'a Catalog,
    product: u32,
    picks: &'a BundlePicks,
) -> impl Iterator<Item = (u32, u32)> + 'a {
    let bundle = bundle_of(catalog.product(product));
    picks.iter().filter_map(move |p| {
        let selection = bundle?
            .options
            .get(usize::from(p.option))?
            .selections
            .get(usize::from(p.selection))?;
        Some((selection.product, u32::from(p.quantity)))
    })
}

/// Bundles of `picks` the stock allows: the scarcest selection decides.
pub(crate) fn bundle_salable(catalog: &Catalog, product: u32, picks: &BundlePicks) -> u32 {
    pick_products(catalog, product, picks)
        .map(|(simple, units)| catalog.product_qty(simple) / units.max(1))
        .min()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> Catalog {
        Catalog::seed_with(60, 10, 3, true)
    }

    fn kind_of<'a>(catalog: &'a Catalog, sku: &str) -> &'a Product {
        let index = catalog.product_by_sku(sku).expect("seeded type");
        catalog.product(index)
    }

    #[test]
    fn links_bought_separately_must_be_named_and_included_links_come_with_the_product() {
        let catalog = typed();
        let course = downloadable_of(kind_of(&catalog, "DL-YOGA-COURSE")).expect("downloadable");
        assert_eq!(
            choose_links(course, &[]),
            Err(undefined("Please specify product link(s)."))
        );
        assert_eq!(
            choose_links(course, &[999]),
            Err(undefined("Please specify product link(s).")),
            "unknown ids are ignored"
        );
        let second = course.links[1].id;
        let chosen = choose_links(course, &[second, 999]).expect("one link");
        assert_eq!(chosen.indices().collect::<Vec<_>>(), [1]);
        let guide = downloadable_of(kind_of(&catalog, "DL-TRAIL-GUIDE")).expect("downloadable");
        let all = choose_links(guide, &[]).expect("included");
        assert_eq!(all.indices().count(), guide.links.len());
    }

    #[test]
    fn a_bundle_needs_every_required_option_and_known_selections() {
        let catalog = typed();
        let kit = bundle_of(kind_of(&catalog, "BNDL-YOGA-KIT")).expect("bundle");
        let pick = |option: u32, selection: u32, quantity: Option<f64>| RequestedPick {
            option,
            selection,
            quantity,
        };
        assert_eq!(
            choose_selections(kit, &[]),
            Err(undefined("Please specify product option(s)."))
        );
        assert_eq!(
            choose_selections(kit, &[pick(1, 1, None)]),
            Err(undefined("Please select all required options."))
        );
        assert_eq!(
            choose_selections(kit, &[pick(1, 99, None), pick(2, 3, None)]),
            Err(undefined(
                "The required options you selected are not available."
            ))
        );
        assert_eq!(
            choose_selections(kit, &[pick(1, 1, None), pick(1, 2, None), pick(2, 3, None)]),
            Err(undefined(
                "The required options you selected are not available."
            )),
            "a radio option takes one selection"
        );
        let picks = choose_selections(
            kit,
            &[pick(1, 2, Some(3.0)), pick(2, 3, None), pick(3, 4, None)],
        )
        .expect("valid");
        let quantities: Vec<u16> = picks.iter().map(|p| p.quantity).collect();
        assert_eq!(quantities, [3, 2, 1], "changed, default, default");
    }
}
