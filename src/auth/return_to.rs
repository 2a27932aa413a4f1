//! Where a finished login may send the browser: a relative path on the BFF, or a configured
//! storefront origin, under an allowed path prefix. Checked at `/auth/login`, before anything
//! is stored, so the BFF is never an open redirect.

use crate::config::{AuthConfig, normalize_origin};

/// Longest `return_to` accepted, in bytes.
const MAX_RETURN_TO_BYTES: usize = 2_048;

/// Why a `return_to` is refused (for logs; the client sees `SSO_RETURN_TO_REFUSED`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnToError {
    #[error("return_to is longer than {MAX_RETURN_TO_BYTES} bytes")]
    TooLong,
    #[error("return_to is not a relative path or an allowed origin")]
    Origin,
    #[error("return_to's path is not allowed")]
    Path,
}

/// The allowlist, normalised once.
#[derive(Debug, Clone, Default)]
pub struct ReturnToPolicy {
    origins: Vec<String>,
    paths: Vec<String>,
}

impl ReturnToPolicy {
    pub fn new(auth: &AuthConfig) -> Self {
        Self {
            origins: auth
                .return_to_origins
                .iter()
                .filter_map(|o| normalize_origin(o).ok())
                .collect(),
            paths: auth.return_to_paths.clone(),
        }
    }

    /// The target to redirect to (`/` when none was given), or why it is refused.
    pub fn check(&self, return_to: Option<&str>) -> Result<String, ReturnToError> {
        let Some(target) = return_to.filter(|t| !t.is_empty()) else {
            return Ok("/".into());
        };
        if target.len() > MAX_RETURN_TO_BYTES {
            return Err(ReturnToError::TooLong);
        }
        // Browsers treat `\` as `/` and drop tabs/newlines inside URLs: `/\evil.example` and
        // `/\t/evil.example` are protocol-relative to them.
        if target
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        {
            return Err(ReturnToError::Origin);
        }
        let path = if target.starts_with('/') {
            if target.starts_with("//") {
                return Err(ReturnToError::Origin);
            }
            target.to_string()
        } else {
            let url = reqwest::Url::parse(target).map_err(|_| ReturnToError::Origin)?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(ReturnToError::Origin);
            }
            let origin = url.origin().ascii_serialization();
            if !self.origins.contains(&origin) {
                return Err(ReturnToError::Origin);
            }
            url.path().to_string()
        };
        if !self.paths.iter().any(|prefix| path_under(&path, prefix)) {
            return Err(ReturnToError::Path);
        }
        Ok(target.to_string())
    }
}

/// `path` is `prefix` or below it (`/account` allows `/account/orders`, not `/accounting`).
fn path_under(path: &str, prefix: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("");
    prefix == "/"
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| prefix.ends_with('/') || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ReturnToPolicy {
        ReturnToPolicy::new(&AuthConfig {
            return_to_origins: vec!["https://shop.example.com".into()],
            return_to_paths: vec!["/account".into(), "/checkout".into()],
            ..AuthConfig::default()
        })
    }

    #[test]
    fn relative_paths_and_allowed_origins_under_allowed_prefixes_pass() {
        let p = policy();
        assert_eq!(
            p.check(Some("/account/orders?x=1")).as_deref(),
            Ok("/account/orders?x=1")
        );
        assert!(p.check(Some("https://shop.example.com/checkout")).is_ok());
        assert_eq!(p.check(None).as_deref(), Ok("/"));
    }

    #[test]
    fn other_origins_and_protocol_relative_tricks_are_refused() {
        let p = policy();
        for bad in [
            "https://evil.example/account",
            "//evil.example/account",
            "/\\evil.example/account",
            "https://shop.example.com.evil.example/account",
            "https://user@shop.example.com/account",
            "javascript:alert(1)",
            "http://shop.example.com/account",
            "/\t/evil.example",
        ] {
            assert_eq!(p.check(Some(bad)), Err(ReturnToError::Origin), "{bad}");
        }
    }

    #[test]
    fn paths_outside_the_allowed_prefixes_are_refused() {
        let p = policy();
        assert_eq!(p.check(Some("/accounting")), Err(ReturnToError::Path));
        assert_eq!(p.check(Some("/admin")), Err(ReturnToError::Path));
    }
}
