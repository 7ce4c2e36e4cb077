//! Type constraints of variables: a value given to a typed variable (its default, a tfvars
//! entry, a module call's argument) is converted as Terraform converts it before anything
//! reads it. A `set(string)` loses its duplicates and is sorted, `number` reads the text
//! "5" as 5, `string` writes 5 as "5", and an `object` keeps only its declared attributes,
//! filling those left out with their `optional(...)` default or null.

use super::functions::set_of;
use crate::value::{format_number, Kind, Names, Value};
use hcl_edit::expr::{Expression, ObjectKey};

/// A variable's `type`, as far as conversion needs it.
pub(super) enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(Vec<ObjectAttr>),
}

pub(super) struct ObjectAttr {
    name: String,
    type_: Type,
    /// `optional(type)` or `optional(type, default)`: may be left out.
    optional: bool,
    default: Option<Value>,
}

impl Type {
    /// Reads a type expression; `None` for one Terraform would reject, whose values are
    /// then taken as given. `eval` evaluates the defaults of `optional(...)`.
    pub(super) fn parse(expr: &Expression, eval: &dyn Fn(&Expression) -> Value) -> Option<Type> {
        if let Some(name) = expr.as_variable() {
            return match name.as_str() {
                "any" => Some(Type::Any),
                "string" => Some(Type::String),
                "number" => Some(Type::Number),
                "bool" => Some(Type::Bool),
                _ => None,
            };
        }
        let Expression::FuncCall(call) = expr else {
            return None;
        };
        let [arg] = call.args.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let inner = || Type::parse(arg, eval).map(Box::new);
        match call.name.name.as_str() {
            "list" => Some(Type::List(inner()?)),
            "set" => Some(Type::Set(inner()?)),
            "map" => Some(Type::Map(inner()?)),
            "tuple" => match arg {
                Expression::Array(items) => items
                    .iter()
                    .map(|item| Type::parse(item, eval))
                    .collect::<Option<_>>()
                    .map(Type::Tuple),
                _ => None,
            },
            "object" => match arg {
                Expression::Object(object) => object
                    .iter()
                    .map(|(key, value)| {
                        let name = match key {
                            ObjectKey::Ident(ident) => ident.as_str().to_string(),
                            ObjectKey::Expression(e) => e.as_str()?.to_string(),
                        };
                        ObjectAttr::parse(name, value.expr(), eval)
                    })
                    .collect::<Option<_>>()
                    .map(Type::Object),
                _ => None,
            },
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Type::Any => "any value",
            Type::String => "string",
            Type::Number => "number",
            Type::Bool => "bool",
            Type::List(_) => "list",
            Type::Set(_) => "set",
            Type::Map(_) => "map",
            Type::Tuple(_) => "tuple",
            Type::Object(_) => "object",
        }
    }
}

impl ObjectAttr {
    fn parse(
        name: String,
        expr: &Expression,
        eval: &dyn Fn(&Expression) -> Value,
    ) -> Option<ObjectAttr> {
        let optional = match expr {
            Expression::FuncCall(call) if call.name.name.as_str() == "optional" => call,
            _ => {
                return Some(ObjectAttr {
                    name,
                    type_: Type::parse(expr, eval)?,
                    optional: false,
                    default: None,
                })
            }
        };
        let mut args = optional.args.iter();
        let type_ = Type::parse(args.next()?, eval)?;
        let default = args.next().map(eval);
        if args.next().is_some() {
            return None;
        }
        Some(ObjectAttr {
            name,
            type_,
            optional: true,
            default,
        })
    }
}

/// `value` converted to `type_`, or why it does not convert (Terraform's "Invalid value
/// for input variable"). Unknown and null values convert to any type as they are.
pub(super) fn convert(value: Value, type_: &Type) -> Result<Value, String> {
    if value.is_unknown() || value.is_null() || matches!(type_, Type::Any) {
        return Ok(value);
    }
    let Value {
        kind,
        origin,
        from,
        encoded,
        key_origins,
    } = value;
    let required = || format!("a {} is required", type_.name());
    let all = |items: Vec<Value>, type_: &Type| -> Result<Vec<Value>, String> {
        items.into_iter().map(|v| convert(v, type_)).collect()
    };
    let kind = match (type_, kind) {
        (Type::String, Kind::String(s)) => Kind::String(s),
        (Type::String, Kind::Number(n)) => Kind::String(format_number(n)),
        (Type::String, Kind::Bool(b)) => Kind::String(b.to_string()),
        (Type::Number, Kind::Number(n)) => Kind::Number(n),
        (Type::Number, Kind::String(s)) => match s.parse::<f64>() {
            Ok(n) if n.is_finite() => Kind::Number(n),
            _ => return Err(required()),
        },
        (Type::Bool, Kind::Bool(b)) => Kind::Bool(b),
        (Type::Bool, Kind::String(s)) => match s.as_str() {
            "true" | "1" => Kind::Bool(true),
            "false" | "0" => Kind::Bool(false),
            _ => return Err(required()),
        },
        (Type::List(element), Kind::List(items)) => Kind::List(all(items, element)?),
        (Type::Set(element), Kind::List(items)) => Kind::List(set_of(&all(items, element)?)),
        (Type::Tuple(elements), Kind::List(items)) if elements.len() == items.len() => Kind::List(
            items
                .into_iter()
                .zip(elements)
                .map(|(v, t)| convert(v, t))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Map(element), Kind::Object(map) | Kind::Resource { attrs: map, .. }) => {
            Kind::Object(
                (*map)
                    .into_iter()
                    .map(|(k, v)| Ok((k, convert(v, element)?)))
                    .collect::<Result<Names<_>, String>>()?
                    .into(),
            )
        }
        (Type::Object(attrs), Kind::Object(map)) => object(attrs, *map, None)?,
        (
            Type::Object(attrs),
            Kind::Resource {
                address,
                attrs: map,
            },
        ) => object(attrs, *map, Some(address))?,
        _ => return Err(required()),
    };
    Ok(Value {
        kind,
        origin,
        from,
        encoded,
        key_origins,
    })
}

/// An object (or a resource instance, at `address`) converted to an object type: the
/// declared attributes only. One left out takes its `optional` default, or null; a
/// resource's attribute that is not declared is computed by its provider, so it is not
/// missing but unknown.
fn object(
    attrs: &[ObjectAttr],
    mut map: Names<Value>,
    address: Option<std::sync::Arc<str>>,
) -> Result<Kind, String> {
    let mut out = Names::with_capacity_and_hasher(attrs.len(), Default::default());
    for attr in attrs {
        let value = match (map.swap_remove(&attr.name), &address) {
            (Some(v), _) if !v.is_null() => convert(v, &attr.type_)?,
            (None, Some(address)) => Value::computed(address.clone(), &attr.name),
            (None, None) if !attr.optional => {
                return Err(format!("attribute `{}` is required", attr.name))
            }
            _ => match &attr.default {
                Some(default) => convert(default.clone(), &attr.type_)?,
                None => Value::null(),
            },
        };
        out.insert(attr.name.clone(), value);
    }
    Ok(Kind::Object(out.into()))
}
