//! The BFF's merged data: live inventory and CPQ contract prices as extension fields on
//! Commerce's `ProductInterface` (SDL in `schema.graphql` beside this file), and the services
//! that fetch and shape them — batched, cached per scope, degrading gracefully. Each is a
//! [`MergedExtension`](crate::gateway::extension::MergedExtension), the only part of the
//! gateway they know.

mod prices;
mod pricing;
mod stock;

use std::collections::HashMap;

pub use pricing::PricingService;
pub use stock::StockService;

use crate::gateway::Extension;

/// The extension SDL: `live_stock`, `contract_price` and their types.
pub const EXTENSION_SDL: &str = include_str!("schema.graphql");

/// The merged-data extension for schema composition. Its fields are answered by the gateway's
/// merge step, not by per-field resolvers.
pub fn merged_data_extension() -> Extension {
    Extension {
        sdl: EXTENSION_SDL.to_string(),
        resolvers: HashMap::new(),
    }
}

/// Today's date in UTC as `YYYY-MM-DD` (contract validity is by day).
pub fn today_utc() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
