//! `/auth/callback`: the provider sends the browser back with `code` and `state`. Every check
//! that can refuse runs before anything is created: the pre-login cookie, the single-use
//! attempt, `state`, the token exchange, the id_token, then the CRM. Only then is the Commerce
//! customer found or created, its token minted, the guest cart merged and the session started.

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::{LOGIN_COOKIE, Sso, SsoError, request_cookie};
use crate::auth::NewSession;
use crate::auth::oidc::VerifiedIdentity;
use crate::sources::commerce::admin::AdminError;
use crate::sources::commerce::admin::model::{AdminCustomer, NewCustomer};
use crate::sources::crm::Admission;
use crate::store::{LoginAttempt, LoginAttemptId, unix_now};

/// Query parameters of `/auth/callback` (RFC 6749 §4.1.2, RFC 9207 `iss`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

/// Where to send the signed-in browser, and the cookies to set.
pub struct LoginFinished {
    pub location: String,
    pub session_cookie: axum::http::HeaderValue,
}

/// `Set-Cookie` that removes the pre-login cookie (sent with success and failure alike).
pub fn clear_login_cookie() -> String {
    format!("{LOGIN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

impl Sso {
    pub async fn finish_login(
        &self,
        cookies: &axum::http::HeaderMap,
        params: CallbackParams,
    ) -> Result<LoginFinished, SsoError> {
        let cookie = request_cookie(cookies, LOGIN_COOKIE)
            .filter(|v| !v.is_empty())
            .ok_or(SsoError::NotStarted)?;
        let attempt_id = LoginAttemptId::parse(cookie.trim()).ok_or(SsoError::AttemptExpired)?;
        let login = self
            .store
            .login_attempts()
            .take(&attempt_id, unix_now())
            .await
            .map_err(|e| SsoError::Store(e.to_string()))?
            .ok_or(SsoError::AttemptExpired)?;
        let state = params.state.as_deref().ok_or(SsoError::StateMismatch)?;
        if !bool::from(state.as_bytes().ct_eq(login.state.as_bytes())) {
            return Err(SsoError::StateMismatch);
        }
        if let Some(error) = params.error {
            return Err(SsoError::ProviderDenied(error.chars().take(64).collect()));
        }
        let provider = self.providers.get(Some(&login.provider))?;
        if let Some(iss) = &params.iss
            && iss.trim_end_matches('/') != provider.issuer().trim_end_matches('/')
        {
            // RFC 9207: the answer came from another provider (mix-up attack).
            return Err(SsoError::ProviderDenied("iss mismatch".into()));
        }
        let code = params
            .code
            .filter(|c| !c.is_empty() && c.len() <= 2048)
            .ok_or(SsoError::BadParameter("code"))?;
        let tokens = provider
            .finish_login(&code, login.pkce_verifier.expose_secret(), &login.nonce)
            .await?;
        let identity = &tokens.identity;
        let admission = self
            .crm
            .verify(&identity.email, &identity.subject, provider.issuer())
            .await?;
        if let Admission::CompanyUser(user) = &admission {
            tracing::info!(company = ?user.company, "SSO: verified company user");
        }
        let customer = self
            .find_or_create_customer(&tokens.identity, &admission)
            .await?;
        let minted = self.admin.mint_customer_token(&customer.email).await?;
        let cart_id = self.merge_guest_cart(&minted.token, &login).await;
        let (_, session_cookie) = self
            .sessions
            .start(NewSession {
                customer_token: minted.token,
                customer_token_expires_at: minted.expires_at,
                customer_email: customer.email,
                cart_id,
                provider: login.provider.clone(),
                id_token: Some(tokens.id_token.into()),
                refresh_token: None,
            })
            .await
            .map_err(|e| SsoError::Store(e.to_string()))?;
        Ok(LoginFinished {
            location: login.return_to,
            session_cookie,
        })
    }

    /// The customer with the verified e-mail, created on the first sign-in. A concurrent first
    /// sign-in may create it between the search and the create: then it is searched again.
    async fn find_or_create_customer(
        &self,
        identity: &VerifiedIdentity,
        admission: &Admission,
    ) -> Result<AdminCustomer, SsoError> {
        if let Some(found) = self.admin.find_customer_by_email(&identity.email).await? {
            return Ok(found);
        }
        match self
            .admin
            .create_customer(&new_customer(identity, admission))
            .await
        {
            Ok(created) => Ok(created),
            Err(AdminError::Status { status: 400, .. }) => self
                .admin
                .find_customer_by_email(&identity.email)
                .await?
                .ok_or_else(|| {
                    SsoError::Commerce(AdminError::Malformed("customer vanished".into()))
                }),
            Err(e) => Err(e.into()),
        }
    }

    /// The customer's cart id, with the guest cart merged in when one was given. A guest cart
    /// that cannot be merged (already ordered, someone else's) does not fail the sign-in.
    async fn merge_guest_cart(&self, token: &SecretString, login: &LoginAttempt) -> Option<String> {
        let cart_id = match self.admin.customer_cart_id(token).await {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!(error = %e, "SSO: customerCart failed");
                return None;
            }
        };
        if let Some(guest) = &login.guest_cart_id
            && let Err(e) = self.admin.merge_carts(token, guest, &cart_id).await
        {
            tracing::warn!(error = %e, "SSO: the guest cart was not merged");
        }
        Some(cart_id)
    }
}

/// Commerce requires a first and last name: the CRM's record for a company user, else the
/// provider's, else split from `name`, else the e-mail's local part.
fn new_customer(identity: &VerifiedIdentity, admission: &Admission) -> NewCustomer {
    if let Admission::CompanyUser(user) = admission
        && !user.person.firstname.trim().is_empty()
        && !user.person.lastname.trim().is_empty()
    {
        return NewCustomer {
            email: identity.email.clone(),
            firstname: user.person.firstname.clone(),
            lastname: user.person.lastname.clone(),
            group_id: None,
            website_id: None,
        };
    }
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(|v| v.trim().chars().take(255).collect::<String>())
            .filter(|v| !v.is_empty())
    };
    let full = clean(&identity.name);
    let mut split = full.as_deref().unwrap_or("").splitn(2, ' ');
    let local = identity
        .email
        .split('@')
        .next()
        .unwrap_or("Customer")
        .to_string();
    let firstname = clean(&identity.given_name)
        .or_else(|| split.next().filter(|s| !s.is_empty()).map(str::to_owned))
        .unwrap_or(local);
    let lastname = clean(&identity.family_name)
        .or_else(|| {
            split
                .next()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "-".into());
    NewCustomer {
        email: identity.email.clone(),
        firstname,
        lastname,
        group_id: None,
        website_id: None,
    }
}
