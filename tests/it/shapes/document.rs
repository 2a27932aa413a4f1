//! Generated query documents: the syntax tree the oracle executes, its printed form, and the
//! generator that writes one from a stream of choices (which proptest draws and shrinks).
//!
//! Every response key is bound to one field and one set of arguments, so any two selections
//! with the same key can merge and every document the generator writes is valid.

use serde_json::{Map, Value, json};

/// One generated operation with its fragments and variables.
pub(super) struct Document {
    pub root: Vec<Selection>,
    pub fragments: Vec<Fragment>,
    pub variables: Vec<Variable>,
}

pub(super) struct Fragment {
    pub on: &'static str,
    pub selections: Vec<Selection>,
}

pub(super) enum Selection {
    Field(Field),
    Inline {
        on: Option<&'static str>,
        directives: Vec<Directive>,
        selections: Vec<Selection>,
    },
    Spread {
        fragment: usize,
        directives: Vec<Directive>,
    },
}

pub(super) struct Field {
    pub alias: Option<&'static str>,
    pub name: &'static str,
    pub args: Args,
    pub directives: Vec<Directive>,
    pub selections: Vec<Selection>,
}

impl Field {
    pub fn response_key(&self) -> &'static str {
        self.alias.unwrap_or(self.name)
    }
}

#[derive(Clone, Copy)]
pub(super) enum Args {
    None,
    /// `products(filter: …)` with the filter of this index (see [`Vocabulary::filters`]).
    Products(usize),
    /// `contract_price` with `quantity` left to its default (1).
    DefaultQuantity,
    /// `contract_price(quantity: <literal>)`.
    Quantity(f64),
    /// `contract_price(quantity: $qty)`.
    QuantityVariable,
}

#[derive(Clone, Copy)]
pub(super) struct Directive {
    /// `@include` when true, `@skip` when false.
    pub include: bool,
    pub condition: Condition,
}

#[derive(Clone, Copy)]
pub(super) enum Condition {
    Literal(bool),
    Variable(usize),
}

/// A declared variable, with the value sent for it (`None`: left to its default).
pub(super) struct Variable {
    pub name: &'static str,
    pub declaration: &'static str,
    pub default: Option<Value>,
    pub sent: Option<Value>,
    pub used: bool,
}

impl Variable {
    /// The value the operation runs with: the one sent, else the default.
    pub fn value(&self) -> Value {
        self.sent
            .clone()
            .or_else(|| self.default.clone())
            .unwrap_or(Value::Null)
    }
}

/// The `$qty` variable's index in [`Document::variables`].
pub(super) const QTY: usize = 3;

/// What the generator may name: the SKU filters of the root fields.
pub(super) struct Vocabulary {
    pub filters: Vec<Vec<String>>,
}

impl Vocabulary {
    /// The arguments of `products` with filter `i`.
    pub fn filter_args(&self, i: usize) -> String {
        let skus = serde_json::to_string(&self.filters[i]).unwrap_or_default();
        format!("(filter: {{ sku: {{ in: {skus} }} }})")
    }
}

impl Document {
    /// The document as a client sends it.
    pub fn print(&self, vocabulary: &Vocabulary) -> String {
        let used: Vec<String> = self
            .variables
            .iter()
            .filter(|v| v.used)
            .map(|v| format!("${}: {}", v.name, v.declaration))
            .collect();
        let mut out = String::from("query Shape");
        if !used.is_empty() {
            out.push_str(&format!("({})", used.join(", ")));
        }
        self.print_set(&self.root, vocabulary, 1, &mut out);
        for (i, fragment) in self.fragments.iter().enumerate() {
            out.push_str(&format!("\nfragment F{i} on {}", fragment.on));
            self.print_set(&fragment.selections, vocabulary, 1, &mut out);
        }
        out
    }

    /// Sends every variable another value (or leaves it to its default, or sends one).
    pub fn change_variable_values(&mut self) {
        for variable in &mut self.variables {
            let options = match variable.name {
                "flag" => vec![Some(json!(true)), Some(json!(false))],
                "qty" => vec![None, Some(json!(10.0)), Some(json!(50.0))],
                _ => vec![None, Some(json!(true)), Some(json!(false))],
            };
            let at = options
                .iter()
                .position(|o| *o == variable.sent)
                .unwrap_or(0);
            variable.sent = options[(at + 1) % options.len()].clone();
        }
    }

