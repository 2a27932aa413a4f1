//! Commerce's Directory module: currencies with their fixed exchange rate, and countries with
//! regions (`currency`, `countries`, `country(id)`).

use serde_json::{Value, json};

/// The currencies the sandbox's stores use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CurrencyCode {
    Usd,
    Eur,
}

/// Euros per US dollar: the fixed rate every conversion uses.
pub(crate) const EUR_PER_USD: f64 = 0.92;

impl CurrencyCode {
    pub fn code(self) -> &'static str {
        match self {
            CurrencyCode::Usd => "USD",
            CurrencyCode::Eur => "EUR",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CurrencyCode::Usd => "$",
            CurrencyCode::Eur => "€",
        }
    }

    /// Parses a `Content-Currency` value (case-insensitive, trimmed, as Commerce does).
    pub fn parse(code: &str) -> Option<CurrencyCode> {
        match code.trim().to_ascii_uppercase().as_str() {
            "USD" => Some(CurrencyCode::Usd),
            "EUR" => Some(CurrencyCode::Eur),
            _ => None,
        }
    }

    /// Units of `self` per US dollar (the catalog's currency).
    pub fn per_usd(self) -> f64 {
        match self {
            CurrencyCode::Usd => 1.0,
            CurrencyCode::Eur => EUR_PER_USD,
        }
    }

    /// Units of `to` per unit of `self`.
    pub fn rate_to(self, to: CurrencyCode) -> f64 {
        let rate = to.per_usd() / self.per_usd();
        (rate * 10_000.0).round() / 10_000.0
    }
}

/// A `Currency` object for a store with the given base, display and allowed currencies.
pub(crate) fn currency_json(
    base: CurrencyCode,
    display: CurrencyCode,
    allowed: &[CurrencyCode],
) -> Value {
    json!({
        "base_currency_code": base.code(),
        "base_currency_symbol": base.symbol(),
        "default_display_currency_code": display.code(),
        "default_display_currency_symbol": display.symbol(),
        "default_display_currecy_code": display.code(),
        "default_display_currecy_symbol": display.symbol(),
        "available_currency_codes": allowed.iter().map(|c| c.code()).collect::<Vec<_>>(),
        "exchange_rates": allowed
            .iter()
            .map(|&c| json!({ "currency_to": c.code(), "rate": base.rate_to(c) }))
            .collect::<Vec<_>>(),
    })
}

/// A country: ISO codes, English and German names, regions.
struct CountrySeed {
    id: &'static str,
    iso3: &'static str,
    english: &'static str,
    german: &'static str,
    regions: &'static [(u32, &'static str, &'static str)],
}

#[rustfmt::skip]
const COUNTRIES: &[CountrySeed] = &[
    CountrySeed { id: "AT", iso3: "AUT", english: "Austria", german: "Österreich", regions: &[(95, "WI", "Wien"), (96, "NO", "Niederösterreich"), (102, "ST", "Steiermark")] },
    CountrySeed { id: "AU", iso3: "AUS", english: "Australia", german: "Australien", regions: &[(569, "NSW", "New South Wales"), (570, "VIC", "Victoria"), (571, "QLD", "Queensland")] },
    CountrySeed { id: "BE", iso3: "BEL", english: "Belgium", german: "Belgien", regions: &[] },
    CountrySeed { id: "CA", iso3: "CAN", english: "Canada", german: "Kanada", regions: &[(66, "ON", "Ontario"), (67, "QC", "Quebec"), (68, "BC", "British Columbia"), (69, "AB", "Alberta")] },
    CountrySeed { id: "CH", iso3: "CHE", english: "Switzerland", german: "Schweiz", regions: &[(104, "ZH", "Zürich"), (105, "BE", "Bern"), (106, "GE", "Genève")] },
    CountrySeed { id: "DE", iso3: "DEU", english: "Germany", german: "Deutschland", regions: &[(80, "BAY", "Bayern"), (81, "BER", "Berlin"), (82, "HAM", "Hamburg"), (83, "NRW", "Nordrhein-Westfalen")] },
    CountrySeed { id: "DK", iso3: "DNK", english: "Denmark", german: "Dänemark", regions: &[] },
    CountrySeed { id: "ES", iso3: "ESP", english: "Spain", german: "Spanien", regions: &[(139, "Madrid", "Madrid"), (130, "Barcelona", "Barcelona")] },
    CountrySeed { id: "FI", iso3: "FIN", english: "Finland", german: "Finnland", regions: &[] },
    CountrySeed { id: "FR", iso3: "FRA", english: "France", german: "Frankreich", regions: &[(257, "75", "Paris"), (256, "69", "Rhône")] },
    CountrySeed { id: "GB", iso3: "GBR", english: "United Kingdom", german: "Vereinigtes Königreich", regions: &[] },
    CountrySeed { id: "IE", iso3: "IRL", english: "Ireland", german: "Irland", regions: &[] },
    CountrySeed { id: "IT", iso3: "ITA", english: "Italy", german: "Italien", regions: &[(700, "MI", "Milano"), (701, "RM", "Roma")] },
    CountrySeed { id: "JP", iso3: "JPN", english: "Japan", german: "Japan", regions: &[] },
    CountrySeed { id: "MX", iso3: "MEX", english: "Mexico", german: "Mexiko", regions: &[] },
    CountrySeed { id: "NL", iso3: "NLD", english: "Netherlands", german: "Niederlande", regions: &[] },
    CountrySeed { id: "NO", iso3: "NOR", english: "Norway", german: "Norwegen", regions: &[] },
    CountrySeed { id: "PL", iso3: "POL", english: "Poland", german: "Polen", regions: &[] },
    CountrySeed { id: "SE", iso3: "SWE", english: "Sweden", german: "Schweden", regions: &[] },
    CountrySeed { id: "US", iso3: "USA", english: "United States", german: "Vereinigte Staaten", regions: &[(12, "CA", "California"), (43, "NY", "New York"), (57, "TX", "Texas"), (62, "WA", "Washington"), (18, "FL", "Florida")] },
];

