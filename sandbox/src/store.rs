//! Websites and store views: which one a request targets (the `Store` header), its currencies,
//! and its `StoreConfig`.
//!
//! Two websites, one store view each, as a multi-region Commerce install would have:
//! `default` (Main Website, English, base and display currency USD, EUR allowed) and `de`
//! (Europe Website, German, base currency EUR, only EUR allowed).

use serde_json::{Value, json};

use crate::catalog::ROOT_CATEGORY_ID;
use crate::directory::CurrencyCode;

/// One store view.
#[derive(Debug)]
pub(crate) struct StoreView {
    pub id: u32,
    pub code: &'static str,
    pub name: &'static str,
    pub website_id: u32,
    pub website_code: &'static str,
    pub website_name: &'static str,
    pub group_code: &'static str,
    pub group_name: &'static str,
    pub locale: &'static str,
    pub timezone: &'static str,
    pub weight_unit: &'static str,
    pub base_currency: CurrencyCode,
    pub default_display_currency: CurrencyCode,
    /// Allowed display currencies (`Content-Currency` must name one).
    pub currencies: &'static [CurrencyCode],
    /// Home page CMS identifier.
    pub cms_home_page: &'static str,
}

impl StoreView {
    /// The display currency for a `Content-Currency` value: the store's default when absent,
    /// `None` when the store does not allow it.
    pub fn display_currency(&self, requested: Option<&str>) -> Option<CurrencyCode> {
        match requested.map(str::trim).filter(|c| !c.is_empty()) {
            None => Some(self.default_display_currency),
            Some(code) => CurrencyCode::parse(code).filter(|c| self.currencies.contains(c)),
        }
    }

    /// `StoreConfig` for this store view; `base_url` ends with a slash.
    pub fn config_json(&self, base_url: &str) -> Value {
        let store_url = if self.code == "default" {
            base_url.to_owned()
        } else {
            format!("{base_url}{}/", self.code)
        };
        // Split in parts: one `json!` this large exceeds the macro recursion limit.
        let parts = [
            json!({
                "id": self.id,
                "code": self.code,
                "store_code": self.code,
                "store_name": self.name,
                "store_sort_order": 0,
                "is_default_store": self.website_id == 1,
                "is_default_store_group": true,
                "store_group_code": self.group_code,
                "store_group_name": self.group_name,
                "website_id": self.website_id,
                "website_code": self.website_code,
                "website_name": self.website_name,
                "locale": self.locale,
                "timezone": self.timezone,
                "weight_unit": self.weight_unit,
                "base_currency_code": self.base_currency.code(),
                "default_display_currency_code": self.default_display_currency.code(),
                "root_category_id": ROOT_CATEGORY_ID,
                "root_category_uid": crate::uid::encode_id(ROOT_CATEGORY_ID),
                "base_url": store_url,
                "secure_base_url": store_url,
                "base_link_url": store_url,
                "secure_base_link_url": store_url,
                "base_media_url": format!("{base_url}media/"),
                "secure_base_media_url": format!("{base_url}media/"),
                "base_static_url": format!("{base_url}static/"),
                "secure_base_static_url": format!("{base_url}static/"),
                "use_store_in_url": false,
                "product_url_suffix": ".html",
                "category_url_suffix": ".html",
                "title_separator": "-",
                "title_prefix": "",
                "title_suffix": "",
                "default_title": "Sandbox Store",
                "default_description": "Seeded demo data served by the storefront-bff sandbox.",
                "default_keywords": "sandbox, demo, commerce",
                "header_logo_src": "websites/1/logo.svg",
                "logo_alt": "Sandbox Store",
                "logo_width": 170,
                "logo_height": 40,
            }),
            json!({
                "welcome": if self.locale.starts_with("de") { "Willkommen!" } else { "Default welcome msg!" },
                "copyright": "Copyright © 2013-present Magento, Inc. All rights reserved.",
                "absolute_footer": "",
                "head_shortcut_icon": "",
                "head_includes": "",
                "cms_home_page": self.cms_home_page,
                "cms_no_route": "no-route",
                "cms_no_cookies": "enable-cookies",
                "front": "cms",
                "no_route": "cms/noroute/index",
                "show_cms_breadcrumbs": 1,
                "catalog_default_sort_by": "position",
                "grid_per_page": 12,
                "grid_per_page_values": "12,24,36",
                "list_per_page": 10,
                "list_per_page_values": "5,10,15,20,25",
                "list_mode": "grid-list",
                "autocomplete_on_storefront": true,
                "minicart_display": true,
                "minicart_max_items": 10,
                "cart_expires_in_days": 30,
                "cart_merge_preference": "merge",
                "cart_summary_display_quantity": 1,
                "configurable_product_image": "ITSELF",
                "configurable_thumbnail_source": "itself",
                "grouped_product_image": "ITSELF",
                "contact_enabled": true,
                "newsletter_enabled": true,
                "returns_enabled": "0",
                "quickorder_active": false,
                "is_negotiable_quote_active": false,
                "is_requisition_list_active": "0",
                "order_cancellation_enabled": false,
                "order_cancellation_reasons": [],
                "is_checkout_agreements_enabled": false,
                "is_guest_checkout_enabled": true,
                "is_one_page_checkout_enabled": true,
                "max_items_in_order_summary": 10,
                "display_product_prices_in_catalog": 1,
                "display_shipping_prices": 1,
            }),
            json!({
                "fixed_product_taxes_enable": false,
                "fixed_product_taxes_apply_tax_to_fpt": false,
                "fixed_product_taxes_display_prices_in_emails": 1,
                "fixed_product_taxes_display_prices_in_product_lists": 1,
                "fixed_product_taxes_display_prices_in_sales_modules": 1,
                "fixed_product_taxes_display_prices_on_product_view_page": 1,
                "fixed_product_taxes_include_fpt_in_subtotal": false,
                "orders_invoices_credit_memos_display_full_summary": false,
                "orders_invoices_credit_memos_display_grandtotal": false,
                "orders_invoices_credit_memos_display_price": 1,
                "orders_invoices_credit_memos_display_shipping_amount": 1,
                "orders_invoices_credit_memos_display_subtotal": 1,
                "orders_invoices_credit_memos_display_zero_tax": false,
                "shopping_cart_display_price": 1,
                "shopping_cart_display_shipping": 1,
                "shopping_cart_display_subtotal": 1,
                "shopping_cart_display_full_summary": false,
                "shopping_cart_display_grand_total": false,
                "shopping_cart_display_zero_tax": false,
                "default_country": if self.locale.starts_with("de") { "DE" } else { "US" },
                "countries_with_required_region": "AT,AU,CA,CH,DE,ES,IT,US",
                "optional_zip_countries": "IE",
                "display_state_if_optional": false,
                "minimum_password_length": "8",
                "required_character_classes_number": "3",
                "customer_access_token_lifetime": 1.0,
                "create_account_confirmation": false,
                "graphql_share_customer_group": true,
                "product_reviews_enabled": "1",
                "allow_guests_to_write_product_reviews": "1",
                "magento_wishlist_general_is_enabled": "1",
                "enable_multiple_wishlists": "0",
                "maximum_number_of_wishlists": "5",
                "check_money_order_enabled": true,
                "check_money_order_title": "Check / Money order",
                "zero_subtotal_enabled": true,
                "zero_subtotal_title": "No Payment Information Required",
                "demonotice": 0,
            }),
        ];
        let mut config = serde_json::Map::new();
        for part in parts {
            if let Value::Object(fields) = part {
                config.extend(fields);
            }
        }
        Value::Object(config)
    }
}