    /// Changes only what the BFF answers itself, in every selection alike (so the document stays
    /// valid): `contract_price` quantities 10 and 100 trade places, and so do the leaves
    /// `salable_qty`/`status` (stock) and `valid_from`/`valid_to` (contract prices).
    pub fn vary_extension_fields(&mut self) {
        fn vary(set: &mut [Selection]) {
            for selection in set {
                match selection {
                    Selection::Field(field) => {
                        field.name = match field.name {
                            "salable_qty" => "status",
                            "status" => "salable_qty",
                            "valid_from" => "valid_to",
                            "valid_to" => "valid_from",
                            other => other,
                        };
                        field.args = match field.args {
                            Args::Quantity(10.0) => Args::Quantity(100.0),
                            Args::Quantity(100.0) => Args::Quantity(10.0),
                            other => other,
                        };
                        vary(&mut field.selections);
                    }
                    Selection::Inline { selections, .. } => vary(selections),
                    Selection::Spread { .. } => {}
                }
            }
        }
        vary(&mut self.root);
        for fragment in &mut self.fragments {
            vary(&mut fragment.selections);
        }
    }

    /// The variables a client sends with it.
    pub fn variables_json(&self) -> Value {
        let sent: Map<String, Value> = self
            .variables
            .iter()
            .filter(|v| v.used)
            .filter_map(|v| v.sent.clone().map(|value| (v.name.to_string(), value)))
            .collect();
        Value::Object(sent)
    }

    fn print_set(
        &self,
        set: &[Selection],
        vocabulary: &Vocabulary,
        depth: usize,
        out: &mut String,
    ) {
        out.push_str(" {");
        for selection in set {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
            match selection {
                Selection::Field(field) => {
                    if let Some(alias) = field.alias {
                        out.push_str(&format!("{alias}: "));
                    }
                    out.push_str(field.name);
                    out.push_str(&self.print_args(field.args, vocabulary));
                    self.print_directives(&field.directives, out);
                    if !field.selections.is_empty() {
                        self.print_set(&field.selections, vocabulary, depth + 1, out);
                    }
                }
                Selection::Inline {
                    on,
                    directives,
                    selections,
                } => {
                    out.push_str("...");
                    if let Some(on) = on {
                        out.push_str(&format!(" on {on}"));
                    }
                    self.print_directives(directives, out);
                    self.print_set(selections, vocabulary, depth + 1, out);
                }
                Selection::Spread {
                    fragment,
                    directives,
                } => {
                    out.push_str(&format!("...F{fragment}"));
                    self.print_directives(directives, out);
                }
            }
        }
        out.push('\n');
        out.push_str(&"  ".repeat(depth - 1));
        out.push('}');
    }

    fn print_args(&self, args: Args, vocabulary: &Vocabulary) -> String {
        match args {
            Args::None | Args::DefaultQuantity => String::new(),
            Args::Products(i) => vocabulary.filter_args(i),
            Args::Quantity(q) => format!("(quantity: {q})"),
            Args::QuantityVariable => "(quantity: $qty)".to_string(),
        }
    }

    fn print_directives(&self, directives: &[Directive], out: &mut String) {
        for d in directives {
            let name = if d.include { "include" } else { "skip" };
            let condition = match d.condition {
                Condition::Literal(b) => b.to_string(),
                Condition::Variable(v) => format!("${}", self.variables[v].name),
            };
            out.push_str(&format!(" @{name}(if: {condition})"));
        }
    }
}

/// A stream of choices; once exhausted every choice is 0, the simplest.
pub(super) struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Choices { bytes, at: 0 }
    }

    /// A number below `n`.
    fn pick(&mut self, n: usize) -> usize {
        let byte = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte as usize % n
    }
}

/// Product-level response keys: (alias, field, arguments, sub-selection type).
const PRODUCT_FIELDS: [(Option<&str>, &str, Args, Option<&str>); 12] = [
    (None, "sku", Args::None, None),
    (None, "name", Args::None, None),
    (None, "__typename", Args::None, None),
    (None, "live_stock", Args::None, Some("LiveStock")),
    (
        None,
        "contract_price",
        Args::DefaultQuantity,
        Some("ContractPrice"),
    ),
    (Some("stock"), "live_stock", Args::None, Some("LiveStock")),
    (
        Some("bulk"),
        "contract_price",
        Args::Quantity(100.0),
        Some("ContractPrice"),
    ),
    (
        Some("tier"),
        "contract_price",
        Args::QuantityVariable,
        Some("ContractPrice"),
    ),
    (
        Some("ten"),
        "contract_price",
        Args::Quantity(10.0),
        Some("ContractPrice"),
    ),
    (None, "stock_status", Args::None, None),
    (None, "price_range", Args::None, Some("PriceRange")),
    (Some("_bff_sku"), "sku", Args::None, None),
];

