//! CMS pages and blocks (`cmsPage`, `cmsBlocks`, and pages reached through `route`), seeded
//! with Luma's page ids and identifiers.

use serde_json::{Value, json};

/// One CMS page.
pub(crate) struct CmsPage {
    pub id: u32,
    pub identifier: &'static str,
    pub title: &'static str,
    pub content_heading: &'static str,
    pub content: &'static str,
    pub page_layout: &'static str,
}

/// One CMS block.
pub(crate) struct CmsBlock {
    pub id: u32,
    pub identifier: &'static str,
    pub title: &'static str,
    pub content: &'static str,
}

const PAGES: &[CmsPage] = &[
    CmsPage {
        id: 1,
        identifier: "no-route",
        title: "404 Not Found",
        content_heading: "Whoops, our bad...",
        content: "<dl><dt>The page you requested was not found, and we have a fine guess why.</dt></dl>",
        page_layout: "2columns-right",
    },
    CmsPage {
        id: 2,
        identifier: "home",
        title: "Home Page",
        content_heading: "",
        content: "<div class=\"sandbox-home\"><h1>Welcome to the sandbox store</h1><p>Every product, price and page here is seeded demo data.</p>{{widget type=\"Magento\\CatalogWidget\\Block\\Product\\ProductsList\" products_count=\"8\"}}</div>",
        page_layout: "1column",
    },
    CmsPage {
        id: 3,
        identifier: "enable-cookies",
        title: "Enable Cookies",
        content_heading: "What are Cookies?",
        content: "<p>Cookies are short pieces of data that are sent to your computer when you visit a website.</p>",
        page_layout: "1column",
    },
    CmsPage {
        id: 4,
        identifier: "privacy-policy-cookie-restriction-mode",
        title: "Privacy Policy",
        content_heading: "Privacy Policy",
        content: "<p>This sandbox stores nothing about you.</p>",
        page_layout: "1column",
    },
    CmsPage {
        id: 5,
        identifier: "about-us",
        title: "About Us",
        content_heading: "About Us",
        content: "<p>The sandbox emulates an Adobe Commerce storefront for development and tests.</p>",
        page_layout: "1column",
    },
    CmsPage {
        id: 6,
        identifier: "customer-service",
        title: "Customer Service",
        content_heading: "Customer Service",
        content: "<p>Questions? Nobody will answer: this is a sandbox.</p>",
        page_layout: "1column",
    },
];

const BLOCKS: &[CmsBlock] = &[
    CmsBlock {
        id: 1,
        identifier: "footer-links",
        title: "Footer Links",
        content: "<ul class=\"footer links\"><li><a href=\"/about-us\">About us</a></li><li><a href=\"/customer-service\">Customer Service</a></li></ul>",
    },
    CmsBlock {
        id: 2,
        identifier: "home-promo",
        title: "Home Promotion",
        content: "<div class=\"promo\"><strong>Up to 30% off</strong> selected items. Wholesale customers save 20% on everything.</div>",
    },
    CmsBlock {
        id: 3,
        identifier: "contact-info",
        title: "Contact Information",
        content: "<p>Sandbox Store, 1 Example Way, Springfield</p>",
    },
];

pub(crate) fn page_by_id(id: u32) -> Option<&'static CmsPage> {
    PAGES.iter().find(|p| p.id == id)
}

pub(crate) fn page_by_identifier(identifier: &str) -> Option<&'static CmsPage> {
    PAGES.iter().find(|p| p.identifier == identifier)
}

/// A block by identifier, or by id when the value is numeric (as Commerce accepts both).
pub(crate) fn block(identifier: &str) -> Option<&'static CmsBlock> {
    match identifier.parse::<u32>() {
        Ok(id) => BLOCKS.iter().find(|b| b.id == id),
        Err(_) => BLOCKS.iter().find(|b| b.identifier == identifier),
    }
}

impl CmsPage {
    /// The `CmsPage` object (also a `RoutableInterface` under `route`).
    pub fn json(&self) -> Value {
        json!({
            "__typename": "CmsPage",
            "identifier": self.identifier,
            "url_key": self.identifier,
            "title": self.title,
            "content_heading": self.content_heading,
            "content": self.content,
            "page_layout": self.page_layout,
            "meta_title": self.title,
            "meta_description": "",
            "meta_keywords": "",
            "relative_url": self.identifier,
            "redirect_code": 0,
            "type": "CMS_PAGE",
        })
    }
}

impl CmsBlock {
    pub fn json(&self) -> Value {
        json!({ "identifier": self.identifier, "title": self.title, "content": self.content })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_blocks_are_found_by_id_or_identifier() {
        assert_eq!(page_by_identifier("home").map(|p| p.id), Some(2));
        assert_eq!(page_by_id(5).map(|p| p.identifier), Some("about-us"));
        assert_eq!(block("2").map(|b| b.identifier), Some("home-promo"));
        assert_eq!(block("footer-links").map(|b| b.id), Some(1));
        assert!(block("nope").is_none());
    }
}
