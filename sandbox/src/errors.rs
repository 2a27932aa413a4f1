//! GraphQL errors in Commerce's shape: a message plus `extensions.category`, and the HTTP status
//! Commerce answers with for each category.

use async_graphql::{Error, ErrorExtensions};

/// Commerce's error categories (`extensions.category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    /// `GraphQlInputException`: bad arguments or headers.
    Input,
    /// `GraphQlNoSuchEntityException`.
    NoSuchEntity,
    /// `GraphQlAuthorizationException`: answered with HTTP 403.
    Authorization,
    /// `GraphQlAuthenticationException`: answered with HTTP 401.
    Authentication,
    /// `GraphQlAlreadyExistsException`.
    AlreadyExists,
    /// webonyx's own errors: syntax and validation.
    Graphql,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Input => "graphql-input",
            Category::NoSuchEntity => "graphql-no-such-entity",
            Category::Authorization => "graphql-authorization",
            Category::Authentication => "graphql-authentication",
            Category::AlreadyExists => "graphql-already-exists",
            Category::Graphql => "graphql",
        }
    }
}

/// A resolver error carrying a Commerce category.
pub(crate) fn commerce_error(category: Category, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("category", category.as_str()))
}

pub(crate) fn input_error(message: impl Into<String>) -> Error {
    commerce_error(Category::Input, message)
}

pub(crate) fn no_such_entity(message: impl Into<String>) -> Error {
    commerce_error(Category::NoSuchEntity, message)
}

/// The HTTP status Commerce's GraphQL controller derives from the first categorised error.
pub(crate) fn http_status(categories: impl IntoIterator<Item = Option<String>>) -> u16 {
    match categories.into_iter().flatten().next().as_deref() {
        Some("graphql-authentication") => 401,
        Some("graphql-authorization") => 403,
        _ => 200,
    }
}