/// Every store view the sandbox serves.
pub(crate) struct Stores {
    views: Vec<StoreView>,
}

impl Stores {
    pub fn seeded() -> Stores {
        Stores {
            views: vec![
                StoreView {
                    id: 1,
                    code: "default",
                    name: "Default Store View",
                    website_id: 1,
                    website_code: "base",
                    website_name: "Main Website",
                    group_code: "main_website_store",
                    group_name: "Main Website Store",
                    locale: "en_US",
                    timezone: "America/Los_Angeles",
                    weight_unit: "lbs",
                    base_currency: CurrencyCode::Usd,
                    default_display_currency: CurrencyCode::Usd,
                    currencies: &[CurrencyCode::Usd, CurrencyCode::Eur],
                    cms_home_page: "home",
                },
                StoreView {
                    id: 2,
                    code: "de",
                    name: "German Store View",
                    website_id: 2,
                    website_code: "eu",
                    website_name: "Europe Website",
                    group_code: "eu_store",
                    group_name: "Europe Store",
                    locale: "de_DE",
                    timezone: "Europe/Berlin",
                    weight_unit: "kgs",
                    base_currency: CurrencyCode::Eur,
                    default_display_currency: CurrencyCode::Eur,
                    currencies: &[CurrencyCode::Eur],
                    cms_home_page: "home",
                },
            ],
        }
    }

    /// The store a `Store` header selects: the default one when absent or empty; `None` when
    /// unknown (Commerce accepts `default` in any case).
    pub fn select(&self, header: Option<&str>) -> Option<&StoreView> {
        self.position(header).map(|i| &self.views[i])
    }

    /// The index (into [`Stores::all`]) of the store a `Store` header selects.
    pub fn position(&self, header: Option<&str>) -> Option<usize> {
        match header.map(str::trim).filter(|h| !h.is_empty()) {
            None => Some(0),
            Some(code) if code.eq_ignore_ascii_case("default") => Some(0),
            Some(code) => self.views.iter().position(|s| s.code == code),
        }
    }

    /// Store views of a website (what `availableStores` lists).
    pub fn of_website(&self, website_id: u32) -> impl Iterator<Item = &StoreView> {
        self.views
            .iter()
            .filter(move |s| s.website_id == website_id)
    }

    pub fn all(&self) -> &[StoreView] {
        &self.views
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_header_selects_a_view_and_unknown_codes_select_none() {
        let stores = Stores::seeded();
        assert_eq!(stores.select(None).map(|s| s.code), Some("default"));
        assert_eq!(stores.select(Some(" de ")).map(|s| s.code), Some("de"));
        assert_eq!(
            stores.select(Some("DEFAULT")).map(|s| s.code),
            Some("default")
        );
        assert!(stores.select(Some("fr")).is_none());
    }

    #[test]
    fn content_currency_must_be_allowed_by_the_store() {
        let stores = Stores::seeded();
        let default = stores.select(None).expect("default");
        let de = stores.select(Some("de")).expect("de");
        assert_eq!(default.display_currency(None), Some(CurrencyCode::Usd));
        assert_eq!(
            default.display_currency(Some("eur")),
            Some(CurrencyCode::Eur)
        );
        assert_eq!(de.display_currency(None), Some(CurrencyCode::Eur));
        assert_eq!(de.display_currency(Some("USD")), None);
        assert_eq!(default.display_currency(Some("GBP")), None);
    }
}
