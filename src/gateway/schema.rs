//! Schema composition: Commerce's SDL plus the BFF's extension fields, built into one
//! async-graphql dynamic schema (DESIGN §2.1).
//!
//! Adding an extension field is local: describe it in an [`Extension`] (SDL plus resolvers) and
//! pass it to [`ComposedSchema::compose`]; the planner learns from the composition which fields
//! are the BFF's and keeps them out of the upstream operation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::dynamic::{self, FieldFuture};
use async_graphql::extensions::{
    Extension as EngineExtension, ExtensionContext, ExtensionFactory, NextExecute,
};
use async_graphql::parser::types::FieldDefinition;
use async_graphql::{QueryPathSegment, Response};
use commerce_schema::{FieldResolver, JsonKey, Resolvers, SchemaError, Sdl, json_field_value};

/// Where Commerce's part of the schema came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaSource {
    /// Introspected from the configured Commerce at start-up.
    Introspected,
    /// The bundled Adobe Commerce 2.4.9 schema.
    Bundled,
}

impl SchemaSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaSource::Introspected => "introspected",
            SchemaSource::Bundled => "bundled-2.4.9",
        }
    }
}

/// Fields the BFF adds to Commerce's schema and answers itself.
pub struct Extension {
    /// Additive SDL: new types, `extend type` / `extend interface` blocks.
    pub sdl: String,
    /// Resolvers keyed by (type, field); a field without one reads its parent JSON.
    pub resolvers: HashMap<(String, String), FieldResolver>,
}

/// Commerce's answer for the current operation, read by root resolvers during local execution.
pub struct UpstreamData(pub serde_json::Value);

/// Marks a request that must be parsed and validated but not executed.
pub struct ValidateOnly;

/// The composed schema and what the planner needs to know about it.
pub struct ComposedSchema {
    pub sdl: Sdl,
    pub executable: dynamic::Schema,
    pub source: SchemaSource,
    /// (type, field) pairs answered by the BFF rather than Commerce.
    local_fields: HashSet<(String, String)>,
    /// `ProductInterface` and every type implementing it.
    product_types: HashSet<String>,
}

impl ComposedSchema {
    /// Merges `extensions` into Commerce's `base` SDL and builds the executable schema.
    /// Without `introspection` (the production default) validation errors carry no suggestions.
    pub fn compose(
        base: Sdl,
        source: SchemaSource,
        extensions: Vec<Extension>,
        introspection: bool,
    ) -> Result<Self, SchemaError> {
        let mut sdl = base.clone();
        let mut custom: HashMap<(String, String), FieldResolver> = HashMap::new();
        for extension in extensions {
            sdl.merge(&extension.sdl)?;
            custom.extend(extension.resolvers);
        }
        let mut local_fields = HashSet::new();
        for ty in sdl.types() {
            let name = ty.name.node.as_str();
            for field in sdl.fields(name) {
                let field = field.node.name.node.as_str();
                if !base.fields(name).iter().any(|f| f.node.name.node == field) {
                    local_fields.insert((name.to_string(), field.to_string()));
                }
            }
        }
        let resolvers = Arc::new(GatewayResolvers { custom });
        let mut builder = sdl.build(resolvers).extension(ValidationGate);
        // "Did you mean …?" names fields of the schema: only where the schema may be read anyway.
        if !introspection {
            builder = builder.disable_introspection().disable_suggestions();
        }
        let executable = builder.finish().map_err(|e| SchemaError::Invalid(e.0))?;
        let mut product_types: HashSet<String> =
            sdl.implementers("ProductInterface").into_iter().collect();
        product_types.insert("ProductInterface".to_string());
        Ok(Self {
            sdl,
            executable,
            source,
            local_fields,
            product_types,
        })
    }

    /// Whether `type_name.field` is one of the BFF's own fields.
    pub fn is_extension_field(&self, type_name: &str, field: &str) -> bool {
        self.local_fields
            .contains(&(type_name.to_string(), field.to_string()))
    }

    /// Whether `type_name` is `ProductInterface` or implements it.
    pub fn is_product_type(&self, type_name: &str) -> bool {
        self.product_types.contains(type_name)
    }

    /// The named output type of `parent.field`.
    pub fn field_type(&self, parent: &str, field: &str) -> Option<String> {
        let def = self
            .sdl
            .fields(parent)
            .iter()
            .find(|f| f.node.name.node == field)?;
        Some(self.sdl.shape(&def.node.ty.node).type_name)
    }

    /// The composed SDL, as `storefront-bff schema` prints it and `schema.graphql` holds it.
    pub fn print_sdl(&self) -> String {
        self.executable.sdl()
    }
}

struct GatewayResolvers {
    custom: HashMap<(String, String), FieldResolver>,
}

impl Resolvers for GatewayResolvers {
    fn json_key(&self) -> JsonKey {
        JsonKey::ResponseKey
    }

    fn custom(&self, type_name: &str, field: &FieldDefinition) -> Option<FieldResolver> {
        let key = (type_name.to_string(), field.name.node.to_string());
        if let Some(r) = self.custom.get(&key) {
            return Some(r.clone());
        }
        matches!(type_name, "Query" | "Mutation").then(|| -> FieldResolver {
            Arc::new(|ctx, shape| {
                let Some(upstream) = ctx.ctx.data_opt::<UpstreamData>() else {
                    return FieldFuture::Value(None);
                };
                let key = match ctx.path_node.map(|n| n.segment) {
                    Some(QueryPathSegment::Name(k)) => k,
                    _ => return FieldFuture::Value(None),
                };
                match upstream.0.get(key) {
                    None => FieldFuture::Value(None),
                    Some(v) => match json_field_value(v, shape, shape.list_depth) {
                        Ok(v) => FieldFuture::Value(v),
                        Err(e) => FieldFuture::Future(Box::pin(async move { Err(e) })),
                    },
                }
            })
        })
    }
}

/// Stops after validation for requests carrying [`ValidateOnly`].
struct ValidationGate;

impl ExtensionFactory for ValidationGate {
    fn create(&self) -> Arc<dyn EngineExtension> {
        Arc::new(ValidationGate)
    }
}

#[async_trait::async_trait]
impl EngineExtension for ValidationGate {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if ctx.data_opt::<ValidateOnly>().is_some() {
            return Response::default();
        }
        next.run(ctx, operation_name).await
    }
}