/// All countries, named in the store's locale (`de_DE` gets German names).
pub(crate) fn countries_json(locale: &str) -> Value {
    Value::Array(COUNTRIES.iter().map(|c| country(c, locale)).collect())
}

/// One country by its two-letter id (case-insensitive); `None` when unknown.
pub(crate) fn country_json(id: &str, locale: &str) -> Option<Value> {
    COUNTRIES
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(id.trim()))
        .map(|c| country(c, locale))
}

fn country(c: &CountrySeed, locale: &str) -> Value {
    let local = if locale.starts_with("de") {
        c.german
    } else {
        c.english
    };
    json!({
        "id": c.id,
        "two_letter_abbreviation": c.id,
        "three_letter_abbreviation": c.iso3,
        "full_name_english": c.english,
        "full_name_locale": local,
        "available_regions": if c.regions.is_empty() {
            Value::Null
        } else {
            c.regions.iter().map(|&(id, code, name)| json!({ "id": id, "code": code, "name": name })).collect()
        },
    })
}

/// Whether `id` is a country the store knows (two letters, case-insensitive).
pub(crate) fn is_known_country(id: &str) -> bool {
    COUNTRIES
        .iter()
        .any(|c| c.id.eq_ignore_ascii_case(id.trim()))
}

/// A region of a country by id or code: (id, code, name).
pub(crate) fn region(
    country: &str,
    id: Option<u32>,
    code: Option<&str>,
) -> Option<(u32, &'static str, &'static str)> {
    let country = COUNTRIES
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(country.trim()))?;
    country.regions.iter().copied().find(|&(rid, rcode, _)| {
        id.is_some_and(|id| id == rid) || code.is_some_and(|c| c.eq_ignore_ascii_case(rcode))
    })
}

/// Countries of the seed in Commerce's default `general/region/state_required`: an address there
/// needs a region.
pub(crate) fn requires_region(country: &str) -> bool {
    ["US", "CA", "AU", "CH"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(country.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_fixed_and_reciprocal() {
        assert_eq!(CurrencyCode::Usd.rate_to(CurrencyCode::Eur), 0.92);
        assert_eq!(CurrencyCode::Eur.rate_to(CurrencyCode::Usd), 1.087);
        assert_eq!(CurrencyCode::parse(" eur "), Some(CurrencyCode::Eur));
        assert_eq!(CurrencyCode::parse("GBP"), None);
    }

    #[test]
    fn countries_are_named_in_the_store_locale() {
        let de = country_json("de", "de_DE").expect("Germany");
        assert_eq!(de["full_name_locale"], "Deutschland");
        assert_eq!(de["full_name_english"], "Germany");
        assert!(country_json("XX", "en_US").is_none());
        assert!(
            countries_json("en_US")
                .as_array()
                .is_some_and(|a| a.len() == COUNTRIES.len())
        );
    }
}
