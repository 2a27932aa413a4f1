//! Adobe Commerce's storefront GraphQL schema as data, and its translation into an executable
//! async-graphql dynamic schema.
//!
//! Both the BFF (which composes Commerce's SDL with its extension fields) and the sandbox (which
//! emulates Commerce) build their schemas here, so the two can never drift apart in names,
//! nullability, defaults or deprecations.
//!
//! * [`Sdl`] owns a parsed SDL document: the bundled Adobe Commerce 2.4.9 schema, an introspected
//!   one, and additive extensions merged into it.
//! * [`Sdl::build`] turns it into a [`dynamic::SchemaBuilder`] whose fields resolve, unless a
//!   [`Resolvers`] implementation says otherwise, by reading their parent's JSON object, and
//!   which executes variable defaults and empty selections as the spec says (`spec_execution`).

mod json;
mod spec_execution;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dynamic::{
    self, Enum, EnumItem, Field, FieldFuture, InputObject, InputValue, Interface, InterfaceField,
    Object, ResolverContext, Scalar, TypeRef, Union,
};
use async_graphql::parser::types::{
    BaseType, ConstDirective, FieldDefinition, InputValueDefinition, ServiceDocument, Type,
    TypeDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value};

pub use json::{JsonKey, OutputShape, ShapeKind, json_field_value, owned_json_field_value};

/// Adobe Commerce 2.4.9 (with B2B) storefront schema, as Adobe publishes it: the repository's one
/// copy of the reference (`reference/README.md` names its source and licence), used as the
/// bundled fallback and by the schema contract test.
pub const ADOBE_COMMERCE_2_4_9_SDL: &str =
    include_str!("../reference/adobe-commerce-2.4.9-b2b.graphqls");

/// Root query fields whose answers Commerce caches (its `@cache` identities; Varnish keeps their
/// GET responses). Anything else — cart, customer, customerCart, customerOrders, wishlist,
/// company … — is never cached.
pub const CACHEABLE_ROOT_FIELDS: [&str; 13] = [
    "products",
    "categories",
    "categoryList",
    "category",
    "route",
    "urlResolver",
    "storeConfig",
    "availableStores",
    "currency",
    "countries",
    "country",
    "cmsPage",
    "cmsBlocks",
];

/// What can go wrong reading or composing an SDL document.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("the SDL does not parse: {0}")]
    Parse(String),
    #[error("the SDL has no `Query` type")]
    NoQueryType,
    #[error("extension of `{0}`, which the schema does not define")]
    UnknownExtendedType(String),
    #[error("extension field `{0}.{1}` already exists in the schema")]
    FieldExists(String, String),
    #[error("the composed schema is invalid: {0}")]
    Invalid(String),
}

/// Chooses resolvers for the fields that do not simply read their parent's JSON object.
pub trait Resolvers: Send + Sync + 'static {
    /// How the default resolver finds a field's value in its parent object.
    fn json_key(&self) -> JsonKey;

    /// A resolver for `type_name.field`, or `None` for the default JSON resolver.
    fn custom(&self, type_name: &str, field: &FieldDefinition) -> Option<FieldResolver>;
}

/// A field resolver: async-graphql's resolver function plus the shape of the field's type.
/// The shape is lent for the synchronous part of the call only; an async resolver clones what
/// it needs from it.
pub type FieldResolver =
    Arc<dyn for<'a, 's> Fn(ResolverContext<'a>, &'s OutputShape) -> FieldFuture<'a> + Send + Sync>;

/// A parsed SDL document and the kind of each named type in it.
#[derive(Clone)]
pub struct Sdl {
    types: Vec<TypeDefinition>,
    index: HashMap<String, usize>,
}

impl Sdl {
    /// Parses an SDL document (type definitions only; `extend` definitions are merged).
    pub fn parse(text: &str) -> Result<Self, SchemaError> {
        let mut sdl = Sdl {
            types: Vec::new(),
            index: HashMap::new(),
        };
        sdl.merge(text)?;
        if !sdl.index.contains_key("Query") {
            return Err(SchemaError::NoQueryType);
        }
        Ok(sdl)
    }

