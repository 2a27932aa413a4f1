//! Identity: single sign-on with an OpenID Provider ([`oidc`]) and the allowlist of where a
//! finished login may send the browser ([`return_to`]), and the login/callback/logout flow
//! that ends in a Commerce customer session ([`sso`]). Sessions and the Commerce customer
//! token minted for a signed-in shopper live beside them (DESIGN §2.4).

pub mod oidc;
pub mod return_to;
pub mod sso;