/// Response keys of the other object types: (alias, field, sub-selection type).
pub(super) fn object_fields(
    ty: &str,
) -> &'static [(Option<&'static str>, &'static str, Option<&'static str>)] {
    match ty {
        "Products" => &[
            (None, "items", Some("Product")),
            (None, "total_count", None),
        ],
        "LiveStock" => &[
            (None, "salable_qty", None),
            (None, "status", None),
            (None, "sources", Some("LiveStockSource")),
            (Some("qty"), "salable_qty", None),
            (None, "updated_at", None),
            (None, "freshness", None),
            (None, "__typename", None),
        ],
        "LiveStockSource" => &[
            (None, "source_code", None),
            (None, "salable_qty", None),
            (None, "status", None),
        ],
        "ContractPrice" => &[
            (None, "unit_price", Some("Money")),
            (None, "quantity", None),
            (None, "tiers", Some("ContractPriceTier")),
            (None, "price_list", Some("ContractPriceList")),
            (None, "valid_from", None),
            (None, "valid_to", None),
            (None, "freshness", None),
            (None, "__typename", None),
        ],
        "ContractPriceTier" => &[
            (None, "min_quantity", None),
            (None, "unit_price", Some("Money")),
        ],
        "ContractPriceList" => &[
            (None, "id", None),
            (None, "name", None),
            (None, "contract_id", None),
        ],
        "Money" => &[(None, "value", None), (None, "currency", None)],
        "PriceRange" => &[(None, "minimum_price", Some("ProductPrice"))],
        "ProductPrice" => &[(None, "final_price", Some("Money"))],
        "ConfigurableVariant" => &[(None, "product", Some("SimpleProduct"))],
        _ => &[],
    }
}

/// How deep fragments and objects may nest.
const MAX_DEPTH: usize = 7;

/// Writes a document from `choices`; the simplest is `{ products(…) { items { sku } } }`.
pub(super) fn generate(choices: &mut Choices<'_>) -> Document {
    let flag = choices.pick(2) == 1;
    let mut variables = vec![
        Variable {
            name: "flag",
            declaration: "Boolean!",
            default: None,
            sent: Some(json!(flag)),
            used: false,
        },
        boolean_with_default(choices, "yes", true),
        boolean_with_default(choices, "no", false),
        Variable {
            name: "qty",
            declaration: "Float = 100",
            default: Some(json!(100.0)),
            sent: [None, Some(json!(10.0)), Some(json!(50.0))][choices.pick(3)].clone(),
            used: false,
        },
    ];
    let mut generator = Generator {
        choices,
        fragments: Vec::new(),
        variables: &mut variables,
    };
    let mut root = Vec::new();
    for _ in 0..1 + generator.choices.pick(3) {
        let (alias, filter) = [(None, 0), (Some("more"), 1)][generator.choices.pick(2)];
        let field = Field {
            alias,
            name: "products",
            args: Args::Products(filter),
            directives: generator.directives(),
            selections: generator.object("Products", 1),
        };
        root.push(Selection::Field(field));
    }
    let fragments = generator.fragments;
    Document {
        root,
        fragments,
        variables,
    }
}

fn boolean_with_default(choices: &mut Choices<'_>, name: &'static str, default: bool) -> Variable {
    let sent = [None, Some(json!(true)), Some(json!(false))][choices.pick(3)].clone();
    Variable {
        name,
        declaration: if default {
            "Boolean = true"
        } else {
            "Boolean = false"
        },
        default: Some(json!(default)),
        sent,
        used: false,
    }
}

struct Generator<'c, 'b, 'v> {
    choices: &'c mut Choices<'b>,
    fragments: Vec<Fragment>,
    variables: &'v mut Vec<Variable>,
}