    /// The bundled Adobe Commerce 2.4.9 schema (parsed once per process, then cloned).
    pub fn bundled() -> Self {
        static BUNDLED: std::sync::OnceLock<Sdl> = std::sync::OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                // A compile-time constant that this crate's tests hold to parse.
                Self::parse(ADOBE_COMMERCE_2_4_9_SDL).unwrap_or_else(|e| panic!("bundled SDL: {e}"))
            })
            .clone()
    }

    /// Merges an additive document: new types are added; `extend type|interface` adds fields
    /// (an interface's new fields are added to every type implementing it too); existing fields
    /// are never redefined.
    pub fn merge(&mut self, text: &str) -> Result<(), SchemaError> {
        let doc: ServiceDocument = async_graphql::parser::parse_schema(text)
            .map_err(|e| SchemaError::Parse(e.to_string()))?;
        for def in doc.definitions {
            let TypeSystemDefinition::Type(def) = def else {
                continue;
            };
            let def = def.node;
            let name = def.name.node.to_string();
            if !def.extend {
                if let Some(&at) = self.index.get(&name) {
                    self.types[at] = def;
                } else {
                    self.index.insert(name, self.types.len());
                    self.types.push(def);
                }
                continue;
            }
            let Some(&at) = self.index.get(&name) else {
                return Err(SchemaError::UnknownExtendedType(name));
            };
            let new_fields = match &def.kind {
                TypeKind::Object(o) => o.fields.clone(),
                TypeKind::Interface(i) => i.fields.clone(),
                _ => continue,
            };
            let is_interface = matches!(self.types[at].kind, TypeKind::Interface(_));
            let mut targets = vec![at];
            if is_interface {
                targets.extend(
                    self.implementers(&name)
                        .into_iter()
                        .filter_map(|t| self.index.get(&t).copied()),
                );
            }
            for target in targets {
                let target_name = self.types[target].name.node.to_string();
                let fields = match &mut self.types[target].kind {
                    TypeKind::Object(o) => &mut o.fields,
                    TypeKind::Interface(i) => &mut i.fields,
                    _ => continue,
                };
                for field in &new_fields {
                    if fields
                        .iter()
                        .any(|f| f.node.name.node == field.node.name.node)
                    {
                        return Err(SchemaError::FieldExists(
                            target_name,
                            field.node.name.node.to_string(),
                        ));
                    }
                    fields.push(field.clone());
                }
            }
        }
        Ok(())
    }

    /// Names of the object and interface types that implement `interface`, directly or not.
    pub fn implementers(&self, interface: &str) -> Vec<String> {
        self.types
            .iter()
            .filter(|t| {
                let implements = match &t.kind {
                    TypeKind::Object(o) => &o.implements,
                    TypeKind::Interface(i) => &i.implements,
                    _ => return false,
                };
                implements.iter().any(|n| n.node == interface)
            })
            .map(|t| t.name.node.to_string())
            .collect()
    }

    /// The definition of a named type.
    pub fn get(&self, name: &str) -> Option<&TypeDefinition> {
        self.index.get(name).map(|&i| &self.types[i])
    }

    /// Every type definition, in document order.
    pub fn types(&self) -> impl Iterator<Item = &TypeDefinition> {
        self.types.iter()
    }

    /// The fields of an object or interface type.
    pub fn fields(&self, type_name: &str) -> &[async_graphql::Positioned<FieldDefinition>] {
        match self.get(type_name).map(|t| &t.kind) {
            Some(TypeKind::Object(o)) => &o.fields,
            Some(TypeKind::Interface(i)) => &i.fields,
            _ => &[],
        }
    }

    /// Whether `name` is an interface or a union.
    pub fn is_abstract(&self, name: &str) -> bool {
        matches!(
            self.get(name).map(|t| &t.kind),
            Some(TypeKind::Interface(_) | TypeKind::Union(_))
        )
    }

    /// The shape of a field's output type, for the JSON resolvers.
    pub fn shape(&self, ty: &Type) -> OutputShape {
        let (named, lists) = unwrap_type(ty);
        let kind = match self.get(named).map(|t| &t.kind) {
            Some(TypeKind::Object(_)) => ShapeKind::Object,
            Some(TypeKind::Interface(_) | TypeKind::Union(_)) => ShapeKind::Abstract,
            _ => ShapeKind::Leaf,
        };
        OutputShape {
            type_name: named.to_string(),
            kind,
            list_depth: lists,
        }
    }

    /// Builds an executable dynamic schema; call `.finish()` on the result after adding
    /// limits, data and extensions.
    pub fn build(&self, resolvers: Arc<dyn Resolvers>) -> dynamic::SchemaBuilder {
        let mutation = self.index.contains_key("Mutation").then_some("Mutation");
        // Every schema executes `@skip`/`@include` and empty selections as the spec says.
        let mut builder = dynamic::Schema::build("Query", mutation, None)
            .extension(spec_execution::SpecExecution);
        for def in &self.types {
            builder = builder.register(self.build_type(def, &resolvers));
        }
        builder
    }

    fn build_type(&self, def: &TypeDefinition, resolvers: &Arc<dyn Resolvers>) -> dynamic::Type {
        let name = def.name.node.as_str();
        let description = def.description.as_ref().map(|d| d.node.clone());
        match &def.kind {
            TypeKind::Scalar => {
                let mut s = Scalar::new(name);
                if let Some(d) = description {
                    s = s.description(d);
                }
                s.into()
            }
            TypeKind::Object(o) => {
                let mut obj = Object::new(name);
                if let Some(d) = description {
                    obj = obj.description(d);
                }
                for i in &o.implements {
                    obj = obj.implement(i.node.as_str());
                }
                for f in &o.fields {
                    obj = obj.field(self.build_field(name, &f.node, resolvers));
                }
                obj.into()
            }
            TypeKind::Interface(i) => {
                let mut it = Interface::new(name);
                if let Some(d) = description {
                    it = it.description(d);
                }
                for imp in &i.implements {
                    it = it.implement(imp.node.as_str());
                }
                for f in &i.fields {
                    let mut field =
                        InterfaceField::new(f.node.name.node.as_str(), type_ref(&f.node.ty.node));
                    if let Some(d) = &f.node.description {
                        field = field.description(d.node.clone());
                    }
                    if let Some(reason) = deprecation(&f.node.directives) {
                        field = field.deprecation(reason.as_deref());
                    }
                    for a in &f.node.arguments {
                        field = field.argument(input_value(&a.node));
                    }
                    it = it.field(field);
                }
                it.into()
            }
            TypeKind::Union(u) => {
                let mut un = Union::new(name);
                if let Some(d) = description {
                    un = un.description(d);
                }
                for m in &u.members {
                    un = un.possible_type(m.node.as_str());
                }
                un.into()
            }
            TypeKind::Enum(e) => {
                let mut en = Enum::new(name);
                if let Some(d) = description {
                    en = en.description(d);
                }
                for v in &e.values {
                    let mut item = EnumItem::new(v.node.value.node.as_str());
                    if let Some(d) = &v.node.description {
                        item = item.description(d.node.clone());
                    }
                    if let Some(reason) = deprecation(&v.node.directives) {
                        item = item.deprecation(reason.as_deref());
                    }
                    en = en.item(item);
                }
                en.into()
            }
            TypeKind::InputObject(io) => {
                let mut input = InputObject::new(name);
                if let Some(d) = description {
                    input = input.description(d);
                }
                for f in &io.fields {
                    input = input.field(input_value(&f.node));
                }
                input.into()
            }
        }
    }

    fn build_field(
        &self,
        type_name: &str,
        def: &FieldDefinition,
        resolvers: &Arc<dyn Resolvers>,
    ) -> Field {
        let shape = Arc::new(self.shape(&def.ty.node));
        let resolver = resolvers.custom(type_name, def);
        let key = resolvers.json_key();
        let field_name = def.name.node.to_string();
        let mut field = Field::new(
            def.name.node.as_str(),
            type_ref(&def.ty.node),
            move |ctx: ResolverContext<'_>| match &resolver {
                Some(custom) => custom(ctx, &shape),
                None => json::resolve_from_parent(ctx, &shape, key, &field_name),
            },
        );
        if let Some(d) = &def.description {
            field = field.description(d.node.clone());
        }
        if let Some(reason) = deprecation(&def.directives) {
            field = field.deprecation(reason.as_deref());
        }
        for a in &def.arguments {
            field = field.argument(input_value(&a.node));
        }
        field
    }
}

