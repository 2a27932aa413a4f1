//! The root fields a mutation calls, with where each takes its e-mail address from, so the HTTP
//! edge can hold sign-in, sign-up, password and coupon mutations to once per operation and rate
//! limit them per e-mail before anything reaches Commerce.

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, OperationType};
use async_graphql_value::Value;
use serde_json::Value as Json;

use super::limits::root_fields;

/// One root field of a mutation, as the client called it (each alias is one call).
#[derive(Debug, Clone)]
pub struct RootCall {
    pub field: Name,
    email: Option<EmailSource>,
}

/// Where a call's e-mail address comes from.
#[derive(Debug, Clone)]
enum EmailSource {
    /// An `email` argument: `generateCustomerToken(email: …)`.
    Argument(Value),
    /// The `email` field of an `input` argument: `createCustomerV2(input: { email: … })`.
    InputField(Value),
}

/// The root fields a mutation calls, through root-level fragments too; none for a query.
pub(crate) fn root_calls(
    doc: &ExecutableDocument,
    operation: &OperationDefinition,
) -> Vec<RootCall> {
    if operation.ty != OperationType::Mutation {
        return Vec::new();
    }
    root_fields(doc, &operation.selection_set.node)
        .into_iter()
        .map(|f| {
            let email = match (f.node.get_argument("email"), f.node.get_argument("input")) {
                (Some(v), _) => Some(EmailSource::Argument(v.node.clone())),
                (None, Some(v)) => Some(EmailSource::InputField(v.node.clone())),
                (None, None) => None,
            };
            RootCall {
                field: f.node.name.node.clone(),
                email,
            }
        })
        .collect()
}

impl RootCall {
    /// The e-mail address this call names, lower-cased, from a literal or the variables.
    pub fn email(&self, variables: Option<&Json>) -> Option<String> {
        let found = match self.email.as_ref()? {
            EmailSource::Argument(v) => resolve(v, variables)?,
            EmailSource::InputField(v) => match v {
                Value::Object(fields) => resolve(fields.get("email")?, variables)?,
                other => resolve(other, variables)?.get("email")?.clone(),
            },
        };
        found
            .as_str()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
    }
}

fn resolve(value: &Value, variables: Option<&Json>) -> Option<Json> {
    match value {
        Value::Variable(name) => variables?.get(name.as_str()).cloned(),
        Value::String(s) => Some(Json::String(s.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::types::DocumentOperations;
    use serde_json::json;

    fn calls(query: &str) -> Vec<RootCall> {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        let DocumentOperations::Single(op) = &doc.operations else {
            panic!("one operation");
        };
        root_calls(&doc, &op.node)
    }

    #[test]
    fn each_alias_is_a_call_with_its_email_from_literals_or_variables() {
        let found = calls(
            "mutation($e: String!, $in: CustomerCreateInput!) {
               a: generateCustomerToken(email: \"A@x.io\", password: \"p\") { token }
               b: generateCustomerToken(email: $e, password: \"p\") { token }
               ... on Mutation { createCustomerV2(input: $in) { customer { email } } }
               requestPasswordResetEmail(email: \"c@x.io\")
             }",
        );
        let variables = json!({ "e": "b@x.io", "in": { "email": "D@x.io" } });
        let emails: Vec<_> = found.iter().map(|c| c.email(Some(&variables))).collect();
        assert_eq!(
            emails,
            [
                Some("a@x.io"),
                Some("b@x.io"),
                Some("d@x.io"),
                Some("c@x.io")
            ]
            .map(|e| e.map(String::from))
        );
        assert!(calls("{ products { total_count } }").is_empty());
    }
}