impl Generator<'_, '_, '_> {
    /// Zero, one or two directives (never two of one kind: they are not repeatable).
    fn directives(&mut self) -> Vec<Directive> {
        match self.choices.pick(5) {
            0 | 1 => Vec::new(),
            2 => vec![self.directive(false)],
            3 => vec![self.directive(true)],
            _ => {
                let first = self.choices.pick(2) == 1;
                vec![self.directive(first), self.directive(!first)]
            }
        }
    }

    fn directive(&mut self, include: bool) -> Directive {
        let condition = match self.choices.pick(5) {
            0 => Condition::Literal(include),
            1 => Condition::Literal(!include),
            n => {
                let variable = n - 2;
                self.variables[variable].used = true;
                Condition::Variable(variable)
            }
        };
        Directive { include, condition }
    }

    /// A selection on an object type that is not a product.
    fn object(&mut self, ty: &'static str, depth: usize) -> Vec<Selection> {
        let fields = object_fields(ty);
        let mut set = Vec::new();
        for _ in 0..1 + self.choices.pick(3) {
            if depth < MAX_DEPTH && self.choices.pick(6) == 5 {
                let on = [None, Some(ty)][self.choices.pick(2)];
                let directives = self.directives();
                let selections = self.object(ty, depth + 1);
                set.push(Selection::Inline {
                    on,
                    directives,
                    selections,
                });
                continue;
            }
            let (alias, name, child) = fields[self.choices.pick(fields.len())];
            let selections = match child {
                None => Vec::new(),
                Some("Product") => self.product("ProductInterface", depth + 1),
                Some("SimpleProduct") => self.product("SimpleProduct", depth + 1),
                Some(child) => self.object(child, depth + 1),
            };
            let directives = self.directives();
            set.push(Selection::Field(Field {
                alias,
                name,
                args: Args::None,
                directives,
                selections,
            }));
        }
        set
    }

    /// A selection on a product whose static type is `ty`.
    fn product(&mut self, ty: &'static str, depth: usize) -> Vec<Selection> {
        let mut set = Vec::new();
        for _ in 0..1 + self.choices.pick(4) {
            let kind = if depth < MAX_DEPTH {
                self.choices.pick(8)
            } else {
                0
            };
            match kind {
                5 => {
                    let on = self.condition(ty);
                    let directives = self.directives();
                    let selections = self.product(on.unwrap_or(ty), depth + 1);
                    set.push(Selection::Inline {
                        on,
                        directives,
                        selections,
                    });
                }
                6 => {
                    let on = self.condition(ty).unwrap_or(ty);
                    let directives = self.directives();
                    let fragment = self.fragments.len();
                    self.fragments.push(Fragment {
                        on,
                        selections: Vec::new(),
                    });
                    self.fragments[fragment].selections = self.product(on, depth + 1);
                    set.push(Selection::Spread {
                        fragment,
                        directives,
                    });
                }
                7 if ty == "ConfigurableProduct" => {
                    let directives = self.directives();
                    let selections = self.object("ConfigurableVariant", depth + 1);
                    set.push(Selection::Field(Field {
                        alias: None,
                        name: "variants",
                        args: Args::None,
                        directives,
                        selections,
                    }));
                }
                _ => set.push(self.product_field(depth)),
            }
        }
        set
    }

    fn product_field(&mut self, depth: usize) -> Selection {
        let (alias, name, args, child) = PRODUCT_FIELDS[self.choices.pick(PRODUCT_FIELDS.len())];
        if matches!(args, Args::QuantityVariable) {
            self.variables[QTY].used = true;
        }
        let selections = match child {
            Some(child) => self.object(child, depth + 1),
            None => Vec::new(),
        };
        let directives = self.directives();
        Selection::Field(Field {
            alias,
            name,
            args,
            directives,
            selections,
        })
    }

    /// A type condition that may apply within a product of static type `ty`.
    fn condition(&mut self, ty: &'static str) -> Option<&'static str> {
        let allowed: &[Option<&'static str>] = match ty {
            "SimpleProduct" => &[None, Some("ProductInterface"), Some("SimpleProduct")],
            "ConfigurableProduct" => &[None, Some("ProductInterface"), Some("ConfigurableProduct")],
            _ => &[
                None,
                Some("ProductInterface"),
                Some("SimpleProduct"),
                Some("ConfigurableProduct"),
            ],
        };
        allowed[self.choices.pick(allowed.len())]
    }
}