/// `@deprecated(reason:)` of a definition: `None` when not deprecated.
fn deprecation(directives: &[async_graphql::Positioned<ConstDirective>]) -> Option<Option<String>> {
    directives
        .iter()
        .find(|d| d.node.name.node == "deprecated")
        .map(|d| match d.node.get_argument("reason").map(|v| &v.node) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        })
}

fn input_value(def: &InputValueDefinition) -> InputValue {
    let mut iv = InputValue::new(def.name.node.as_str(), type_ref(&def.ty.node));
    if let Some(d) = &def.description {
        iv = iv.description(d.node.clone());
    }
    if let Some(v) = &def.default_value {
        iv = iv.default_value(v.node.clone());
    }
    if let Some(reason) = deprecation(&def.directives) {
        iv = iv.deprecation(reason.as_deref());
    }
    iv
}

/// The parser's type to async-graphql's dynamic type reference.
pub fn type_ref(ty: &Type) -> TypeRef {
    let base = match &ty.base {
        BaseType::Named(n) => TypeRef::Named(n.to_string().into()),
        BaseType::List(inner) => TypeRef::List(Box::new(type_ref(inner))),
    };
    if ty.nullable {
        base
    } else {
        TypeRef::NonNull(Box::new(base))
    }
}

/// The named type under all list and non-null wrappers, and how many lists wrap it.
fn unwrap_type(ty: &Type) -> (&Name, usize) {
    match &ty.base {
        BaseType::Named(n) => (n, 0),
        BaseType::List(inner) => {
            let (n, depth) = unwrap_type(inner);
            (n, depth + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::dynamic::FieldFuture;
    use async_graphql::parser::types::FieldDefinition;

    struct Plain;

    impl Resolvers for Plain {
        fn json_key(&self) -> JsonKey {
            JsonKey::FieldName
        }
        fn custom(&self, type_name: &str, _field: &FieldDefinition) -> Option<FieldResolver> {
            (type_name == "Query")
                .then(|| -> FieldResolver { Arc::new(|_ctx, _shape| FieldFuture::Value(None)) })
        }
    }

    #[test]
    fn the_bundled_schema_builds_into_an_executable_schema() {
        let sdl = Sdl::bundled();
        let schema = sdl.build(Arc::new(Plain)).finish().expect("valid schema");
        let printed = schema.sdl();
        assert!(printed.contains("interface ProductInterface"));
        assert!(printed.contains("type ConfigurableProduct implements"));
    }

    #[test]
    fn an_interface_extension_reaches_every_implementer() {
        let mut sdl = Sdl::bundled();
        sdl.merge("type LiveStock { qty: Float }\nextend interface ProductInterface { live_stock: LiveStock }")
            .expect("merges");
        for ty in [
            "ProductInterface",
            "SimpleProduct",
            "ConfigurableProduct",
            "BundleProduct",
        ] {
            assert!(
                sdl.fields(ty)
                    .iter()
                    .any(|f| f.node.name.node == "live_stock"),
                "{ty}"
            );
        }
        sdl.build(Arc::new(Plain)).finish().expect("valid schema");
    }
}
